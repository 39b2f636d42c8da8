/**
 * Field helpers shared by the envelope (../codec.ts) and the payload modules: a bounds-checked
 * reader whose failures carry a protocol code, and the encoder's argument checks. Decoding helpers
 * throw `DecodeFailure`, which the codec turns into `{ ok: false, code }` (decoding never throws to
 * its caller); encoding helpers throw `ProtocolError`, as the encoder's contract says.
 */
import { ProtocolError, ProtocolErrorCode as E } from "../errors";

// ---- encoding ---------------------------------------------------------------------------------

export function fail(code: E, message: string): never {
  throw new ProtocolError(code, message);
}

export function checkBytes(name: string, b: unknown, len: number): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array) || b.length !== len) fail(E.BAD_FIELD, `${name} must be ${len} bytes`);
}

export function checkUint(name: string, v: unknown, max: number, min = 0): asserts v is number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    fail(E.BAD_FIELD, `${name} must be an integer in [${min}, ${max}], got ${String(v)}`);
  }
}

export const MAX_U32 = 0xffffffff;

// ---- decoding ---------------------------------------------------------------------------------

/** A rejection found while decoding: carried up to decodeTransaction, never past it. */
export class DecodeFailure {
  constructor(
    readonly code: E,
    readonly message: string,
  ) {}
}

export function bad(code: E, message: string): never {
  throw new DecodeFailure(code, message);
}

export class Reader {
  at = 0;
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  }
  has(n: number): boolean {
    return this.at + n <= this.bytes.length;
  }
  /** Fails with ERR_TX_TRUNCATED unless `n` more bytes are there. */
  need(n: number, what: string): void {
    if (!this.has(n)) bad(E.TRUNCATED, `truncated in ${what} at byte ${this.at}`);
  }
  u8(): number {
    return this.view.getUint8(this.at++);
  }
  u32(): number {
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }
  u64(): bigint {
    const v = this.view.getBigUint64(this.at, true);
    this.at += 8;
    return v;
  }
  /** A copy of the next `n` bytes. */
  take(n: number): Uint8Array {
    const v = this.bytes.slice(this.at, this.at + n);
    this.at += n;
    return v;
  }
}

// ---- both -------------------------------------------------------------------------------------

export function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}
