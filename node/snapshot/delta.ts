/**
 * Writing a delta snapshot file: the changes from a full base file to the current unspent outputs,
 * for both writers (create.ts, a stopped node's directory; periodic.ts, a running node's read
 * transaction). Both sides are in entry key order, so the changes come from one sorted merge: a key
 * only in the base is deleted, a key new or with another value is set. The merge runs three times
 * (the counts, the deleted keys, the entries) so that the counts go up front (docs/storage.md,
 * Snapshot files) and nothing is held in memory; each read of the base ends on its checksum.
 */
import { equalBytes } from "../../client/protocol/bytes";
import { fail, SnapshotErrorCode as E } from "./errors";
import { SnapshotReader, SnapshotWriter } from "./file";
import { compareKeys, SnapshotEntry, SnapshotHeader } from "./format";

/** A delta's header before its counts and base are known. */
export type DeltaHeaderStart = Omit<SnapshotHeader, "kind" | "base" | "deletedCount" | "entryCount">;

export type Change = { op: "delete"; key: Uint8Array } | { op: "set"; key: Uint8Array; value: Uint8Array };

/** The current entries, in key order: a synchronous or an asynchronous iterator. */
export type Entries = Iterator<SnapshotEntry> | AsyncIterator<SnapshotEntry>;

export interface WrittenDelta {
  base: { index: number; ledgerRoot: Uint8Array };
  /** Keys set (new or changed). */
  set: number;
  deleted: number;
  bytes: number;
  checksum: Uint8Array;
}

/** Opens `file` as the base of a delta at `h.index`: a full snapshot of the same network below it. */
export function openDeltaBase(file: string, h: DeltaHeaderStart): SnapshotReader {
  const r = SnapshotReader.open(file);
  const bh = r.header;
  if (bh.networkId !== h.networkId || !equalBytes(bh.genesisId, h.genesisId)) {
    r.close();
    fail(E.WRONG_NETWORK, `the base snapshot ${file} is of another network or genesis`);
  }
  if (bh.kind !== "full" || bh.index >= h.index) {
    r.close();
    fail(E.BASE, `a delta is made from a full snapshot below milestone ${h.index}; ${file} is a ${bh.kind} snapshot at ${bh.index}`);
  }
  return r;
}

/** The changes from `base` to `current` (both in key order): keys only in base deleted, new or changed values set. */
export async function* diffEntries(base: Iterator<SnapshotEntry>, current: Entries): AsyncGenerator<Change> {
  let b = base.next();
  let c = await current.next();
  while (!b.done || !c.done) {
    const order = b.done ? 1 : c.done ? -1 : compareKeys(b.value.key, c.value.key);
    if (order < 0) {
      yield { op: "delete", key: b.value.key };
      b = base.next();
    } else if (order > 0) {
      yield { op: "set", key: c.value.key, value: c.value.value };
      c = await current.next();
    } else {
      if (!equalBytes(b.value.value, c.value.value)) yield { op: "set", key: c.value.key, value: c.value.value };
      b = base.next();
      c = await current.next();
    }
  }
}

/**
 * Writes to `out` the delta from the full file `baseFile` to the entries `current()` gives (a new
 * iterator over the same state at each call), under header `h`. The file is synced and in place
 * when this resolves; on a failure nothing is left at `out`.
 */
export async function writeDeltaFile(out: string, h: DeltaHeaderStart, baseFile: string, current: () => Entries): Promise<WrittenDelta> {
  /** One merge of the base with the current entries, the base read to its checksum. */
  async function pass(each: (c: Change) => void): Promise<SnapshotReader> {
    const r = openDeltaBase(baseFile, h);
    try {
      for (const _ of r.deletedKeys()); // a full file has none
      for await (const c of diffEntries(r.entries(), current())) each(c);
      r.finish();
      return r;
    } finally {
      r.close();
    }
  }
  let deleted = 0;
  let set = 0;
  const counted = await pass((c) => (c.op === "delete" ? deleted++ : set++));
  const base = { index: counted.header.index, ledgerRoot: counted.header.ledgerRoot };
  const w = SnapshotWriter.create(out, { ...h, kind: "delta", base, deletedCount: deleted, entryCount: set });
  try {
    await pass((c) => c.op === "delete" && w.addDeleted(c.key));
    await pass((c) => c.op === "set" && w.addEntry(c.key, c.value));
    const { bytes, checksum } = w.finish();
    return { base, set, deleted, bytes, checksum };
  } catch (err) {
    w.abort();
    throw err;
  }
}
