/**
 * Pruning on the store: what the planner (planner.ts) chose, done in an order that a kill -9 at any
 * point cannot break (docs/storage.md, Pruning).
 *
 * 1. `beginPruning`: one LMDB write records the new solid entry points together with the new
 *    pruning index. The entry points are the transactions confirmed at or below the new index that
 *    a kept transaction (unconfirmed, or confirmed above the index) approves; solidification and
 *    white flag end their walks there, as on a node started from a snapshot.
 * 2. `finishPruning`: the transactions the pruned milestones confirmed are deleted in batches
 *    (body, id, metadata, approvers, issuer index entry), each batch one write; the
 *    last batch of a milestone also empties its record's id list (keeping the count) and records
 *    it as done (`prunedThrough`). Deletions are
 *    idempotent: after a crash the store says where they stopped and they go on from there.
 *
 * Kept whatever their age: the ledger state (unspent outputs, balances, received; a pruned
 * transfer's spent records go with it),
 * every milestone record and milestone transaction (the committee chain is rebuilt from them at
 * open), the solid entry points, and the newest record of each stream (the stream's head). The
 * stream index (stream, sequence → id; 72 bytes a record) is kept too: getStream's page then ends
 * where the bodies were pruned instead of skipping sequences, and a verifier holding inclusion
 * proofs learns which id each pruned sequence had (client/gateway/verify.ts).
 */
import { decodeTransaction } from "../../client/protocol/codec";
import { compareBytes, toHex } from "../../client/protocol/bytes";
import { nodePayload } from "../payloads";
import { keys, readSeq, STATE } from "../storage/schema";
import type { Store } from "../storage/store";

/** Transactions deleted per LMDB write (small, so the node's own writes are not held up long). */
export const PRUNING_BATCH = 256;

/** The pruning index recorded in the store (0: nothing pruned). */
export function pruningIndexOf(store: Store): number {
  return (store.state.get(STATE.pruningIndex) as number | undefined) ?? 0;
}

/** The highest milestone whose transactions were all deleted (at most the pruning index). */
export function prunedThroughOf(store: Store): number {
  return (store.state.get(STATE.prunedThrough) as number | undefined) ?? 0;
}

/**
 * The solid entry points for pruning index `target`: the current ones and the transactions the
 * milestones up to `target` confirmed, those of them confirmed at or below `target` that a kept
 * transaction approves. Current entry points that are not stored here (from a snapshot) stay.
 */
export function entryPointsFor(store: Store, target: number): Uint8Array[] {
  const current = store.solidEntryPoints();
  const candidates = new Map<string, Uint8Array>();
  for (const id of current) candidates.set(toHex(id), id);
  for (let m = prunedThroughOf(store) + 1; m <= target; m++) {
    for (const id of store.getMilestone(m)?.included ?? []) candidates.set(toHex(id), id);
  }
  const out: Uint8Array[] = [];
  for (const id of candidates.values()) {
    const seq = store.seqOf(id);
    if (seq === undefined) {
      if (current.some((c) => compareBytes(c, id) === 0)) out.push(id);
      continue;
    }
    const meta = store.getMetaBySeq(seq);
    if (meta?.confirmedBy === undefined || meta.confirmedBy > target) continue; // kept anyway
    if (hasKeptApprover(store, seq, target)) out.push(id);
  }
  return out.sort(compareBytes);
}

/**
 * Whether a transaction that stays approves arrival `seq`: one unconfirmed, or confirmed above
 * `target`. A milestone transaction counts as confirmed by its own index (white flag ends its paths
 * there; its metadata names no confirming milestone).
 */
function hasKeptApprover(store: Store, seq: number, target: number): boolean {
  for (const key of store.approvers.getKeys({ start: keys.approver(seq, 0), end: keys.approver(seq + 1, 0) })) {
    const child = store.getMetaBySeq(readSeq((key as Buffer).subarray(8, 16)));
    const confirmedAt = child?.confirmedBy ?? child?.milestoneIndex;
    if (child && (confirmedAt === undefined || confirmedAt > target)) return true;
  }
  return false;
}

/**
 * Records the solid entry points for `target` and `target` as the pruning index, in one write.
 * Nothing is deleted here. Resolves with the entry points written.
 */
export async function beginPruning(store: Store, target: number): Promise<{ entryPoints: Uint8Array[]; dropped: Uint8Array[] }> {
  const current = pruningIndexOf(store);
  if (target <= current) return { entryPoints: store.solidEntryPoints(), dropped: [] };
  if (target >= store.ledgerIndex()) throw new RangeError(`pruning index ${target} must be below the ledger index ${store.ledgerIndex()}`);
  if (prunedThroughOf(store) < current) await finishPruning(store);
  let entryPoints: Uint8Array[] = [];
  let dropped: Uint8Array[] = [];
  // Computed inside the write, so no transaction stored meanwhile can approve one left out.
  await store.root.transaction(() => {
    const before = store.solidEntryPoints();
    entryPoints = entryPointsFor(store, target);
    const kept = new Set(entryPoints.map(toHex));
    // Entry points no kept transaction approves any more: deleted by finishPruning like the rest.
    dropped = before.filter((e) => !kept.has(toHex(e)));
    store.state.put(STATE.solidEntryPoints, entryPoints.map((e) => Buffer.from(e)));
    if (dropped.length) store.state.put(STATE.droppedEntryPoints, [...droppedOf(store), ...dropped].map((e) => Buffer.from(e)));
    store.state.put(STATE.pruningIndex, target);
  });
  return { entryPoints, dropped };
}

/** Former entry points recorded for deletion (a crash may leave some). */
function droppedOf(store: Store): Uint8Array[] {
  const v = store.state.get(STATE.droppedEntryPoints) as Uint8Array[] | undefined;
  return v ? v.map((x) => Uint8Array.from(x)) : [];
}

export interface FinishOptions {
  batch?: number;
  /** Called with the ids (hex) of each batch once it is deleted. */
  onDeleted?: (ids: string[]) => void;
  /** Called with the entry points a batch added (approved by a transaction stored after they were chosen). */
  onEntryPoints?: (ids: Uint8Array[]) => void;
  /** Awaited between batches (the running node yields to its event loop here). */
  between?: () => Promise<void>;
}

/**
 * Deletes what the milestones above `prunedThrough` up to the pruning index confirmed, except what
 * is kept (see the header). Resolves with how many transactions it deleted.
 */
export async function finishPruning(store: Store, o: FinishOptions = {}): Promise<number> {
  const batchSize = Math.max(1, o.batch ?? PRUNING_BATCH);
  const index = pruningIndexOf(store);
  let deleted = 0;
  // Former entry points first (each one write with the list's removal, so nothing is left behind).
  const former = droppedOf(store);
  for (let i = 0; i < former.length; i += batchSize) {
    const batch = former.slice(i, i + batchSize);
    const gone: string[] = [];
    const again: Uint8Array[] = [];
    await store.root.transaction(() => {
      deleteBatch(store, batch, index, gone, again); // `again`: approved again meanwhile
      const rest = former.slice(i + batchSize);
      if (rest.length) store.state.put(STATE.droppedEntryPoints, rest.map((e) => Buffer.from(e)));
      else store.state.remove(STATE.droppedEntryPoints);
    });
    deleted += gone.length;
    if (gone.length) o.onDeleted?.(gone);
    if (again.length) o.onEntryPoints?.(again);
    await o.between?.();
  }
  for (let m = prunedThroughOf(store) + 1; m <= index; m++) {
    const included = store.getMilestone(m)?.included ?? [];
    for (let i = 0; i < included.length || i === 0; i += batchSize) {
      const batch = included.slice(i, i + batchSize);
      const last = i + batchSize >= included.length;
      const gone: string[] = [];
      const added: Uint8Array[] = [];
      await store.root.transaction(() => {
        // `added`: approved since the entry points were written (a late arrival on an old parent).
        deleteBatch(store, batch, index, gone, added);
        if (last) {
          // The milestone's id list goes with its transactions; the record keeps the header and the count.
          const record = store.getMilestone(m);
          if (record && record.included.length) store.milestones.put(keys.milestone(m), { ...record, included: [], includedCount: record.included.length });
          store.state.put(STATE.prunedThrough, m);
        }
      });
      if (added.length) o.onEntryPoints?.(added);
      deleted += gone.length;
      if (gone.length) o.onDeleted?.(gone);
      await o.between?.();
    }
  }
  return deleted;
}

/**
 * Inside a write: deletes the transactions of `batch` that may go (deleteTransaction), skipping the
 * entry points; their ids (hex) go to `gone`, and those a kept transaction approves are kept as
 * entry points, added to the stored list and to `entries`.
 */
function deleteBatch(store: Store, batch: readonly Uint8Array[], index: number, gone: string[], entries: Uint8Array[]): void {
  const entry = store.solidEntryPoints();
  const isEntry = new Set(entry.map(toHex));
  for (const id of batch) {
    if (isEntry.has(toHex(id))) continue;
    const r = deleteTransaction(store, id, index);
    if (r === "deleted") gone.push(toHex(id));
    else if (r === "entry") entries.push(id);
  }
  if (entries.length) store.state.put(STATE.solidEntryPoints, [...entry, ...entries].sort(compareBytes).map((e) => Buffer.from(e)));
}

/**
 * Inside a write: deletes one transaction confirmed at or below `index` unless it is kept
 * ("kept"), or a kept transaction approves it ("entry": the caller records it as an entry point).
 */
function deleteTransaction(store: Store, id: Uint8Array, index: number): "deleted" | "kept" | "entry" {
  const seq = store.seqOf(id);
  if (seq === undefined) return "kept"; // deleted already
  const seqKey = keys.seq(seq);
  const meta = store.getMetaBySeq(seq);
  if (meta?.milestoneIndex !== undefined) return "kept"; // milestone transactions are kept
  if (meta?.confirmedBy === undefined || meta.confirmedBy > index) return "kept";
  if (hasKeptApprover(store, seq, index)) return "entry";
  const value = store.tx.getBinaryFast(seqKey);
  const d = value ? decodeTransaction(Uint8Array.from(value.subarray(32))) : undefined;
  const tx = d?.ok ? d.value.tx : undefined;
  const indexes = tx ? (nodePayload(tx).indexes?.(tx) ?? []) : [];
  // A stream's newest record is its head: kept, with its index entry.
  for (const e of indexes) if (e.db === "streams" && isStreamHead(store, e.key)) return "kept";
  if (tx) store.issuers.remove(keys.issuer(tx.issuer, tx.timestamp, id));
  // The spent records of its inputs, when it is the spender they name (issue 17; docs/ledger.md 3.2).
  if (tx?.payload.type === "transfer") for (const i of tx.payload.inputs) store.removeSpentBy(i.txId, i.index, id);
  for (const key of [...store.approvers.getKeys({ start: keys.approver(seq, 0), end: keys.approver(seq + 1, 0) })]) store.approvers.remove(key as Buffer);
  store.tx.remove(seqKey);
  store.meta.remove(seqKey);
  store.ids.remove(Buffer.from(id));
  return "deleted";
}

/** Whether the stream index entry `key` (stream id ‖ sequence) is the newest of its stream. */
function isStreamHead(store: Store, key: Buffer): boolean {
  const end = Buffer.concat([key.subarray(0, 32), Buffer.alloc(8, 0xff), Buffer.of(0)]);
  for (const k of store.streams.getKeys({ start: Buffer.concat([key, Buffer.of(0)]), end, limit: 1 })) if (k) return false;
  return true;
}

/** Prunes up to `target` (finishing an interrupted pruning first). Resolves with the entry points and how many transactions went. */
export async function pruneTo(store: Store, target: number, o: FinishOptions = {}): Promise<{ entryPoints: Uint8Array[]; deleted: number }> {
  let deleted = await finishPruning(store, o);
  const { entryPoints } = await beginPruning(store, target);
  deleted += await finishPruning(store, o);
  return { entryPoints, deleted };
}
