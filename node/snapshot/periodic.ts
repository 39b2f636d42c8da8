/**
 * A running node's full snapshots (`tangle node --snapshot-interval S`): after every S-th applied
 * milestone, `<data>/snapshots/full-<N>.snap`, keeping the newest two (docs/storage.md, "Snapshot
 * files", Writing from a running node). With `--snapshot-delta-interval D` also, after every D-th
 * milestone that is not a full one, `<data>/snapshots/delta-<B>-<N>.snap`: the changes from the
 * newest full file B to N, keeping the newest two deltas of that base (a delta whose base is gone
 * goes with it). A delta costs 35 bytes per output spent and 77 per output created since B, where
 * a full file costs 77 per unspent output.
 *
 * The node goes on while a file is written: everything is read in one LMDB read transaction (the
 * ledger index, the milestone records, the `utxo` table), so the file is the state at N even while
 * later milestones apply, and the loop yields to the event loop every few thousand entries; of the
 * milestone records and the metadata it reads only what is new since the file before it
 * (LiveSnapshotCursor), so neither its reads nor its heap grow with the history. Unlike
 * `tangle snapshot create` it does not recompute the ledger root (at a million entries that is
 * seconds of one core the node needs); a file is never trusted for having been written, every
 * verifier and importer recomputes the root. At most one file is written at a time: a milestone that
 * falls due while one is under way is skipped, and the next due one is written.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { decodeTransaction } from "../../client/protocol/codec";
import { toHex } from "../../client/protocol/bytes";
import { outputEntryKey, outputEntryValue } from "../../client/protocol/ledger-proof";
import { Genesis, genesisTransactionId } from "../ledger/genesis";
import { decodeOutputValue, keys, STATE } from "../storage/schema";
import type { Store } from "../storage/store";
import type { Transaction as LmdbTransaction } from "lmdb";
import { fail, SnapshotErrorCode as E } from "./errors";
import { SnapshotWriter } from "./file";
import type { SnapshotEntry } from "./format";
import { EntryPointCursor, solidEntryPoints } from "./entry-points";
import { DeltaHeaderStart, writeDeltaFile } from "./delta";

/** Entries written between two yields to the event loop. */
const YIELD_EVERY = 4096;
/** Files kept in the snapshot directory (the newest). */
export const SNAPSHOTS_KEPT = 2;

export interface PeriodicSnapshotOptions {
  store: Store;
  genesis: Genesis;
  /** Where the files go (created when needed). */
  dir: string;
  /** Every this many milestones (index divisible by it). */
  interval: number;
  /** Also a delta against the newest full file every this many milestones (0 or absent: none). */
  deltaInterval?: number;
  /** Told of each file written or failed. */
  log(event: "written" | "failed" | "skipped", details: Record<string, unknown>): void;
}

export interface WrittenSnapshot {
  file: string;
  kind: "full" | "delta";
  /** A delta's base index. */
  base?: number;
  index: number;
  ledgerRoot: string;
  entries: number;
  /** A delta's deleted keys. */
  deleted?: number;
  bytes: number;
  ms: number;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A file name's kind and indexes: full-<N>.snap, delta-<B>-<N>.snap. */
export function snapshotFileName(name: string): { kind: "full"; index: number } | { kind: "delta"; base: number; index: number } | undefined {
  const f = /^full-(\d+)\.snap$/.exec(name);
  if (f) return { kind: "full", index: Number(f[1]) };
  const d = /^delta-(\d+)-(\d+)\.snap$/.exec(name);
  return d ? { kind: "delta", base: Number(d[1]), index: Number(d[2]) } : undefined;
}

/**
 * What a node's earlier live snapshots read that holds for every later one, so that each file reads
 * what is new since the one before, not the history (one per store; node/snapshot/entry-points.ts):
 * the entry points' cursor over the metadata table, and the milestone records read so far with the
 * committee changes among them (applied milestones never change). Before it each file read every
 * milestone record into one array, each with the ids its milestone confirmed: the whole confirmed
 * history in the heap while the file was written, which on an archive node under load grew until
 * the node ran out of heap (docs/operations.md, Memory).
 */
export class LiveSnapshotCursor {
  readonly entryPoints = new EntryPointCursor();
  /** Milestone records below this index were read (the next read starts here). */
  changesFrom = 1;
  /** The transactions of the milestones below `changesFrom` that carry a committee change, by index. */
  readonly changes = new Map<number, Uint8Array>();
  /** Milestone records the last file read to find committee changes. */
  recordsRead = 0;
}

/**
 * Writes a full snapshot of `store` at its ledger index as of now, reading in one read transaction
 * while the node goes on. Resolves once the file is synced and in place. With `deltaFrom` (a full
 * snapshot file of this network below the ledger index) it writes the delta from that file instead.
 * With `cursor` (the one of this store's earlier files) it reads only what is new since them.
 */
export async function writeLiveSnapshot(store: Store, genesis: Genesis, out: string, deltaFrom?: string, cursor = new LiveSnapshotCursor()): Promise<WrittenSnapshot> {
  const t0 = performance.now();
  const txn = store.root.useReadTransaction();
  try {
    const index = (store.state.get(STATE.ledgerIndex, { transaction: txn }) as number | undefined) ?? 0;
    if (index === 0) fail(E.NO_MILESTONE, "no milestone applied yet");
    const txOf = (i: number, id: Uint8Array): Uint8Array => {
      const bytes = store.getTransactionBytes(id); // milestone transactions never change once stored
      if (!bytes) fail(E.MILESTONE, `no transaction stored for milestone ${i}`);
      return bytes;
    };
    const last = store.milestones.get(keys.milestone(index), { transaction: txn });
    if (!last || last.index !== index) fail(E.MILESTONE, `no record of milestone ${index}`);
    const milestone = txOf(index, last.id);
    const d = decodeTransaction(milestone);
    if (!d.ok || d.value.tx.payload.type !== "milestone") fail(E.MILESTONE, `the stored milestone ${index} does not decode as a milestone`);
    // The committee changes below N: the records since the last file's (one at a time, never the
    // history at once), added to those found before.
    if (cursor.changesFrom > index) {
      cursor.changes.clear(); // a cursor of a later milestone (not expected): read them all again
      cursor.changesFrom = 1;
    }
    let recordsRead = 0;
    for (const { value: r } of store.milestones.getRange({ start: keys.milestone(cursor.changesFrom), end: keys.milestone(index), transaction: txn })) {
      recordsRead++;
      const bytes = txOf(r.index, r.id);
      const c = decodeTransaction(bytes);
      if (c.ok && c.value.tx.payload.type === "milestone" && c.value.tx.payload.committeeChange) cursor.changes.set(r.index, bytes);
      if (recordsRead % YIELD_EVERY === 0) await nextTurn();
    }
    cursor.changesFrom = index;
    cursor.recordsRead = recordsRead;
    const changes = [...cursor.changes].sort((a, b) => a[0] - b[0]).map(([, bytes]) => bytes);
    const entryPoints = await solidEntryPoints(store, index, txn, true, cursor.entryPoints);
    const ledgerRoot = d.value.tx.payload.ledgerRoot;
    const header = { networkId: genesis.networkId, genesisId: genesisTransactionId(genesis), index, ledgerRoot, milestone, changes, entryPoints };
    if (deltaFrom) return await writeLiveDelta(store, txn, header, deltaFrom, out, t0);
    const count = store.utxo.getCount({ transaction: txn });
    const w = SnapshotWriter.create(out, { ...header, kind: "full", deletedCount: 0, entryCount: count });
    try {
      let n = 0;
      for (const { key, value } of store.utxo.getRange({ transaction: txn })) {
        const k = key as Buffer;
        const o = decodeOutputValue(value);
        w.addEntry(outputEntryKey(k.subarray(0, 32), k[32]), outputEntryValue(o.address, o.amount));
        if (++n % YIELD_EVERY === 0) await nextTurn();
      }
      const { bytes } = w.finish();
      return { file: out, kind: "full", index, ledgerRoot: toHex(ledgerRoot), entries: count, bytes, ms: Math.round(performance.now() - t0) };
    } catch (err) {
      w.abort();
      throw err;
    }
  } finally {
    txn.done();
  }
}

/** The `utxo` table in the read transaction, as snapshot entries in key order, yielding to the event loop now and then. */
async function* liveEntries(store: Store, txn: LmdbTransaction): AsyncGenerator<SnapshotEntry> {
  let n = 0;
  for (const { key, value } of store.utxo.getRange({ transaction: txn })) {
    const k = key as Buffer;
    const o = decodeOutputValue(value);
    yield { key: outputEntryKey(k.subarray(0, 32), k[32]), value: outputEntryValue(o.address, o.amount) };
    if (++n % YIELD_EVERY === 0) await nextTurn();
  }
}

/** The delta from the full file `baseFile` to the `utxo` table in `txn` (delta.ts; header: milestone N's). */
async function writeLiveDelta(store: Store, txn: LmdbTransaction, h: DeltaHeaderStart, baseFile: string, out: string, t0: number): Promise<WrittenSnapshot> {
  const d = await writeDeltaFile(out, h, baseFile, () => liveEntries(store, txn));
  return { file: out, kind: "delta", base: d.base.index, index: h.index, ledgerRoot: toHex(h.ledgerRoot), entries: d.set, deleted: d.deleted, bytes: d.bytes, ms: Math.round(performance.now() - t0) };
}

export class PeriodicSnapshots {
  private writing?: Promise<void>;
  private closed = false;
  /** What the files written so far read that holds for the next (one file at a time uses it). */
  private readonly cursor = new LiveSnapshotCursor();

  constructor(private readonly o: PeriodicSnapshotOptions) {
    if (!Number.isInteger(o.interval) || o.interval < 1) throw new RangeError(`snapshot interval ${o.interval}`);
    const d = o.deltaInterval ?? 0;
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`snapshot delta interval ${d}`);
  }

  /** Call with each applied milestone's index. */
  readonly onMilestone = (e: { index: number }): void => {
    if (this.closed) return;
    const full = e.index % this.o.interval === 0;
    const delta = !full && (this.o.deltaInterval ?? 0) > 0 && e.index % this.o.deltaInterval! === 0;
    if (!full && !delta) return;
    if (this.writing) {
      this.o.log("skipped", { index: e.index, kind: full ? "full" : "delta", reason: "the previous snapshot is still being written" });
      return;
    }
    this.writing = (full ? this.write(e.index) : this.writeDelta(e.index)).finally(() => (this.writing = undefined));
  };

  /** The files in the directory, parsed from their names. */
  private files(): ({ f: string } & NonNullable<ReturnType<typeof snapshotFileName>>)[] {
    return fs.readdirSync(this.o.dir).flatMap((f) => {
      const m = snapshotFileName(f);
      return m ? [{ f, ...m }] : [];
    });
  }

  private async write(due: number): Promise<void> {
    const file = path.join(this.o.dir, `full-${due}.snap`);
    try {
      fs.mkdirSync(this.o.dir, { recursive: true });
      // Due at `due`; the index actually written is the ledger's when the read begins (it may have moved on).
      const w = await writeLiveSnapshot(this.o.store, this.o.genesis, file, undefined, this.cursor);
      const named = path.join(this.o.dir, `full-${w.index}.snap`);
      if (named !== file) fs.renameSync(file, named);
      this.o.log("written", { ...w, file: named });
      this.prune();
    } catch (err) {
      this.o.log("failed", { index: due, err: (err as Error).message, code: (err as { code?: unknown }).code });
    }
  }

  /** A delta from the newest full file (none yet: nothing to do). */
  private async writeDelta(due: number): Promise<void> {
    let file: string | undefined;
    try {
      const base = fs.existsSync(this.o.dir) ? this.files().filter((x) => x.kind === "full" && x.index < due).sort((a, b) => b.index - a.index)[0] : undefined;
      if (!base) return;
      file = path.join(this.o.dir, `delta-${base.index}-${due}.snap`);
      const w = await writeLiveSnapshot(this.o.store, this.o.genesis, file, path.join(this.o.dir, base.f), this.cursor);
      const named = path.join(this.o.dir, `delta-${base.index}-${w.index}.snap`);
      if (named !== file) fs.renameSync(file, named);
      this.o.log("written", { ...w, file: named });
      this.prune();
    } catch (err) {
      this.o.log("failed", { index: due, kind: "delta", err: (err as Error).message, code: (err as { code?: unknown }).code });
    }
  }

  /** Keeps the newest SNAPSHOTS_KEPT full files and the newest SNAPSHOTS_KEPT deltas on each of them (by index). */
  private prune(): void {
    const files = this.files().sort((a, b) => b.index - a.index);
    const fulls = files.filter((x) => x.kind === "full");
    const kept = new Set(fulls.slice(0, SNAPSHOTS_KEPT).map((x) => x.index));
    for (const { f } of fulls.slice(SNAPSHOTS_KEPT)) fs.rmSync(path.join(this.o.dir, f), { force: true });
    const deltasOf = new Map<number, number>();
    for (const x of files) {
      if (x.kind !== "delta") continue;
      const n = deltasOf.get(x.base) ?? 0;
      deltasOf.set(x.base, n + 1);
      if (!kept.has(x.base) || n >= SNAPSHOTS_KEPT) fs.rmSync(path.join(this.o.dir, x.f), { force: true });
    }
  }

  /** Stops taking new work and waits for the file under way (before the store closes). */
  async close(): Promise<void> {
    this.closed = true;
    await this.writing;
  }
}
