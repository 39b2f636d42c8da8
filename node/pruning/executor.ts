/**
 * Pruning on the store: what the planner (planner.ts) chose, done in an order that a kill -9 at any
 * point cannot break (docs/storage.md, Pruning).
 *
 * 1. `beginPruning`: one LMDB write records the new solid entry points together with the new
 *    pruning index. The entry points are the transactions confirmed at or below the new index that
 *    a kept transaction (unconfirmed, or confirmed above the index) approves; solidification and
 *    white flag end their walks there, as on a node started from a snapshot.
 * 2. `finishPruning`: milestone by milestone, first the transactions no milestone confirmed that
 *    arrived before the milestone's own transaction (newest first, so that an approver goes before
 *    what it approves), then the transactions the milestone confirmed, are deleted in batches
 *    (body, id, metadata, approvers entries on both sides, issuer index entry, stream index entry),
 *    each batch one write; the last batch of a milestone also empties its record's id list
 *    (keeping the count) and records it as done (`prunedThrough`, `prunedArrivalsBelow`).
 *    Deletions are idempotent: after a crash the store says where they stopped and they go on
 *    from there. Last, one write rewrites the records whose id lists were emptied, unchanged, so
 *    that they fill pages of their own (`repackRecords`).
 *
 * Never confirmed: a transaction that arrived before the pruning index's milestone and that no
 * milestone up to the ledger index confirmed has left the recent window (the planner's walk floor),
 * so tip selection no longer offers it and no new approver can be built on it from the window; it is
 * deleted unless a kept transaction approves it (then the approver's deletion, when it comes, takes
 * it along). It is never an entry point: white flag must not take it for confirmed.
 *
 * Streams: a data record's stream index entry (stream, sequence → id) goes with it, and a stream's
 * entries go from its lowest sequence up: a record whose stream still lists an earlier record that
 * must stay (confirmed above the index, unconfirmed and recent, an entry point) stays too, and goes
 * when that one does. So the index lists, for each stream, every record this node stored from its
 * first listed sequence on (`Store.streamBounds`; getStream reports it, docs/api.md). A stream's
 * newest confirmed record is its head: kept whole (body, id, metadata, index entry) until a later
 * confirmed record of the stream takes its place and a later record of the stream is pruned.
 *
 * Kept whatever their age: the ledger state (unspent outputs, balances, received; a pruned
 * transfer's spent records go with it),
 * every milestone record and milestone transaction (the committee chain is rebuilt from them at
 * open), the solid entry points, and each stream's head. A pruned milestone's transaction moves
 * from `tx` to `keptTx` in the write that finishes its milestone (schema.ts), and its `issuers`
 * entry goes: left among the deleted arrivals, each held most of a page in use on its own.
 */
import { decodeTransaction } from "../../client/protocol/codec";
import { compareBytes, toHex } from "../../client/protocol/bytes";
import { nodePayload } from "../payloads";
import { decodeMeta, keys, readSeq, STATE } from "../storage/schema";
import type { Transaction } from "../../client/protocol/codec";
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

/** Unconfirmed transactions that arrived before this seq were pruned (0: none). */
export function prunedArrivalsBelowOf(store: Store): number {
  return (store.state.get(STATE.prunedArrivalsBelow) as number | undefined) ?? 0;
}

/**
 * Deletes what the milestones above `prunedThrough` up to the pruning index confirmed, and the
 * transactions no milestone confirmed that arrived before them, except what is kept (see the
 * header). Resolves with how many transactions it deleted.
 */
export async function finishPruning(store: Store, o: FinishOptions = {}): Promise<number> {
  const batchSize = Math.max(1, o.batch ?? PRUNING_BATCH);
  const index = pruningIndexOf(store);
  let deleted = 0;
  // Former entry points first (each one write with the list's removal, so nothing is left behind).
  const former = droppedOf(store);
  for (let i = 0; i < former.length; i += batchSize) {
    const batch = former.slice(i, i + batchSize);
    let pass: Pass | undefined;
    await store.root.transaction(() => {
      pass = deleteBatch(store, batch, index, prunedArrivalsBelowOf(store), prunedThroughOf(store));
      const rest = former.slice(i + batchSize);
      if (rest.length) store.state.put(STATE.droppedEntryPoints, rest.map((e) => Buffer.from(e)));
      else store.state.remove(STATE.droppedEntryPoints);
    });
    deleted += report(pass!, o);
    await o.between?.();
  }
  const firstShrunk = prunedThroughOf(store) + 1;
  for (let m = firstShrunk; m <= index; m++) {
    const record = store.getMilestone(m);
    const included = record?.included ?? [];
    // The milestone's own arrival bounds the unconfirmed ones that may go with it.
    const milestoneSeq = record ? store.seqOf(record.id) : undefined;
    const from = prunedArrivalsBelowOf(store);
    const below = Math.max(from, milestoneSeq ?? 0);
    const work = [...unconfirmedArrivals(store, from, below), ...included];
    for (let i = 0; i < work.length || i === 0; i += batchSize) {
      const batch = work.slice(i, i + batchSize);
      const last = i + batchSize >= work.length;
      let pass: Pass | undefined;
      await store.root.transaction(() => {
        // Entries found: approved since the entry points were written (a late arrival on an old parent).
        pass = deleteBatch(store, batch, index, below, m);
        if (last) {
          // The milestone's id list goes with its transactions; the record keeps the header and the count.
          const current = store.getMilestone(m);
          if (current && current.included.length) store.milestones.put(keys.milestone(m), { ...current, included: [], includedCount: current.included.length });
          if (milestoneSeq !== undefined) keepMilestone(store, milestoneSeq);
          store.state.put(STATE.prunedThrough, m);
          if (below > from) store.state.put(STATE.prunedArrivalsBelow, below);
        }
      });
      deleted += report(pass!, o);
      await o.between?.();
    }
  }
  if (firstShrunk <= index) await repackRecords(store, firstShrunk, index);
  return deleted;
}

/**
 * Rewrites the milestone records `from`..`to`, whose id lists were just emptied, unchanged, in one
 * write: deleted, then put back. Emptied in place, a record shrinks from its id list's size (about
 * 1 KB at 20 transactions a milestone) to its header's and stays in its page, which LMDB merges
 * with a neighbour only on a deletion, so the pages of the pruned records were left a fifth full.
 * Deleted, their pages are freed or merged, and put back they fill the pages of the records
 * pruned before them. Measured (bench/pruning/pages.ts, 224 milestones of about 25 ids pruned in
 * steps of 4): 37 pages grown instead of 74. Rewriting 4 or 16 records more behind each step's
 * (so that a write empties a whole page of records emptied over several steps) did no better (36
 * to 42; LMDB keeps a page's lower bound in its parent, so a record put back while its page still
 * holds others goes back there). The content is the same, so a crash before this write leaves
 * only sparser pages.
 */
async function repackRecords(store: Store, from: number, to: number): Promise<void> {
  await store.root.transaction(() => {
    const records = [...store.milestones.getRange({ start: keys.milestone(from), end: keys.milestone(to + 1) })].map(({ key, value }) => ({ key: Buffer.from(key as Buffer), value }));
    for (const { key } of records) store.milestones.remove(key);
    for (const { key, value } of records) store.milestones.put(key, value);
  });
}

/**
 * Inside a write: a pruned milestone's transaction, kept forever, joins the others in `keptTx`,
 * appended densely (schema.ts); its `issuers` entry goes (the milestone is found by its index, and
 * left among the coordinator's pruned checkpoints the entry held a sparse page in use).
 */
function keepMilestone(store: Store, seq: number): void {
  const value = store.storedValueBySeq(seq);
  if (!value) return;
  const id = Uint8Array.from(value.subarray(0, 32));
  const tx = decodeAt(store, seq);
  if (tx) store.issuers.remove(keys.issuer(tx.issuer, tx.timestamp, id));
  store.moveToKept(seq);
}

/** Tells the options' listeners what a batch did; returns how many transactions it deleted. */
function report(pass: Pass, o: FinishOptions): number {
  if (pass.entries.length) o.onEntryPoints?.(pass.entries);
  if (pass.gone.length) o.onDeleted?.(pass.gone);
  return pass.gone.length;
}

/** Ids of the transactions no milestone confirmed (milestones aside) that arrived in [from, below), newest first. */
function unconfirmedArrivals(store: Store, from: number, below: number): Uint8Array[] {
  if (below <= from) return [];
  const out: Uint8Array[] = [];
  for (const { key, value } of store.meta.getRange({ start: keys.seq(from), end: keys.seq(below) })) {
    const seq = readSeq(key as Buffer);
    const m = decodeMeta(seq, value);
    if (m.confirmedBy !== undefined || m.milestoneIndex !== undefined) continue;
    const v = store.storedValueBySeq(seq);
    if (v) out.push(Uint8Array.from(v.subarray(0, 32)));
  }
  return out.reverse();
}

/** One batch's deletions: the rules it applies, and what it did. */
interface Pass {
  /** The pruning index: confirmed at or below it may go. */
  index: number;
  /** Unconfirmed transactions that arrived before this seq may go. */
  arrivalsBelow: number;
  /** The solid entry points (hex), those found by this batch included: never deleted. */
  isEntry: Set<string>;
  /** Ids (hex) deleted. */
  gone: string[];
  /** Transactions found to be entry points (a kept transaction approves them). */
  entries: Uint8Array[];
  /** Records confirmed at or below it are swept along their stream (their milestones' passes are done or under way). */
  sweepThrough: number;
  /** Never-confirmed arrivals (by seq) found to go or to stay, within this batch. */
  doomed: Map<number, boolean>;
}

/**
 * Inside a write: deletes the transactions of `batch` that may go, skipping the entry points; ids
 * deleted go to the pass's `gone`, and those a kept transaction approves are kept as entry points,
 * added to the stored list and to `entries`.
 */
function deleteBatch(store: Store, batch: readonly Uint8Array[], index: number, arrivalsBelow: number, sweepThrough: number): Pass {
  const entry = store.solidEntryPoints();
  const pass: Pass = { index, arrivalsBelow, sweepThrough, isEntry: new Set(entry.map(toHex)), gone: [], entries: [], doomed: new Map() };
  for (const id of batch) pruneTransaction(store, id, pass);
  if (pass.entries.length) store.state.put(STATE.solidEntryPoints, [...entry, ...pass.entries].sort(compareBytes).map((e) => Buffer.from(e)));
  return pass;
}

/**
 * What may happen to the transaction stored at `seq`: deleted, kept, or kept as an entry point (a
 * confirmed one that a kept transaction approves). Milestone transactions are kept.
 */
function verdict(store: Store, seq: number, idHex: string, pass: Pass): "delete" | "kept" | "entry" {
  if (pass.isEntry.has(idHex)) return "kept";
  const meta = store.getMetaBySeq(seq);
  if (!meta || meta.milestoneIndex !== undefined) return "kept";
  if (meta.confirmedBy !== undefined) {
    if (meta.confirmedBy > pass.index) return "kept";
    return keptApprover(store, seq, pass) ? "entry" : "delete";
  }
  // Never confirmed: old enough, and nothing that stays approves it (it is no entry point then).
  return doomed(store, seq, pass) ? "delete" : "kept";
}

/**
 * Whether a transaction that stays approves arrival `seq`: one confirmed above the index, or one
 * never confirmed that is not doomed itself (recent, or approved by one that stays). A milestone
 * transaction counts as confirmed by its own index.
 */
function keptApprover(store: Store, seq: number, pass: Pass): boolean {
  for (const key of store.approvers.getKeys({ start: keys.approver(seq, 0), end: keys.approver(seq + 1, 0) })) {
    const childSeq = readSeq((key as Buffer).subarray(8, 16));
    const child = store.getMetaBySeq(childSeq);
    if (!child) continue;
    const confirmedAt = child.confirmedBy ?? child.milestoneIndex;
    if (confirmedAt !== undefined ? confirmedAt > pass.index : !doomed(store, childSeq, pass)) return true;
  }
  return false;
}

/**
 * Whether the never-confirmed transaction at `seq` may go: it arrived before `arrivalsBelow`, is no
 * entry point, and every approver of it may go too (approvers arrive later, so this ends).
 */
function doomed(store: Store, seq: number, pass: Pass): boolean {
  let v = pass.doomed.get(seq);
  if (v === undefined) {
    const id = store.storedValueBySeq(seq);
    v = seq < pass.arrivalsBelow && !(id && pass.isEntry.has(toHex(id.subarray(0, 32)))) && !keptApprover(store, seq, pass);
    pass.doomed.set(seq, v);
  }
  return v;
}

function addEntry(pass: Pass, id: Uint8Array): void {
  const h = toHex(id);
  if (pass.isEntry.has(h)) return;
  pass.isEntry.add(h);
  pass.entries.push(id);
}

function decodeAt(store: Store, seq: number): Transaction | undefined {
  const value = store.storedValueBySeq(seq);
  const d = value ? decodeTransaction(Uint8Array.from(value.subarray(32))) : undefined;
  return d?.ok ? d.value.tx : undefined;
}

/** The stream index key that lists `id` (undefined: not a data record, or its entry lists another attachment). */
function listedStreamKey(store: Store, tx: Transaction | undefined, id: Uint8Array): Buffer | undefined {
  const indexes = tx ? (nodePayload(tx).indexes?.(tx) ?? []) : [];
  for (const e of indexes) {
    if (e.db !== "streams") continue;
    const v = store.streams.getBinaryFast(e.key);
    if (v && compareBytes(v, id) === 0) return e.key;
  }
  return undefined;
}

/**
 * Inside a write: deletes one transaction if it may go (verdict), and then the never-confirmed
 * transactions it approved that nothing kept approves any more. A data record listed in its
 * stream's index goes through `pruneStream` (lowest sequence first).
 */
function pruneTransaction(store: Store, first: Uint8Array, pass: Pass): void {
  const work = [first];
  while (work.length) {
    const id = work.pop()!;
    const seq = store.seqOf(id);
    if (seq === undefined) continue; // deleted already
    const v = verdict(store, seq, toHex(id), pass);
    if (v === "entry") addEntry(pass, id);
    if (v !== "delete") continue;
    const tx = decodeAt(store, seq);
    const listed = listedStreamKey(store, tx, id);
    if (listed) pruneStream(store, listed, pass, work, { id, seq, tx });
    else removeTransaction(store, seq, id, tx, pass, work);
  }
}

/**
 * Inside a write: deletes the records of the stream of index entry `trigger` from its lowest listed
 * sequence up, while they may go (verdict), stopping at the first that stays, and at its confirmed
 * head. Past the trigger it goes on only through records that no later pass visits (confirmed at
 * or below `sweepThrough`, or never confirmed), so a write stays near its batch's size. Entries
 * whose transaction is not stored (left by a node version that kept the index) are dropped.
 */
function pruneStream(store: Store, trigger: Buffer, pass: Pass, work: Uint8Array[], known: { id: Uint8Array; seq: number; tx: Transaction | undefined }): void {
  const streamId = trigger.subarray(0, 32);
  const end = Buffer.concat([streamId, Buffer.alloc(8, 0xff), Buffer.of(0)]);
  let start = keys.stream(streamId, 0);
  for (;;) {
    let entry: { key: Buffer; id: Uint8Array } | undefined;
    for (const { key, value } of store.streams.getRange({ start, end, limit: 1 })) entry = { key: Buffer.from(key as Buffer), id: Uint8Array.from(value) };
    if (!entry) return;
    const next = Buffer.concat([entry.key, Buffer.of(0)]);
    // The trigger's transaction was looked up and judged "delete" by the caller (pruneTransaction).
    const isTrigger = compareBytes(entry.id, known.id) === 0;
    const seq = isTrigger ? known.seq : store.seqOf(entry.id);
    if (seq !== undefined) {
      const confirmedBy = store.getMetaBySeq(seq)?.confirmedBy;
      // Past the trigger, a record confirmed above `sweepThrough` is judged in its own milestone's
      // pass: this one stops here without judging it (that pass finds the same verdict).
      if (Buffer.compare(entry.key, trigger) > 0 && confirmedBy !== undefined && confirmedBy > pass.sweepThrough) return;
      if (!isTrigger) {
        const v = verdict(store, seq, toHex(entry.id), pass);
        if (v === "entry") addEntry(pass, entry.id);
        if (v !== "delete") return;
      }
      if (confirmedBy !== undefined && isHead(store, next, end)) return; // the stream's head stays
      removeTransaction(store, seq, entry.id, isTrigger ? known.tx : decodeAt(store, seq), pass, work);
    }
    store.streams.remove(entry.key);
    start = next;
  }
}

/** Whether no record listed in [from, end) of a stream is confirmed: a confirmed record before `from` is then the stream's head. */
function isHead(store: Store, from: Buffer, end: Buffer): boolean {
  for (const { value } of store.streams.getRange({ start: from, end })) {
    if (store.getMeta(Uint8Array.from(value))?.confirmedBy !== undefined) return false;
  }
  return true;
}

/**
 * Inside a write: removes a transaction (body, id, metadata, approvers entries as parent and as
 * child, issuer entry; the caller removes its stream index entry). A never-confirmed one's parents
 * go on `work`: nothing kept may approve them any more.
 */
function removeTransaction(store: Store, seq: number, id: Uint8Array, tx: Transaction | undefined, pass: Pass, work: Uint8Array[]): void {
  const seqKey = keys.seq(seq);
  const unconfirmed = store.getMetaBySeq(seq)?.confirmedBy === undefined;
  if (tx) {
    store.issuers.remove(keys.issuer(tx.issuer, tx.timestamp, id));
    // The spent records of its inputs, when it is the spender they name (issue 17; docs/ledger.md 3.2).
    if (tx.payload.type === "transfer") for (const i of tx.payload.inputs) store.removeSpentBy(i.txId, i.index, id);
    for (const p of tx.parents) {
      const ps = store.seqOf(p);
      if (ps === undefined) continue;
      store.approvers.remove(keys.approver(ps, seq));
      if (unconfirmed) work.push(p);
    }
  }
  for (const key of [...store.approvers.getKeys({ start: keys.approver(seq, 0), end: keys.approver(seq + 1, 0) })]) store.approvers.remove(key as Buffer);
  store.tx.remove(seqKey);
  store.meta.remove(seqKey);
  store.ids.remove(Buffer.from(id));
  pass.gone.push(toHex(id));
}

/** Prunes up to `target` (finishing an interrupted pruning first). Resolves with the entry points and how many transactions went. */
export async function pruneTo(store: Store, target: number, o: FinishOptions = {}): Promise<{ entryPoints: Uint8Array[]; deleted: number }> {
  let deleted = await finishPruning(store, o);
  const { entryPoints } = await beginPruning(store, target);
  deleted += await finishPruning(store, o);
  return { entryPoints, deleted };
}
