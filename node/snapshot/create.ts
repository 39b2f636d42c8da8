/**
 * Writing a snapshot from a stopped node's data directory (`tangle snapshot create`): the ledger at
 * its latest applied milestone N, read from the `utxo` table in key order (which is the entry key
 * order: 0x01 ‖ tx id ‖ index), with milestone N's transaction and every earlier milestone
 * transaction that carried a committee change.
 *
 * A full snapshot's ledger root is computed while it is written and compared with milestone N's
 * before the file is put in place: a damaged database gives no file (ERR_SNAPSHOT_LEDGER_ROOT).
 * A delta against a full snapshot file is a sorted merge of that file's entries with the `utxo`
 * table (delta.ts), made three times (count, deleted keys, entries) so that the counts go up front and
 * nothing is held in memory; it is then verified on its base (its root among the rest) and removed
 * if it does not verify.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { decodeTransaction } from "../../client/protocol/codec";
import { equalBytes, toHex } from "../../client/protocol/bytes";
import { outputEntryKey, outputEntryValue } from "../../client/protocol/ledger-proof";
import { Code } from "../../client/protocol/codes";
import { blake2b256 } from "../../core-wasm/src/blake2b";
import { Genesis, genesisTransactionId, validateGenesis } from "../ledger/genesis";
import { LedgerTree } from "../ledger/ledger-tree";
import { keys, STATE } from "../storage/schema";
import { StorageError, Store } from "../storage/store";
import { fail, SnapshotErrorCode as E } from "./errors";
import type { SnapshotEntry } from "./format";
import { SnapshotWriter } from "./file";
import { SnapshotSummary, verifySnapshot } from "./verify";
import { solidEntryPoints } from "./entry-points";
import { DeltaHeaderStart, writeDeltaFile } from "./delta";

/** What a written file holds: the verifier's summary of it, less what only reading it tells. */
export type CreatedSnapshot = Pick<SnapshotSummary, "kind" | "index" | "milestoneId" | "ledgerRoot" | "entryRecords" | "deletedRecords" | "committeeChanges" | "entryPoints" | "bytes" | "checksum" | "base">;

/** The genesis hash a data directory records (node/replay.ts, openLedger: the same formula). */
export function storedGenesisHash(genesis: Genesis): Uint8Array {
  return blake2b256(new TextEncoder().encode(JSON.stringify(genesis)));
}

/** Opens a stopped node's store for reading, checking that it belongs to `genesis`. */
export async function openStoppedStore(dataDir: string, genesis: Genesis): Promise<Store> {
  if (!fs.existsSync(path.join(dataDir, "data.mdb"))) fail(E.NO_MILESTONE, `no database in ${dataDir} (data.mdb missing)`);
  const store = await Store.open(dataDir); // the directory lock: ERR_DATA_DIR_IN_USE while a node runs there
  const stored = store.state.get(STATE.genesisHash) as Uint8Array | undefined;
  if (!stored || !equalBytes(Uint8Array.from(stored), storedGenesisHash(genesis))) {
    await store.close();
    throw new StorageError(Code.ERR_GENESIS_MISMATCH, `the database in ${dataDir} belongs to another network (its genesis differs from the one given)`);
  }
  return store;
}

/** The unspent outputs of `store` as snapshot entries, in entry key order. */
function* storeEntries(store: Store): Generator<SnapshotEntry> {
  for (const o of store.outputs()) yield { key: outputEntryKey(o.txId, o.index), value: outputEntryValue(o.address, o.amount) };
}

/** Writes a snapshot of the ledger in `dataDir` at its latest applied milestone to `out`. */
export async function createSnapshot(dataDir: string, out: string, genesisIn: Genesis, opts: { deltaFrom?: string } = {}): Promise<CreatedSnapshot> {
  const genesis = validateGenesis(genesisIn);
  const store = await openStoppedStore(dataDir, genesis);
  try {
    const index = store.ledgerIndex();
    if (index === 0) fail(E.NO_MILESTONE, `the database in ${dataDir} has applied no milestone yet`);
    const milestoneBytes = milestoneTx(store, index);
    const d = decodeTransaction(milestoneBytes);
    if (!d.ok || d.value.tx.payload.type !== "milestone") fail(E.MILESTONE, `the stored milestone ${index} does not decode as a milestone`);
    const ledgerRoot = d.value.tx.payload.ledgerRoot;
    // The stored milestone records below N (every index on a node synced from genesis; on a node
    // started from a snapshot, the change milestones and the milestones from the snapshot's on).
    const changes: Uint8Array[] = [];
    for (const { key } of store.milestones.getRange({ end: keys.milestone(index) })) {
      const bytes = milestoneTx(store, (key as Buffer).readUInt32BE(0));
      const c = decodeTransaction(bytes);
      if (c.ok && c.value.tx.payload.type === "milestone" && c.value.tx.payload.committeeChange) changes.push(bytes);
    }
    const entryPoints = await solidEntryPoints(store, index);
    const header = { networkId: genesis.networkId, genesisId: genesisTransactionId(genesis), index, ledgerRoot, milestone: milestoneBytes, changes, entryPoints };
    const made = opts.deltaFrom ? await writeDelta(store, out, header, opts.deltaFrom) : writeFull(store, out, header);
    if (opts.deltaFrom) {
      // A delta's root is the base's tree changed by it: checked as a verifier will, before it is kept.
      const v = await verifySnapshot(out, genesis, { base: opts.deltaFrom });
      if (!v.ok) {
        fs.rmSync(out, { force: true });
        fail(v.code, `the delta written does not verify on its base, and was removed: ${v.message}`);
      }
    }
    return { ...made, index, milestoneId: toHex(blake2b256(milestoneBytes)), ledgerRoot: toHex(ledgerRoot), committeeChanges: changes.length, entryPoints: entryPoints.length };
  } finally {
    await store.close();
  }
}

function milestoneTx(store: Store, index: number): Uint8Array {
  const record = store.getMilestone(index);
  const bytes = record && store.getTransactionBytes(record.id);
  if (!bytes) fail(E.MILESTONE, `the database holds no transaction for milestone ${index} (run tangle check)`);
  return bytes;
}

type HeaderStart = DeltaHeaderStart;

function writeFull(store: Store, out: string, h: HeaderStart): Omit<CreatedSnapshot, "index" | "milestoneId" | "ledgerRoot" | "committeeChanges" | "entryPoints"> {
  const count = store.utxo.getCount();
  const w = SnapshotWriter.create(out, { ...h, kind: "full", deletedCount: 0, entryCount: count });
  try {
    const it = storeEntries(store);
    // The root of what is written, computed as it is written.
    const tree = LedgerTree.buildWith(count, (_i, keys, values, at) => {
      const r = it.next();
      if (r.done) throw new Error("the utxo table changed while the snapshot was written (is a node running on it?)");
      w.addEntry(r.value.key, r.value.value);
      keys.set(blake2b256(r.value.key), at);
      values.set(blake2b256(r.value.value), at);
    });
    if (!it.next().done) throw new Error("the utxo table changed while the snapshot was written (is a node running on it?)");
    const root = tree.root();
    if (!equalBytes(root, h.ledgerRoot)) {
      fail(E.LEDGER_ROOT, `the database's unspent outputs give ledger root ${toHex(root)}, its milestone ${h.index} carries ${toHex(h.ledgerRoot)}: the database is damaged (run tangle check); no snapshot written`);
    }
    const { bytes, checksum } = w.finish();
    return { kind: "full", entryRecords: count, deletedRecords: 0, bytes, checksum: toHex(checksum) };
  } catch (err) {
    w.abort();
    throw err;
  }
}

/** The delta from the full file `baseFile` to the directory's unspent outputs (delta.ts). */
async function writeDelta(store: Store, out: string, h: HeaderStart, baseFile: string): Promise<Omit<CreatedSnapshot, "index" | "milestoneId" | "ledgerRoot" | "committeeChanges" | "entryPoints">> {
  const d = await writeDeltaFile(out, h, baseFile, () => storeEntries(store));
  return { kind: "delta", entryRecords: d.set, deletedRecords: d.deleted, bytes: d.bytes, checksum: toHex(d.checksum), base: { index: d.base.index, ledgerRoot: toHex(d.base.ledgerRoot) } };
}
