/**
 * Streaming snapshot files: a writer that appends records chunk by chunk and a reader that holds
 * one chunk at a time (format.ts has the layouts, docs/storage.md the contract). Both hash every
 * byte as it passes for the trailing checksum. Synchronous file I/O: the callers (`tangle
 * snapshot`, import) have nothing else to do meanwhile, and the tree the verifier builds takes
 * its entries one by one from a synchronous callback (LedgerTree.buildWith).
 */
import * as fs from "node:fs";
import { Blake2bStream } from "../../core-wasm/src/blake2b";
import { equalBytes } from "../../client/protocol/bytes";
import { fail, SnapshotErrorCode as E } from "./errors";
import {
  compareKeys,
  decodeChunkBody,
  decodeChunkHead,
  decodeHeader,
  encodeChunkHead,
  encodeHeader,
  MAX_SNAPSHOT_CHUNK_BYTES,
  putDeletedRecord,
  putEntryRecord,
  SNAPSHOT_CHECKSUM_BYTES,
  SNAPSHOT_CHUNK_TARGET_BYTES,
  SnapshotEntry,
  SnapshotHeader,
} from "./format";

/** Largest record: u8 key length, 255-byte key, u16 value length, 65,535-byte value. */
const MAX_RECORD_BYTES = 1 + 255 + 2 + 0xffff;

export class SnapshotWriter {
  private readonly hash = new Blake2bStream(32);
  private readonly chunk = new Uint8Array(SNAPSHOT_CHUNK_TARGET_BYTES + MAX_RECORD_BYTES);
  private chunkBytes = 0;
  private chunkRecords = 0;
  private deletedLeft: number;
  private entriesLeft: number;
  private last?: Uint8Array;
  private written = 0;
  private done = false;

  private constructor(
    private readonly path: string,
    private readonly fd: number,
    header: SnapshotHeader,
  ) {
    this.deletedLeft = header.deletedCount;
    this.entriesLeft = header.entryCount;
    this.write(encodeHeader(header));
  }

  /** Starts `path` (written as `path.partial`, renamed by `finish`). */
  static create(path: string, header: SnapshotHeader): SnapshotWriter {
    const fd = fs.openSync(`${path}.partial`, "w");
    try {
      return new SnapshotWriter(path, fd, header);
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(`${path}.partial`, { force: true });
      throw err;
    }
  }

  private write(b: Uint8Array): void {
    this.hash.update(b);
    for (let off = 0; off < b.length; ) off += fs.writeSync(this.fd, b, off, b.length - off);
    this.written += b.length;
  }

  private flushChunk(): void {
    if (this.chunkRecords === 0) return;
    this.write(encodeChunkHead(this.chunkRecords, this.chunkBytes));
    this.write(this.chunk.subarray(0, this.chunkBytes));
    this.chunkBytes = 0;
    this.chunkRecords = 0;
  }

  private ascending(key: Uint8Array): void {
    if (this.last && compareKeys(this.last, key) >= 0) throw new Error("snapshot keys must be written in strictly ascending order");
    this.last = Uint8Array.from(key); // a copy, whatever the caller passed (Buffer.slice would not copy)
  }

  /** The next deleted key (all of them before the first entry). */
  addDeleted(key: Uint8Array): void {
    if (this.deletedLeft === 0) throw new Error("more deleted keys than the header declares");
    this.ascending(key);
    this.chunkBytes = putDeletedRecord(this.chunk, this.chunkBytes, key);
    this.chunkRecords++;
    if (--this.deletedLeft === 0) {
      this.flushChunk(); // a chunk holds one section only
      this.last = undefined;
    } else if (this.chunkBytes >= SNAPSHOT_CHUNK_TARGET_BYTES) this.flushChunk();
  }

  /** The next entry, in the ledger root's entry encoding. */
  addEntry(key: Uint8Array, value: Uint8Array): void {
    if (this.deletedLeft !== 0) throw new Error("entries come after every deleted key");
    if (this.entriesLeft === 0) throw new Error("more entries than the header declares");
    this.ascending(key);
    this.chunkBytes = putEntryRecord(this.chunk, this.chunkBytes, key, value);
    this.chunkRecords++;
    this.entriesLeft--;
    if (this.chunkBytes >= SNAPSHOT_CHUNK_TARGET_BYTES) this.flushChunk();
  }

  /** Writes the checksum, syncs and renames the file into place. Returns its size and checksum. */
  finish(): { bytes: number; checksum: Uint8Array } {
    if (this.deletedLeft !== 0 || this.entriesLeft !== 0) throw new Error(`${this.deletedLeft} deleted keys and ${this.entriesLeft} entries declared but not written`);
    this.flushChunk();
    const checksum = this.hash.digest();
    for (let off = 0; off < checksum.length; ) off += fs.writeSync(this.fd, checksum, off, checksum.length - off);
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.done = true;
    fs.renameSync(`${this.path}.partial`, this.path);
    return { bytes: this.written + checksum.length, checksum };
  }

  /** Gives up: closes and removes the partial file. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    fs.closeSync(this.fd);
    fs.rmSync(`${this.path}.partial`, { force: true });
  }
}

/** The reader's buffer: one chunk (at most 1 MiB) and its head, or one transaction, plus what was read ahead. */
const READ_BUFFER_BYTES = 2 * MAX_SNAPSHOT_CHUNK_BYTES + 16;

export class SnapshotReader {
  readonly header: SnapshotHeader;
  /** The file's size in bytes. */
  readonly fileBytes: number;
  private readonly hash = new Blake2bStream(32);
  // A Uint8Array, not a Buffer: the views handed out must copy on slice() (Buffer's slice does not).
  private readonly buf = new Uint8Array(READ_BUFFER_BYTES);
  private start = 0;
  private end = 0;
  /** Bytes handed out so far (all hashed). */
  private consumed = 0;
  private section: "deleted" | "entries" | "done" = "deleted";
  private closed = false;

  private constructor(private readonly fd: number) {
    this.fileBytes = fs.fstatSync(fd).size;
    this.header = decodeHeader((n) => this.take(n));
    if (this.header.deletedCount === 0) this.section = this.header.entryCount === 0 ? "done" : "entries";
  }

  /** Opens `path` and reads its header (SnapshotError on a bad one; the file is closed then). */
  static open(path: string): SnapshotReader {
    const fd = fs.openSync(path, "r");
    try {
      return new SnapshotReader(fd);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  /** Bytes of the header and body (everything the checksum covers). */
  get contentBytes(): number {
    return this.fileBytes - SNAPSHOT_CHECKSUM_BYTES;
  }

  /** Bytes read so far. */
  get position(): number {
    return this.consumed;
  }

  /** The next `n` bytes (a view, valid until the next call), hashed; ERR_SNAPSHOT_TRUNCATED past the content. */
  private take(n: number): Uint8Array {
    if (this.consumed + n > this.contentBytes) fail(E.TRUNCATED, `the file ends after ${this.fileBytes} bytes, inside a field at byte ${this.consumed}`);
    const out = this.raw(n);
    this.hash.update(out);
    this.consumed += n;
    return out;
  }

  private raw(n: number): Uint8Array {
    if (this.end - this.start < n) {
      this.buf.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
      while (this.end < n) {
        const got = fs.readSync(this.fd, this.buf, this.end, this.buf.length - this.end, null);
        if (got === 0) fail(E.TRUNCATED, `the file ends after ${this.fileBytes} bytes`);
        this.end += got;
      }
    }
    const out = this.buf.subarray(this.start, this.start + n);
    this.start += n;
    return out;
  }

  private *records(withValues: boolean, count: number): Generator<SnapshotEntry> {
    let left = count;
    let last: Uint8Array | undefined;
    const batch: SnapshotEntry[] = [];
    while (left > 0) {
      const head = decodeChunkHead(this.take(8), left);
      const body = this.take(head.bytes);
      batch.length = 0;
      last = decodeChunkBody(body, head.records, withValues, last, (key, value) => batch.push({ key, value: value ?? EMPTY }));
      left -= head.records;
      yield* batch;
    }
  }

  /**
   * The deleted keys (views: copy what you keep), in order; read them all before the entries.
   */
  *deletedKeys(): Generator<Uint8Array> {
    if (this.section !== "deleted") return;
    for (const r of this.records(false, this.header.deletedCount)) yield r.key;
    this.section = this.header.entryCount === 0 ? "done" : "entries";
  }

  /** The entries (views: copy what you keep), in order. */
  *entries(): Generator<SnapshotEntry> {
    if (this.section === "deleted") throw new Error("read the deleted keys first");
    if (this.section !== "entries") return;
    yield* this.records(true, this.header.entryCount);
    this.section = "done";
  }

  /**
   * After the last record: nothing but the checksum may follow, and it must match (ERR_SNAPSHOT_
   * MALFORMED, ERR_SNAPSHOT_CHECKSUM). Returns the checksum and closes the file.
   */
  finish(): Uint8Array {
    try {
      if (this.section !== "done") throw new Error("read every record before finish()");
      if (this.consumed !== this.contentBytes) fail(E.MALFORMED, `${this.contentBytes - this.consumed} bytes after the last record, before the checksum`);
      const stored = this.raw(SNAPSHOT_CHECKSUM_BYTES).slice();
      const computed = this.hash.digest();
      if (!equalBytes(stored, computed)) fail(E.CHECKSUM, "the file's checksum does not match its bytes: damaged in storage or transfer");
      return stored;
    } finally {
      this.close();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }
}

const EMPTY = new Uint8Array(0);
