/**
 * A running node's full snapshots (`tangle node --snapshot-interval S`): after every S-th applied
 * milestone, `<data>/snapshots/full-<N>.snap`, keeping the newest two (docs/storage.md, "Snapshot
 * files", Writing from a running node).
 *
 * The node goes on while a file is written: everything is read in one LMDB read transaction (the
 * ledger index, the milestone records, the `utxo` table), so the file is the state at N even while
 * later milestones apply, and the loop yields to the event loop every few thousand entries. Unlike
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
import { fail, SnapshotErrorCode as E } from "./errors";
import { SnapshotWriter } from "./file";
import { solidEntryPoints } from "./entry-points";

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
  /** Told of each file written or failed. */
  log(event: "written" | "failed" | "skipped", details: Record<string, unknown>): void;
}

export interface WrittenSnapshot {
  file: string;
  index: number;
  ledgerRoot: string;
  entries: number;
  bytes: number;
  ms: number;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Writes a full snapshot of `store` at its ledger index as of now, reading in one read transaction
 * while the node goes on. Resolves once the file is synced and in place.
 */
export async function writeLiveSnapshot(store: Store, genesis: Genesis, out: string): Promise<WrittenSnapshot> {
  const t0 = performance.now();
  const txn = store.root.useReadTransaction();
  try {
    const index = (store.state.get(STATE.ledgerIndex, { transaction: txn }) as number | undefined) ?? 0;
    if (index === 0) fail(E.NO_MILESTONE, "no milestone applied yet");
    const records = [...store.milestones.getRange({ end: keys.milestone(index + 1), transaction: txn })].map((r) => r.value);
    const txOf = (i: number, id: Uint8Array): Uint8Array => {
      const bytes = store.getTransactionBytes(id); // milestone transactions never change once stored
      if (!bytes) fail(E.MILESTONE, `no transaction stored for milestone ${i}`);
      return bytes;
    };
    const last = records[records.length - 1];
    if (!last || last.index !== index) fail(E.MILESTONE, `no record of milestone ${index}`);
    const milestone = txOf(index, last.id);
    const d = decodeTransaction(milestone);
    if (!d.ok || d.value.tx.payload.type !== "milestone") fail(E.MILESTONE, `the stored milestone ${index} does not decode as a milestone`);
    const changes: Uint8Array[] = [];
    for (const r of records.slice(0, -1)) {
      const bytes = txOf(r.index, r.id);
      const c = decodeTransaction(bytes);
      if (c.ok && c.value.tx.payload.type === "milestone" && c.value.tx.payload.committeeChange) changes.push(bytes);
    }
    const entryPoints = await solidEntryPoints(store, index, txn, true);
    const count = store.utxo.getCount({ transaction: txn });
    const ledgerRoot = d.value.tx.payload.ledgerRoot;
    const w = SnapshotWriter.create(out, { kind: "full", networkId: genesis.networkId, genesisId: genesisTransactionId(genesis), index, ledgerRoot, milestone, changes, entryPoints, deletedCount: 0, entryCount: count });
    try {
      let n = 0;
      for (const { key, value } of store.utxo.getRange({ transaction: txn })) {
        const k = key as Buffer;
        const o = decodeOutputValue(value);
        w.addEntry(outputEntryKey(k.subarray(0, 32), k[32]), outputEntryValue(o.address, o.amount));
        if (++n % YIELD_EVERY === 0) await nextTurn();
      }
      const { bytes } = w.finish();
      return { file: out, index, ledgerRoot: toHex(ledgerRoot), entries: count, bytes, ms: Math.round(performance.now() - t0) };
    } catch (err) {
      w.abort();
      throw err;
    }
  } finally {
    txn.done();
  }
}

export class PeriodicSnapshots {
  private writing?: Promise<void>;
  private closed = false;

  constructor(private readonly o: PeriodicSnapshotOptions) {
    if (!Number.isInteger(o.interval) || o.interval < 1) throw new RangeError(`snapshot interval ${o.interval}`);
  }

  /** Call with each applied milestone's index. */
  readonly onMilestone = (e: { index: number }): void => {
    if (this.closed || e.index % this.o.interval !== 0) return;
    if (this.writing) {
      this.o.log("skipped", { index: e.index, reason: "the previous snapshot is still being written" });
      return;
    }
    this.writing = this.write(e.index).finally(() => (this.writing = undefined));
  };

  private async write(due: number): Promise<void> {
    const file = path.join(this.o.dir, `full-${due}.snap`);
    try {
      fs.mkdirSync(this.o.dir, { recursive: true });
      // Due at `due`; the index actually written is the ledger's when the read begins (it may have moved on).
      const w = await writeLiveSnapshot(this.o.store, this.o.genesis, file);
      const named = path.join(this.o.dir, `full-${w.index}.snap`);
      if (named !== file) fs.renameSync(file, named);
      this.o.log("written", { ...w, file: named });
      this.prune();
    } catch (err) {
      this.o.log("failed", { index: due, err: (err as Error).message, code: (err as { code?: unknown }).code });
    }
  }

  /** Keeps the newest SNAPSHOTS_KEPT files (by index). */
  private prune(): void {
    const files = fs
      .readdirSync(this.o.dir)
      .map((f) => ({ f, m: /^full-(\d+)\.snap$/.exec(f) }))
      .filter((x): x is { f: string; m: RegExpExecArray } => x.m !== null)
      .sort((a, b) => Number(b.m[1]) - Number(a.m[1]));
    for (const { f } of files.slice(SNAPSHOTS_KEPT)) fs.rmSync(path.join(this.o.dir, f), { force: true });
  }

  /** Stops taking new work and waits for the file under way (before the store closes). */
  async close(): Promise<void> {
    this.closed = true;
    await this.writing;
  }
}
