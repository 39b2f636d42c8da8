/**
 * The storage schema: every LMDB sub-database (our key prefixes), its key layout and its value
 * layout, in one place. Multi-part keys are fixed-width byte strings, big-endian where they hold
 * numbers, so LMDB's byte order is the order we iterate in.
 *
 * Transactions and their metadata are keyed by arrival sequence number, so they are appended at
 * the end of their B-trees and the pages a running node touches are the recent ones; the only
 * index keyed by random ids is `ids` (id → seq, 40 bytes an entry). This keeps the database pages
 * a node maps into memory small as the database grows.
 *
 * | db         | key                                   | value                                        |
 * |------------|---------------------------------------|----------------------------------------------|
 * | tx         | seq u64 BE                            | id (32) ‖ serialized transaction             |
 * | keptTx     | seq u64 BE                            | id (32) ‖ serialized transaction: a pruned milestone's (below) |
 * | ids        | id (32)                               | seq u64 BE                                   |
 * | meta       | seq u64 BE                            | received ms u64 LE ‖ confirmed by u32 LE ‖ milestone index u32 LE ‖ conflict (UTF-8; absent when none) |
 * | approvers  | parent seq u64 BE ‖ child seq u64 BE  | empty                                        |
 * | utxo       | tx id (32) ‖ output index u8          | address (32) ‖ amount u64 LE ‖ milestone u32 LE |
 * | spent      | tx id (32) ‖ output index u8          | address (32) ‖ amount u64 LE ‖ milestone u32 LE ‖ spent by (32) |
 * | balances   | address (32)                          | amount u64 LE                                |
 * | received   | address (32)                          | empty: the address ever received a confirmed output (kept when spent) |
 * | milestones | index u32 BE                          | msgpack MilestoneRecord                      |
 * | streams    | stream id (32) ‖ sequence u64 BE      | id (32)                                      |
 * | issuers    | issuer key (32) ‖ timestamp u64 BE ‖ id | empty                                      |
 * | state      | string                                | msgpack (schema version, genesis hash, ledger index, state hash) |
 *
 * In `meta`, 0xffffffff stands for "none" (not confirmed; not a milestone).
 *
 * `keptTx` holds the transactions of milestones that pruning went past (node/pruning/executor.ts
 * moves each one there from `tx` in the write that finishes its milestone), so the transactions
 * kept forever are appended densely in a tree of their own instead of each being left alone in a
 * `tx` page among pruned arrivals (LMDB merges a page only under a quarter full: about 1.5 pages
 * in use a kept milestone, measured). Same key and value as `tx`; an arrival is in one of the two,
 * and the store's readers (Store.getTransactionBytesBySeq, arrivals, ...) look in both. A directory
 * written before keeps its pruned milestones' transactions in `tx`, where they are still read.
 */

export const DB = {
  tx: "tx",
  keptTx: "keptTx",
  ids: "ids",
  meta: "meta",
  approvers: "approvers",
  utxo: "utxo",
  spent: "spent",
  balances: "balances",
  received: "received",
  milestones: "milestones",
  streams: "streams",
  issuers: "issuers",
  state: "state",
} as const;

/**
 * Bumped when a layout above changes; a node refuses a database of another version, except that a
 * schema-2 database is upgraded in place (3 added `received`, filled from `utxo` and `spent`).
 */
export const SCHEMA_VERSION = 3;

/** Keys of the `state` db. */
export const STATE = {
  schemaVersion: "schemaVersion",
  genesisHash: "genesisHash",
  ledgerIndex: "ledgerIndex",
  stateHash: "stateHash",
  /** Ids counted as solid entry points: a snapshot's (node/snapshot/import.ts), a pruned node's (node/pruning/). */
  solidEntryPoints: "solidEntryPoints",
  /** The snapshot milestone a directory was imported at (node/snapshot/import.ts); absent on a node synced from genesis. */
  snapshotIndex: "snapshotIndex",
  /** Milestones at or below it had their transactions pruned or are being pruned (node/pruning/executor.ts). */
  pruningIndex: "pruningIndex",
  /** The highest milestone whose pruning finished (deletions go on from the next after a crash). */
  prunedThrough: "prunedThrough",
  /** Former solid entry points no kept transaction approves any more, to be deleted (node/pruning/executor.ts). */
  droppedEntryPoints: "droppedEntryPoints",
  /** Arrival seq below which unconfirmed transactions were pruned, save those a kept one approves (node/pruning/executor.ts). */
  prunedArrivalsBelow: "prunedArrivalsBelow",
} as const;

export interface TxMeta {
  /** Arrival order (also the key in `arrival`). */
  seq: number;
  receivedMs: number;
  /** Index of the milestone that confirmed it; absent while unconfirmed. */
  confirmedBy?: number;
  /** White-flag conflict reason when the confirming milestone did not apply it. */
  conflict?: string;
  /** For milestones: their index. */
  milestoneIndex?: number;
}

export interface MilestoneRecord {
  index: number;
  id: Uint8Array;
  timestamp: number;
  merkleRoot: Uint8Array;
  stateHash: Uint8Array;
  /** Ids confirmed by it, in white-flag order (kept for replay and audits; emptied when pruned). */
  included: Uint8Array[];
  /** How many it confirmed, once pruning emptied `included` (node/pruning/executor.ts). */
  includedCount?: number;
}

function u64be(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

export const keys = {
  seq: (seq: number) => u64be(seq),
  approver: (parentSeq: number, childSeq: number) => Buffer.concat([u64be(parentSeq), u64be(childSeq)]),
  output: (txId: Uint8Array, index: number) => Buffer.concat([txId, Buffer.of(index)]),
  milestone: (index: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(index);
    return b;
  },
  stream: (streamId: Uint8Array, sequence: number) => Buffer.concat([streamId, u64be(sequence)]),
  issuer: (issuer: Uint8Array, timestamp: number, id: Uint8Array) => Buffer.concat([issuer, u64be(timestamp), id]),
};

export function encodeOutputValue(address: Uint8Array, amount: bigint, milestone: number): Buffer {
  const b = Buffer.alloc(44);
  b.set(address, 0);
  b.writeBigUInt64LE(amount, 32);
  b.writeUInt32LE(milestone, 40);
  return b;
}

export function decodeOutputValue(v: Uint8Array): { address: Uint8Array; amount: bigint; milestone: number } {
  const b = Buffer.from(v.buffer, v.byteOffset, v.length);
  return { address: Uint8Array.from(b.subarray(0, 32)), amount: b.readBigUInt64LE(32), milestone: b.readUInt32LE(40) };
}

export function encodeAmount(amount: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(amount);
  return b;
}

export function encodeSpentValue(address: Uint8Array, amount: bigint, milestone: number, spentBy: Uint8Array): Buffer {
  return Buffer.concat([encodeOutputValue(address, amount, milestone), spentBy]);
}

export function decodeSpentValue(v: Uint8Array): { address: Uint8Array; amount: bigint; milestone: number; spentBy: Uint8Array } {
  return { ...decodeOutputValue(v.subarray(0, 44)), spentBy: Uint8Array.from(v.subarray(44, 76)) };
}

export function decodeAmount(v: Uint8Array): bigint {
  return Buffer.from(v.buffer, v.byteOffset, v.length).readBigUInt64LE(0);
}

const NONE = 0xffffffff;

export function encodeMeta(m: Omit<TxMeta, "seq">): Buffer {
  const conflict = m.conflict ? Buffer.from(m.conflict, "utf8") : Buffer.alloc(0);
  const b = Buffer.alloc(16 + conflict.length);
  b.writeBigUInt64LE(BigInt(m.receivedMs), 0);
  b.writeUInt32LE(m.confirmedBy ?? NONE, 8);
  b.writeUInt32LE(m.milestoneIndex ?? NONE, 12);
  conflict.copy(b, 16);
  return b;
}

export function decodeMeta(seq: number, v: Uint8Array): TxMeta {
  const b = Buffer.from(v.buffer, v.byteOffset, v.length);
  const m: TxMeta = { seq, receivedMs: Number(b.readBigUInt64LE(0)) };
  const confirmedBy = b.readUInt32LE(8);
  const milestoneIndex = b.readUInt32LE(12);
  if (confirmedBy !== NONE) m.confirmedBy = confirmedBy;
  if (milestoneIndex !== NONE) m.milestoneIndex = milestoneIndex;
  if (b.length > 16) m.conflict = b.toString("utf8", 16);
  return m;
}

export function readSeq(v: Uint8Array): number {
  return Number(Buffer.from(v.buffer, v.byteOffset, v.length).readBigUInt64BE(0));
}
