/**
 * Solid entry points of a snapshot at milestone N (docs/storage.md, "Snapshot files"): the stored
 * transactions confirmed at or below N that a stored transaction not confirmed by N approves
 * directly, and every transaction the milestones N - ENTRY_POINT_MILESTONES + 1 … N confirmed (and
 * those milestones below N): tip selection on a node with the whole history still returns those
 * (a confirmed tip turns lazy only C1 = 8 milestones after it was confirmed, and nothing older than
 * M = 15; docs/tip-selection.md), so a transaction arriving after the file was written may approve
 * one that no stored transaction approved when it was written. A node started from the snapshot has none of the transactions below N; with these
 * counted as entry points (TangleNode.isEntryPoint), the transactions that arrived after N and
 * those attached to them solidify there, and white flag ends its paths at them as at any confirmed
 * transaction, exactly where a node with the whole history ends them.
 *
 * Both parts read the store's own solid entry points too (a snapshot import's, a pruned node's):
 * they stand for transactions the store no longer holds, or holds without the milestone id lists
 * that name them. One a stored transaction not confirmed by N approves is named like any stored
 * parent; one confirmed within the last 15 milestones (by its metadata; for an import's, which are
 * not stored, when the import's milestone is within them) is named as the id lists would name it.
 * Without this a node started from a snapshot wrote files without the entry points its own import
 * gave it, and a node booting from such a file could not solidify what approved them.
 */
import type { Transaction as LmdbTransaction } from "lmdb";
import { decodeTransaction } from "../../client/protocol/codec";
import { decodeMeta, keys, readSeq, STATE } from "../storage/schema";
import type { Store } from "../storage/store";
import { compareKeys, MAX_SNAPSHOT_ENTRY_POINTS } from "./format";

/** Milestones whose confirmed transactions are all entry points: TIP-3's below-max-depth M (docs/tip-selection.md). */
export const ENTRY_POINT_MILESTONES = 15;
/** Rows read between two yields to the event loop (a running node's writer). */
const YIELD_EVERY = 4096;

/**
 * What one call read of a store's metadata table that the next call at the same or a later
 * milestone may take as read (a running node's periodic snapshots, node/snapshot/periodic.ts): a
 * row that was confirmed at or below the earlier milestone stays so (confirmations are final and
 * rows are only ever deleted), so only the rows stored since and those that were unconfirmed then
 * are read again. Arrivals are numbered and committed in order (one write queue), so the rows a
 * read transaction sees are all those below the highest seq it sees. Without it every file read
 * the whole table, O(history) every `--snapshot-interval` milestones on an archive node.
 */
export class EntryPointCursor {
  /** The arrival seq the next call reads from: every row below it was read by an earlier call. */
  from = 0;
  /** The milestone index of the last call. */
  index = 0;
  /** Arrival seqs below `from` that were not confirmed by `index` when read. */
  unconfirmed: number[] = [];
  /** Metadata rows the last call read (range rows and the unconfirmed ones read again). */
  rowsRead = 0;
}

/**
 * The entry points of `store` at milestone `index`, ascending. Reads in `txn` when given (a running
 * node's snapshot), yielding to the event loop every few thousand rows when `yieldTurns`. With
 * `cursor` (from the previous call on this store) it reads only the metadata rows stored since
 * that call and those unconfirmed then, and moves the cursor on; the answer is the same.
 */
export async function solidEntryPoints(store: Store, index: number, txn?: LmdbTransaction, yieldTurns = false, cursor?: EntryPointCursor): Promise<Uint8Array[]> {
  const opts = txn ? { transaction: txn } : {};
  const confirmedBy = (seq: number): number | undefined => {
    const m = store.meta.get(keys.seq(seq), opts);
    return m ? decodeMeta(seq, m).confirmedBy : undefined;
  };
  const found = new Map<string, Uint8Array>();
  // The store's own entry points (an import's, a pruned node's), by id.
  const inherited = new Map<string, Uint8Array>();
  for (const e of (store.state.get(STATE.solidEntryPoints, opts) as Uint8Array[] | undefined) ?? []) inherited.set(Buffer.from(e).toString("hex"), Uint8Array.from(e));
  // A cursor of a later milestone than this one (not expected) is no help: everything is read.
  const start = cursor && cursor.index <= index ? cursor : undefined;
  const unconfirmed: number[] = [];
  let n = 0;
  /** Names the parents of the stored transaction at `seq` when it is not confirmed by `index`. */
  const visit = (seq: number, value: Buffer): void => {
    n++;
    const c = decodeMeta(seq, value).confirmedBy;
    if (c !== undefined && c <= index) return;
    unconfirmed.push(seq);
    const stored = store.storedValueBySeq(seq, opts);
    const d = stored ? decodeTransaction(Uint8Array.from(stored.subarray(32))) : undefined;
    if (!d?.ok) return;
    for (const p of d.value.tx.parents) {
      const ps = store.ids.get(Buffer.from(p), opts);
      if (!ps) {
        // Not stored: an import's entry point (confirmed at or below the import, so below N), or the zero or genesis id.
        const hex = Buffer.from(p).toString("hex");
        if (inherited.has(hex)) found.set(hex, inherited.get(hex)!);
        continue;
      }
      const pc = confirmedBy(readSeq(ps));
      if (pc !== undefined && pc <= index) found.set(Buffer.from(p).toString("hex"), Uint8Array.from(p));
    }
  };
  const turn = async () => {
    if (yieldTurns && n % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  for (const seq of start?.unconfirmed ?? []) {
    const value = store.meta.get(keys.seq(seq), opts); // gone: pruned since
    if (value) visit(seq, value);
    await turn();
  }
  let next = start?.from ?? 0;
  for (const { key, value } of store.meta.getRange({ start: keys.seq(next), ...opts })) {
    const seq = readSeq(key as Buffer);
    visit(seq, value);
    next = seq + 1;
    await turn();
  }
  if (cursor) Object.assign(cursor, { from: next, index, unconfirmed, rowsRead: n });
  // What the last milestones confirmed: the inherited entry points among it first (the id lists
  // that would name them are pruned, or were never here below an import)…
  const low = Math.max(1, index - ENTRY_POINT_MILESTONES + 1);
  const importedAt = store.state.get(STATE.snapshotIndex, opts) as number | undefined;
  for (const [hex, id] of inherited) {
    const seq = store.ids.get(Buffer.from(id), opts);
    let confirmedAt: number | undefined;
    if (seq) {
      const m = store.meta.get(keys.seq(readSeq(seq)), opts);
      const meta = m ? decodeMeta(readSeq(seq), m) : undefined;
      confirmedAt = meta?.confirmedBy ?? meta?.milestoneIndex;
    } else confirmedAt = importedAt ?? index; // an import's: at or below its milestone (not recorded by older imports: counted in)
    if (confirmedAt !== undefined && confirmedAt >= low && confirmedAt <= index) found.set(hex, id);
  }
  // …then the milestones' id lists (none below an import, emptied where pruned), newest first,
  // within the format's bound on the count.
  const recent = [...store.milestones.getRange({ start: keys.milestone(low), end: keys.milestone(index + 1), ...opts })].reverse();
  for (const { value } of recent) {
    if (found.size + value.included.length + 1 > MAX_SNAPSHOT_ENTRY_POINTS) break;
    for (const id of value.included) found.set(Buffer.from(id).toString("hex"), Uint8Array.from(id));
    if (value.index < index) found.set(Buffer.from(value.id).toString("hex"), Uint8Array.from(value.id));
  }
  return [...found.values()].sort(compareKeys);
}
