/**
 * The snapshot file format, pure: the header, the chunk and record layouts, their limits and the
 * rules a reader enforces (docs/storage.md, "Snapshot files", is the contract; a stranger's reader
 * is written from that page, test/vectors/tools/gen_snapshot_vectors.py is one). No I/O here: the
 * streaming reader and writer (file.ts) feed these functions the bytes.
 *
 *   header   magic "TNGLSNAP" · u8 format 1 · u8 kind (0 full, 1 delta) · u32 networkId · genesisId 32
 *            · u32 index · ledgerRoot 32 · [delta: u32 baseIndex · baseLedgerRoot 32]
 *            · u32 length + the milestone transaction · u16 changeCount · (u32 length + transaction) × count
 *            · u32 entryPointCount · entry point ids 32 × count · u64 deletedCount · u64 entryCount
 *   body     chunks: u32 recordCount · u32 bodyBytes · body; the deleted keys' chunks, then the entries'
 *   trailer  BLAKE2b-256 of every byte before it
 *
 * All integers little-endian. Records: a deleted key is u8 keyLength · key; an entry is u8 keyLength
 * · key · u16 valueLength · value, in the ledger root's entry encoding (docs/ledger.md 7.1). Keys
 * strictly ascending (unsigned bytes) within each section.
 */
import { compareBytes } from "../../client/protocol/bytes";
import { MAX_TRANSACTION_BYTES } from "../../client/protocol/limits";
import { LedgerEntryKind } from "../../client/protocol/ledger-proof";
import { fail, SnapshotErrorCode as E } from "./errors";

/** The 8 ASCII bytes every snapshot file starts with. */
export const SNAPSHOT_MAGIC = new TextEncoder().encode("TNGLSNAP");
export const SNAPSHOT_FORMAT_VERSION = 1;
export const SnapshotKind = { FULL: 0, DELTA: 1 } as const;
export type SnapshotKind = "full" | "delta";

/** Most committee-change milestones one file carries (u16 count). */
export const MAX_SNAPSHOT_CHANGES = 0xffff;
/** Most solid entry points one file names (u32 count; a window's worth of tips is far fewer). */
export const MAX_SNAPSHOT_ENTRY_POINTS = 1 << 20;
/** Largest chunk body a reader takes; a reader holds one chunk at a time. */
export const MAX_SNAPSHOT_CHUNK_BYTES = 1 << 20;
/** Body size at which our writer closes a chunk (a writer may choose any size up to the maximum). */
export const SNAPSHOT_CHUNK_TARGET_BYTES = 1 << 16;
/** Largest record count of a section: counts are u64 on the wire, kept exact in a JS number. */
export const MAX_SNAPSHOT_RECORDS = Number.MAX_SAFE_INTEGER;
export const SNAPSHOT_CHECKSUM_BYTES = 32;
/** Bytes of an unspent output's entry record (1 + 34 + 2 + 40): the only entry kind of format 1. */
export const OUTPUT_ENTRY_RECORD_BYTES = 77;
/** Bytes of an unspent output's deleted-key record (1 + 34). */
export const OUTPUT_DELETED_RECORD_BYTES = 35;
const OUTPUT_KEY_BYTES = 34;
const OUTPUT_VALUE_BYTES = 40;

export interface SnapshotHeader {
  kind: SnapshotKind;
  networkId: number;
  genesisId: Uint8Array;
  /** The snapshot milestone's index. */
  index: number;
  /** The ledger root the milestone carries (the verifier checks that it does). */
  ledgerRoot: Uint8Array;
  /** A delta's base: the full snapshot's index and ledger root it applies to. */
  base?: { index: number; ledgerRoot: Uint8Array };
  /** The snapshot milestone's transaction bytes. */
  milestone: Uint8Array;
  /** The milestone transactions below `index` that carried a committee change, ascending index. */
  changes: Uint8Array[];
  /**
   * Solid entry points: ids of transactions confirmed at or below `index` that transactions not
   * confirmed by then approve, strictly ascending. Not covered by any signature: a wrong list can
   * keep a node from solidifying or make it halt on a merkle root, never give it a wrong ledger.
   */
  entryPoints: Uint8Array[];
  deletedCount: number;
  entryCount: number;
}

export interface SnapshotEntry {
  key: Uint8Array;
  value: Uint8Array;
}

// ---- little-endian helpers ----------------------------------------------------------------------

const u16 = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8);
const u32 = (b: Uint8Array, at: number) => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + b[at + 3] * 2 ** 24;
const u64 = (b: Uint8Array, at: number) => u32(b, at) + u32(b, at + 4) * 2 ** 32;

function putU16(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
}
function putU32(b: Uint8Array, at: number, v: number): void {
  for (let i = 0; i < 4; i++) b[at + i] = Math.floor(v / 2 ** (8 * i)) & 0xff;
}
function putU64(b: Uint8Array, at: number, v: number): void {
  putU32(b, at, v % 2 ** 32);
  putU32(b, at + 4, Math.floor(v / 2 ** 32));
}

/** Unsigned byte order; a key that is a prefix of another sorts first. */
export const compareKeys = compareBytes;

// ---- header -------------------------------------------------------------------------------------

function checkTxLength(n: number, what: string): void {
  if (n < 1 || n > MAX_TRANSACTION_BYTES) fail(E.MALFORMED, `${what} of ${n} bytes, outside 1..${MAX_TRANSACTION_BYTES}`);
}

/** The header's bytes. Throws SnapshotError (ERR_SNAPSHOT_MALFORMED) on a field out of range. */
export function encodeHeader(h: SnapshotHeader): Uint8Array {
  if (h.genesisId.length !== 32 || h.ledgerRoot.length !== 32) fail(E.MALFORMED, "genesisId and ledgerRoot must be 32 bytes");
  if (!Number.isInteger(h.index) || h.index < 1 || h.index > 0xffffffff) fail(E.MALFORMED, `milestone index ${h.index}`);
  if ((h.kind === "delta") !== (h.base !== undefined)) fail(E.MALFORMED, "a delta names its base, a full snapshot none");
  if (h.base && (h.base.index < 1 || h.base.index >= h.index || h.base.ledgerRoot.length !== 32)) fail(E.MALFORMED, `base index ${h.base.index} for milestone ${h.index}`);
  if (h.kind === "full" && h.deletedCount !== 0) fail(E.MALFORMED, "a full snapshot deletes nothing");
  if (h.changes.length > MAX_SNAPSHOT_CHANGES) fail(E.MALFORMED, `${h.changes.length} committee changes, more than ${MAX_SNAPSHOT_CHANGES}`);
  checkTxLength(h.milestone.length, "milestone transaction");
  h.changes.forEach((c, i) => checkTxLength(c.length, `committee change ${i}`));
  if (h.entryPoints.length > MAX_SNAPSHOT_ENTRY_POINTS) fail(E.MALFORMED, `${h.entryPoints.length} entry points, more than ${MAX_SNAPSHOT_ENTRY_POINTS}`);
  h.entryPoints.forEach((e, i) => {
    if (e.length !== 32 || (i > 0 && compareKeys(h.entryPoints[i - 1], e) >= 0)) fail(E.MALFORMED, "entry points must be 32-byte ids in strictly ascending order");
  });
  const size = 8 + 2 + 4 + 32 + 4 + 32 + (h.base ? 36 : 0) + 4 + h.milestone.length + 2 + h.changes.reduce((s, c) => s + 4 + c.length, 0) + 4 + 32 * h.entryPoints.length + 16;
  const b = new Uint8Array(size);
  let at = 0;
  b.set(SNAPSHOT_MAGIC, at);
  at += 8;
  b[at++] = SNAPSHOT_FORMAT_VERSION;
  b[at++] = h.kind === "full" ? SnapshotKind.FULL : SnapshotKind.DELTA;
  putU32(b, at, h.networkId);
  b.set(h.genesisId, (at += 4));
  putU32(b, (at += 32), h.index);
  b.set(h.ledgerRoot, (at += 4));
  at += 32;
  if (h.base) {
    putU32(b, at, h.base.index);
    b.set(h.base.ledgerRoot, at + 4);
    at += 36;
  }
  putU32(b, at, h.milestone.length);
  b.set(h.milestone, (at += 4));
  at += h.milestone.length;
  putU16(b, at, h.changes.length);
  at += 2;
  for (const c of h.changes) {
    putU32(b, at, c.length);
    b.set(c, (at += 4));
    at += c.length;
  }
  putU32(b, at, h.entryPoints.length);
  at += 4;
  for (const e of h.entryPoints) {
    b.set(e, at);
    at += 32;
  }
  putU64(b, at, h.deletedCount);
  putU64(b, at + 8, h.entryCount);
  return b;
}

/**
 * Reads a header through `take(n)` (the next n bytes of the file; it throws
 * ERR_SNAPSHOT_TRUNCATED when the file ends first). Throws ERR_SNAPSHOT_MALFORMED on any field out
 * of its range.
 */
export function decodeHeader(take: (n: number) => Uint8Array): SnapshotHeader {
  const magic = take(8);
  if (compareKeys(magic, SNAPSHOT_MAGIC) !== 0) fail(E.MALFORMED, "not a snapshot file (the first 8 bytes are not TNGLSNAP)");
  const [version, kindByte] = take(2);
  if (version !== SNAPSHOT_FORMAT_VERSION) fail(E.MALFORMED, `snapshot format ${version}, this node reads ${SNAPSHOT_FORMAT_VERSION}`);
  if (kindByte !== SnapshotKind.FULL && kindByte !== SnapshotKind.DELTA) fail(E.MALFORMED, `snapshot kind ${kindByte}, not 0 (full) or 1 (delta)`);
  const kind: SnapshotKind = kindByte === SnapshotKind.FULL ? "full" : "delta";
  const networkId = u32(take(4), 0);
  const genesisId = Uint8Array.from(take(32));
  const index = u32(take(4), 0);
  if (index < 1) fail(E.MALFORMED, "milestone index 0");
  const ledgerRoot = Uint8Array.from(take(32));
  let base: SnapshotHeader["base"];
  if (kind === "delta") {
    const baseIndex = u32(take(4), 0);
    if (baseIndex < 1 || baseIndex >= index) fail(E.MALFORMED, `delta base index ${baseIndex}, not in 1..${index - 1}`);
    base = { index: baseIndex, ledgerRoot: Uint8Array.from(take(32)) };
  }
  const msLength = u32(take(4), 0);
  checkTxLength(msLength, "milestone transaction");
  const milestone = Uint8Array.from(take(msLength));
  const changeCount = u16(take(2), 0);
  const changes: Uint8Array[] = [];
  for (let i = 0; i < changeCount; i++) {
    const n = u32(take(4), 0);
    checkTxLength(n, `committee change ${i}`);
    changes.push(Uint8Array.from(take(n)));
  }
  const entryPointCount = u32(take(4), 0);
  if (entryPointCount > MAX_SNAPSHOT_ENTRY_POINTS) fail(E.MALFORMED, `${entryPointCount} entry points, more than ${MAX_SNAPSHOT_ENTRY_POINTS}`);
  const entryPoints: Uint8Array[] = [];
  for (let i = 0; i < entryPointCount; i++) {
    const e = Uint8Array.from(take(32));
    if (i > 0 && compareKeys(entryPoints[i - 1], e) >= 0) fail(E.MALFORMED, "entry points not strictly ascending");
    entryPoints.push(e);
  }
  const counts = take(16);
  const deletedCount = u64(counts, 0);
  const entryCount = u64(counts, 8);
  for (const [what, n] of [["deleted", deletedCount], ["entry", entryCount]] as const) {
    if (n > MAX_SNAPSHOT_RECORDS) fail(E.MALFORMED, `${what} count ${n} above 2^53 - 1`);
  }
  if (kind === "full" && deletedCount !== 0) fail(E.MALFORMED, `a full snapshot with ${deletedCount} deleted keys`);
  return { kind, networkId, genesisId, index, ledgerRoot, ...(base ? { base } : {}), milestone, changes, entryPoints, deletedCount, entryCount };
}

// ---- chunks and records -------------------------------------------------------------------------

/** A chunk's 8-byte head: record count and body length, each checked against what is left. */
export function decodeChunkHead(head: Uint8Array, recordsLeft: number): { records: number; bytes: number } {
  const records = u32(head, 0);
  const bytes = u32(head, 4);
  if (records < 1 || records > recordsLeft) fail(E.MALFORMED, `a chunk of ${records} records where ${recordsLeft} are left in its section`);
  if (bytes < 1 || bytes > MAX_SNAPSHOT_CHUNK_BYTES) fail(E.MALFORMED, `a chunk body of ${bytes} bytes, outside 1..${MAX_SNAPSHOT_CHUNK_BYTES}`);
  return { records, bytes };
}

export function encodeChunkHead(records: number, bytes: number): Uint8Array {
  const b = new Uint8Array(8);
  putU32(b, 0, records);
  putU32(b, 4, bytes);
  return b;
}

/**
 * The entry kinds format 1 knows, with their rules: an unspent output (docs/ledger.md 7.1) has a
 * 34-byte key, a 40-byte value and an amount of at least 1. Other kinds are reserved: refused.
 */
function checkEntry(key: Uint8Array, value: Uint8Array | undefined): void {
  if (key[0] !== LedgerEntryKind.UNSPENT_OUTPUT) fail(E.MALFORMED, `an entry of kind 0x${key[0].toString(16).padStart(2, "0")}: format ${SNAPSHOT_FORMAT_VERSION} knows unspent outputs (0x01) only`);
  if (key.length !== OUTPUT_KEY_BYTES) fail(E.MALFORMED, `an unspent output's key of ${key.length} bytes, not ${OUTPUT_KEY_BYTES}`);
  if (value === undefined) return;
  if (value.length !== OUTPUT_VALUE_BYTES) fail(E.MALFORMED, `an unspent output's value of ${value.length} bytes, not ${OUTPUT_VALUE_BYTES}`);
  if (u64(value, 32) === 0) fail(E.MALFORMED, "an unspent output of amount 0");
}

/**
 * Calls `each` with the records of one chunk body (views into `body`: copy what you keep), checking
 * each record, the count, that keys ascend strictly after `previous`, and that the body holds
 * exactly those records. Returns the last key (a copy). `withValues`: entries; else deleted keys.
 */
export function decodeChunkBody(body: Uint8Array, records: number, withValues: boolean, previous: Uint8Array | undefined, each: (key: Uint8Array, value: Uint8Array | undefined) => void): Uint8Array {
  let at = 0;
  let last = previous;
  for (let r = 0; r < records; r++) {
    if (at + 1 > body.length) fail(E.MALFORMED, `a chunk body ends after ${r} of its ${records} records`);
    const kl = body[at++];
    if (kl === 0) fail(E.MALFORMED, "an empty entry key");
    if (at + kl > body.length) fail(E.MALFORMED, `a chunk body ends inside record ${r}`);
    const key = body.subarray(at, (at += kl));
    let value: Uint8Array | undefined;
    if (withValues) {
      if (at + 2 > body.length) fail(E.MALFORMED, `a chunk body ends inside record ${r}`);
      const vl = u16(body, at);
      at += 2;
      if (at + vl > body.length) fail(E.MALFORMED, `a chunk body ends inside record ${r}`);
      value = body.subarray(at, (at += vl));
    }
    checkEntry(key, value);
    if (last && compareKeys(last, key) >= 0) fail(E.MALFORMED, `${withValues ? "entry" : "deleted"} keys not strictly ascending (a key repeats or comes after a larger one)`);
    last = key;
    each(key, value);
  }
  if (at !== body.length) fail(E.MALFORMED, `${body.length - at} bytes after the ${records} records of a chunk`);
  return last === previous ? previous! : Uint8Array.from(last!);
}

/** Appends an entry record (key, value) at `at` of `into`; returns the new end. */
export function putEntryRecord(into: Uint8Array, at: number, key: Uint8Array, value: Uint8Array): number {
  into[at++] = key.length;
  into.set(key, at);
  at += key.length;
  putU16(into, at, value.length);
  into.set(value, (at += 2));
  return at + value.length;
}

/** Appends a deleted-key record at `at` of `into`; returns the new end. */
export function putDeletedRecord(into: Uint8Array, at: number, key: Uint8Array): number {
  into[at++] = key.length;
  into.set(key, at);
  return at + key.length;
}
