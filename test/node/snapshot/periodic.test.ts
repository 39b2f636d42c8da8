/**
 * A running node's snapshots (`--snapshot-interval`, node/snapshot/periodic.ts), through the
 * composition root (test/support/node.ts: the dev network, its coordinator, 50 ms milestones, LMDB
 * in a temporary folder): while milestones go on, a full snapshot is written every third milestone,
 * the newest two are kept, each verifies against the dev genesis alone at its index; a transfer
 * confirmed before a snapshot is in it. And on a node started from an imported ledger of 30,000
 * outputs, files written while transfers spend those outputs and milestones apply every 50 ms are
 * each the state at their own milestone (they verify: a torn read would change the root).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { addressOf, keyPairFromSeed } from "../../../client/protocol/keys";
import { devCoordinatorSeed, devGenesis, devWalletSeed } from "../../../node/networks/dev";
import { attach, milestonePayload, signMilestone, signTransaction, stampSync } from "../../../client/protocol/build";
import { outputEntryKey, outputEntryValue } from "../../../client/protocol/ledger-proof";
import { PROTOCOL_VERSION } from "../../../client/protocol/limits";
import type { MilestoneFields } from "../../../client/protocol/payloads";
import { blake2b256 } from "../../../core-wasm/src/blake2b";
import { outputTree } from "../../../node/ledger/ledger-tree";
import { requiredDifficulty } from "../../../node/validation/pipeline";
import { genesisTransactionId } from "../../../node/ledger/genesis";
import { compareKeys, importSnapshot, SnapshotReader, SnapshotWriter, verifySnapshot } from "../../../node/snapshot";
import { startTestNode, TestNode } from "../../support/node";
import { ENTRY_POINT_MILESTONES } from "../../../node/snapshot/entry-points";
import { buildTx, cleanupDirs, dataPayload, tmpDir } from "../_helpers";

let t: TestNode | undefined;
afterAll(async () => {
  await t?.close();
  cleanupDirs();
});

async function until<T>(what: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = what();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 25));
  }
}

test("every third milestone a full snapshot that verifies against the genesis alone; the newest two kept", async () => {
  t = await startTestNode({ snapshotInterval: 3, milestoneIntervalMs: 50 });
  const node = t.node;
  const dir = path.join(t.dataDir, "snapshots");
  const dev = keyPairFromSeed(devWalletSeed());
  const to = addressOf(keyPairFromSeed(randomBytes(32)).publicKey);
  const g = genesisTransactionId(devGenesis());
  const amount = node.outputs(addressOf(dev.publicKey))[0].amount;
  const pay = await node.submit(buildTx(node, dev, { type: "transfer", inputs: [{ txId: g, index: 0 }], outputs: [{ address: to, amount: 77n }, { address: addressOf(dev.publicKey), amount: amount - 77n }] }));
  const confirmedAt = await until(() => node.getMetadata(pay.id)?.confirmedBy ?? undefined);
  const files = () => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".snap")) : []);
  // Wait for a snapshot written after the transfer's milestone, and for two more to be due.
  const indexes = () => files().map((f) => Number(/^full-(\d+)\.snap$/.exec(f)![1])).sort((a, b) => a - b);
  await until(() => (indexes().some((i) => i >= confirmedAt) && node.ledgerIndex >= confirmedAt + 9 ? true : undefined));
  await until(() => (indexes().length === 2 && indexes()[1] >= confirmedAt + 6 ? true : undefined));
  const kept = indexes();
  expect(kept.length).toBe(2);
  for (const index of kept) {
    expect(index % 3).toBe(0);
    const file = path.join(dir, `full-${index}.snap`);
    const v = await verifySnapshot(file, devGenesis());
    expect(v).toMatchObject({ ok: true, kind: "full", index, milestoneId: node.getMilestone(index)!.id });
    const r = SnapshotReader.open(file);
    const keys: string[] = [];
    for (const e of r.entries()) keys.push(toHex(e.key));
    r.finish();
    expect(keys).toContain(`01${pay.id}00`);
    expect(keys).not.toContain(`01${toHex(g)}00`);
  }
  expect(fs.readdirSync(dir).filter((f) => f.endsWith(".partial"))).toEqual([]);
  await t.close();
  t = undefined;
}, 60_000);

test("files written while milestones change a ledger of 30,000 outputs are each the state at their milestone", async () => {
  const genesis = devGenesis();
  const dev = keyPairFromSeed(devWalletSeed());
  const devAddr = addressOf(dev.publicKey);
  const coordinator = keyPairFromSeed(devCoordinatorSeed());
  // Milestone 1 of a ledger of 30,000 outputs of the dev wallet, as the dev coordinator signs it.
  const outputs = Array.from({ length: 30_000 }, () => ({ txId: Uint8Array.from(randomBytes(32)), index: 0, address: devAddr, amount: 1000n }));
  const parents = [randomBytes(32), randomBytes(32)].sort(Buffer.compare);
  const fields: MilestoneFields = { type: "milestone", index: 1, timestamp: Date.now(), previousMilestoneId: new Uint8Array(32), confirmedMerkleRoot: blake2b256(new Uint8Array(0)), ledgerStateHash: Uint8Array.from(randomBytes(32)), ledgerRoot: outputTree(outputs).root() };
  const payload = milestonePayload(fields, [signMilestone(genesis.networkId, parents, fields, coordinator.publicKey, coordinator.secretKey)]);
  const signed = signTransaction({ version: PROTOCOL_VERSION, networkId: genesis.networkId, issuer: coordinator.publicKey, payload }, coordinator.secretKey);
  const unstamped = attach(signed, parents, fields.timestamp);
  const work = tmpDir();
  const file = path.join(work, "ledger-1.snap");
  const w = SnapshotWriter.create(file, { kind: "full", networkId: genesis.networkId, genesisId: genesisTransactionId(genesis), index: 1, ledgerRoot: fields.ledgerRoot, milestone: stampSync(unstamped, requiredDifficulty(unstamped.length, genesis.baseDifficulty)), changes: [], entryPoints: [], deletedCount: 0, entryCount: outputs.length });
  for (const e of outputs.map((o) => ({ key: outputEntryKey(o.txId, 0), value: outputEntryValue(o.address, o.amount) })).sort((a, b) => compareKeys(a.key, b.key))) w.addEntry(e.key, e.value);
  w.finish();
  const data = path.join(work, "data");
  await importSnapshot(file, data, genesis);

  t = await startTestNode({ data, snapshotInterval: 2, milestoneIntervalMs: 50 });
  const node = t.node;
  const dir = path.join(data, "snapshots");
  // Transfers spending three imported outputs each, submitted without pause while files are written.
  let spending = true;
  const spender = (async () => {
    for (let i = 0; spending && i + 3 <= outputs.length; i += 3) {
      const inputs = outputs.slice(i, i + 3).map((o) => ({ txId: o.txId, index: 0 }));
      await node.submit(buildTx(node, dev, { type: "transfer", inputs, outputs: [{ address: devAddr, amount: 3000n }] }));
    }
  })();
  const written = () => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".snap")).length : 0);
  const startedAt = node.ledgerIndex;
  const logs = () => t!.logs.filter((l) => l.msg === "snapshot written");
  await until(() => (logs().length >= 4 && node.ledgerIndex >= startedAt + 8 ? true : undefined), 40_000);
  spending = false;
  await spender;
  expect(written()).toBe(2);
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".snap"))) {
    const v = await verifySnapshot(path.join(dir, f), genesis);
    expect(v).toMatchObject({ ok: true, kind: "full" });
    // Spent imported outputs are gone and their transfers' outputs are there: the ledger moved.
    if (v.ok) expect(v.entries).toBeLessThan(outputs.length);
  }
  expect(logs().filter((l) => (l as { entries?: number }).entries !== undefined).length).toBeGreaterThanOrEqual(4);
  await t.close();
  t = undefined;
}, 90_000);

test("a running node's later snapshots read the arrivals since the last one, not the history: metadata rows and milestone records counted", async () => {
  t = await startTestNode({ snapshotInterval: 2, milestoneIntervalMs: 50 });
  const node = t.node;
  const store = node.store;
  // Rows the snapshot writer reads from the metadata and milestone tables: real LMDB reads, counted
  // on their way out (range rows; point reads made inside a read transaction, as the writer's are).
  const read = { meta: 0, milestones: 0 };
  const counted = (db: typeof store.meta | typeof store.milestones, name: keyof typeof read) => {
    const range = db.getRange.bind(db) as (o?: object) => Iterable<unknown>;
    const get = db.get.bind(db) as (k: unknown, o?: { transaction?: unknown }) => unknown;
    jest.spyOn(db, "getRange").mockImplementation(((o?: object) =>
      (function* () {
        for (const row of range(o)) {
          read[name]++;
          yield row;
        }
      })()) as never);
    jest.spyOn(db, "get").mockImplementation(((k: unknown, o?: { transaction?: unknown }) => {
      if (o?.transaction) read[name]++;
      return get(k, o);
    }) as never);
  };
  counted(store.meta, "meta");
  counted(store.milestones, "milestones");
  // A history of 2,000 data records on 8 streams, then quiet.
  const key = keyPairFromSeed(randomBytes(32));
  const streams = Array.from({ length: 8 }, () => ({ id: Uint8Array.from(randomBytes(32)), seq: 0, prev: new Uint8Array(32) as Uint8Array }));
  let last = "";
  for (let i = 0; i < 2000; i++) {
    const s = streams[i % streams.length];
    const r = await node.submit(buildTx(node, key, dataPayload(s.id, s.seq++, s.prev)));
    s.prev = fromHex(r.id);
    last = r.id;
  }
  const confirmedAt = await until(() => node.getMetadata(last)?.confirmedBy ?? undefined);
  const written = () => t!.logs.filter((l) => l.msg === "snapshot written") as unknown as { index: number }[];
  await until(() => (written().filter((w) => w.index > confirmedAt).length >= 2 && node.ledgerIndex >= 80 ? true : undefined), 40_000);
  const stored = node.storedTransactions;
  expect(stored).toBeGreaterThan(2000);
  read.meta = 0;
  read.milestones = 0;
  const before = written().length;
  await until(() => (written().length >= before + 2 ? true : undefined));
  const snapshots = written().length - before; // one more may have begun meanwhile: counted in
  const arrived = node.storedTransactions - stored;
  // Each file read the transactions stored since the one before (the milestones and little else
  // while quiet), never the 2,000 records below; and the milestone records of its window.
  expect(read.meta).toBeLessThanOrEqual((snapshots + 1) * (arrived + 2 * 2 + 8));
  expect(read.meta * 10).toBeLessThan(stored);
  expect(read.milestones).toBeLessThanOrEqual((snapshots + 1) * (ENTRY_POINT_MILESTONES + 2 * 2 + 2));
  expect(read.milestones * 2).toBeLessThan(node.ledgerIndex);
  jest.restoreAllMocks();
  await t.close();
  t = undefined;
}, 90_000);
