/**
 * The one growable output buffer: the transaction codec, the MessagePack frame encoder and the
 * white-flag mutation records all write through it.
 *
 * Hot encoders may call `ensure(n)` once and then write up to `n` bytes straight into `buf` at
 * `length` (and through `view`), advancing `length` themselves: the frame encoder does so for every
 * header and integer. `buf` and `view` are replaced when the buffer grows, so re-read them after
 * each `ensure`.
 */
export class ByteWriter {
  buf: Uint8Array;
  view: DataView;
  /** Bytes written so far. */
  length = 0;

  constructor(capacity = 512) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  /** Room for `n` more bytes: the capacity at least doubles when it grows, the content is kept. */
  ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }

  u32le(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }

  u64le(v: bigint): void {
    this.ensure(8);
    this.view.setBigUint64(this.length, v, true);
    this.length += 8;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** Overwrites 4 bytes already written (a length known only after what follows it). */
  patchU32le(at: number, v: number): void {
    if (at < 0 || at + 4 > this.length) throw new RangeError(`patch at ${at} is outside the ${this.length} bytes written`);
    this.view.setUint32(at, v, true);
  }

  /** Starts over, keeping the capacity (for a writer reused between messages). */
  reset(): void {
    this.length = 0;
  }

  /** A view of what was written; valid until the next write or reset. */
  written(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  /** A copy of what was written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
