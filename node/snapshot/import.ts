/**
 * Importing a verified snapshot (a full one, or a delta on its full base) into an empty data
 * directory (`tangle snapshot import`), so
 * that a node opened there starts at the snapshot milestone N (docs/storage.md, "Snapshot files",
 * Import):
 *
 *   - the file is verified first (verify.ts), then read a second time to write (a delta merged with
 *     its base as both stream); each file's second read must end on the checksum of the first;
 *   - `utxo` gets every entry (creating milestone recorded as N: the file does not say which
 *     milestone created an output), `balances` their sums, `received` their addresses;
 *   - the milestone transactions of the file (N, then the committee changes) are stored, confirmed
 *     by their own index, with their milestone records (no confirmed-id lists: the file has none),
 *     so that the node rebuilds the committee chain and knows N's id, the previous id of N + 1;
 *   - `state`: the genesis hash, ledger index N, N as the snapshot index (where the directory's
 *     history begins), N's state hash, and the file's solid entry points, which the node counts as
 *     entry points from then on (TangleNode.isEntryPoint).
 *
 * The database is built in a directory of its own inside the target and moved into place only when
 * complete, so an import that fails or is killed leaves no database a node would open.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { toHex } from "../../client/protocol/bytes";
import { Genesis, validateGenesis } from "../ledger/genesis";
import { MAX_AMOUNT } from "../../client/protocol/limits";
import { encodeAmount, encodeMeta, encodeOutputValue, keys, STATE } from "../storage/schema";
import { Store } from "../storage/store";
import { fail, SnapshotErrorCode as E } from "./errors";
import { storedGenesisHash } from "./create";
import { SnapshotReader } from "./file";
import { SnapshotSummary, VerifiedSnapshot, verifySnapshotFile } from "./verify";
import { compareKeys, SnapshotEntry } from "./format";

/** Name of the directory the import builds the database in, inside the target. */
const WORK_DIR = ".snapshot-import";
/** Entries written per LMDB transaction. */
const BATCH = 20_000;

/** Absent or empty; the snapshot being imported, and its base, may lie in it (a node's bootstrap downloads them there: bootstrap.ts). */
function isEmptyDir(dir: string, files: string[]): boolean {
  const ours = new Set(files.map((f) => path.resolve(f)));
  return !fs.existsSync(dir) || fs.readdirSync(dir).every((n) => ours.has(path.resolve(dir, n)));
}

/** The state's entries, in key order, and the check that the files read are the ones verified. */
interface StateSource {
  entries: Iterable<SnapshotEntry>;
  /** After the entries: every file read to its end and its checksum the verified one. */
  finish(): void;
  close(): void;
}

function sameChecksum(reader: SnapshotReader, expected: Uint8Array | undefined, file: string): void {
  if (!expected || toHex(reader.finish()) !== toHex(expected)) fail(E.CHECKSUM, `${file} changed while it was imported`);
}

function fullSource(file: string, v: VerifiedSnapshot): StateSource {
  const r = SnapshotReader.open(file);
  return { entries: r.entries(), finish: () => sameChecksum(r, v.checksum, file), close: () => r.close() };
}

/**
 * A delta on its base, merged as they stream: the base's entries in key order, less the keys the
 * delta deletes, with the delta's entries set (added, or replacing the base's value). Three readers:
 * the base, the delta's deleted keys, the delta's entries.
 */
function deltaSource(file: string, baseFile: string, v: VerifiedSnapshot): StateSource {
  const base = SnapshotReader.open(baseFile);
  const deletions = SnapshotReader.open(file);
  const sets = SnapshotReader.open(file);
  function* merged(): Generator<SnapshotEntry> {
    const B = base.entries();
    const D = deletions.deletedKeys();
    for (const _ of sets.deletedKeys()); // to the entries' section
    const S = sets.entries();
    let b = B.next();
    let d = D.next();
    let s = S.next();
    while (!b.done || !s.done) {
      if (!b.done) {
        while (!d.done && compareKeys(d.value, b.value.key) < 0) d = D.next();
        if (!d.done && compareKeys(d.value, b.value.key) === 0) {
          b = B.next();
          d = D.next();
          continue;
        }
      }
      const order = b.done ? 1 : s.done ? -1 : compareKeys(b.value.key, s.value.key);
      if (order < 0) {
        yield b.value;
        b = B.next();
      } else {
        yield s.value;
        if (order === 0) b = B.next();
        s = S.next();
      }
    }
  }
  return {
    entries: merged(),
    finish: () => {
      sameChecksum(base, v.baseChecksum, baseFile);
      sameChecksum(sets, v.checksum, file);
    },
    close: () => {
      for (const r of [base, deletions, sets]) r.close();
    },
  };
}

/**
 * Imports the snapshot `file` (a full one, or a delta on `opts.base`, its full base) into the empty
 * directory `dataDir`; returns what was verified.
 */
export async function importSnapshot(file: string, dataDir: string, genesisIn: Genesis, opts: { base?: string } = {}): Promise<SnapshotSummary> {
  const genesis = validateGenesis(genesisIn);
  if (!isEmptyDir(dataDir, [file, ...(opts.base ? [opts.base] : [])])) fail(E.IMPORT_TARGET, `${dataDir} is not empty: a snapshot is imported into an empty data directory only`);
  const v = await verifySnapshotFile(file, genesis, opts);
  const n = v.header.index;
  const work = path.join(dataDir, WORK_DIR);
  fs.mkdirSync(work, { recursive: true });
  let store: Store | undefined = await Store.open(work);
  try {
    const source = v.header.kind === "delta" ? deltaSource(file, opts.base!, v) : fullSource(file, v);
    const balances = new Map<string, { address: Buffer; amount: bigint }>();
    try {
      let batch: { key: Buffer; value: Buffer }[] = [];
      const flush = async () => {
        const b = batch;
        batch = [];
        await store!.root.transaction(() => {
          for (const e of b) store!.utxo.put(e.key, e.value);
        });
      };
      for (const e of source.entries) {
        // The verified file's entries are unspent outputs: 0x01 ‖ tx id ‖ index → address ‖ amount.
        const txId = e.key.subarray(1, 33);
        const address = e.value.subarray(0, 32);
        const amount = Buffer.from(e.value.buffer, e.value.byteOffset, 40).readBigUInt64LE(32);
        batch.push({ key: keys.output(txId, e.key[33]), value: encodeOutputValue(address, amount, n) });
        const a = toHex(address);
        const b = balances.get(a);
        const sum = (b?.amount ?? 0n) + amount;
        if (sum > MAX_AMOUNT) throw new Error(`the balance of ${a} passes 2^64 - 1`); // the supply cannot: a verified file holds no more
        if (b) b.amount = sum;
        else balances.set(a, { address: Buffer.from(address), amount: sum });
        if (batch.length >= BATCH) await flush();
      }
      await flush();
      source.finish();
    } finally {
      source.close();
    }
    // The snapshot's milestone first: the window takes it; the changes after it are kept for the
    // committee chain only (node/replay.ts leaves an applied milestone below the last one out).
    const milestones = [v.milestone, ...v.changes];
    const receivedMs = Date.now();
    for (const [seq, m] of milestones.entries()) await store.addTransaction(m.id, m.bytes, m.tx, seq, receivedMs);
    await store.root.transaction(() => {
      const s = store!;
      for (const [seq, m] of milestones.entries()) {
        const p = m.payload;
        s.meta.put(keys.seq(seq), encodeMeta({ receivedMs, confirmedBy: p.index, milestoneIndex: p.index }));
        s.milestones.put(keys.milestone(p.index), { index: p.index, id: m.id, timestamp: p.timestamp, merkleRoot: p.confirmedMerkleRoot, stateHash: p.ledgerStateHash, included: [] });
      }
      const empty = Buffer.alloc(0);
      // In key order: appended at the right edge of the B-trees (hex order is byte order).
      for (const [, b] of [...balances].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
        s.balances.put(b.address, encodeAmount(b.amount));
        s.received.put(b.address, empty);
      }
      s.state.put(STATE.genesisHash, Buffer.from(storedGenesisHash(genesis)));
      s.state.put(STATE.ledgerIndex, n);
      s.state.put(STATE.snapshotIndex, n); // where this directory's history begins (entry-points.ts, tangle check)
      s.state.put(STATE.stateHash, Buffer.from(v.milestone.payload.ledgerStateHash));
      if (v.header.entryPoints.length > 0) s.state.put(STATE.solidEntryPoints, v.header.entryPoints.map((e) => Buffer.from(e)));
    });
    await store.close();
    store = undefined;
    // Complete: into place (the lock files stay behind with the work directory).
    fs.renameSync(path.join(work, "data.mdb"), path.join(dataDir, "data.mdb"));
    fs.rmSync(work, { recursive: true, force: true });
    return v.summary;
  } catch (err) {
    await store?.close();
    fs.rmSync(work, { recursive: true, force: true });
    throw err;
  }
}
