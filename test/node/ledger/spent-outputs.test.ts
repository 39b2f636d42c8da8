/**
 * Spent outputs out of the heap (issue 17): the ledger keeps no spent records of its own but asks
 * an injected SpentOutputs (node/ledger/utxo.ts); the node's reads its LMDB store
 * (node/replay.ts, storeSpentOutputs). The pure ledger with an injected source, then the node's
 * path on a real store: the records are read from LMDB, survive a reopen, give the same conflict
 * reasons, and confirmed spends leave the heap where it was.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { toHex } from "../../../client/protocol/bytes";
import { keys } from "../../../node/storage/schema";
import { LedgerErrorCode as E } from "../../../node/ledger/errors";
import { genesisTransactionId } from "../../../node/ledger/genesis";
import { LedgerState } from "../../../node/ledger/ledger";
import { MemorySpentOutputs, SpentOutput, SpentOutputs } from "../../../node/ledger/utxo";
import { TangleNode } from "../../../node/tangle-node";
import { Coordinator } from "../../../node/coordinator";
import { gcFunction, SpendDriver } from "../../../bench/ledger/spends";
import { ADDR, ENTRY_A, ENTRY_B, ledgerCodeOf as codeOf, makeGenesis, runWhiteFlag as run, TestTangle, transfer } from "./_fixtures";
import { alice, bob, buildMilestone, buildTx, cleanupDirs, coordinatorSeed, dataPayload, testGenesis, tmpDir } from "../_helpers";
import { Pruner } from "../../../node/pruning/pruner";
import { Store } from "../../../node/storage/store";
import { encodeSpentValue } from "../../../node/storage/schema";
import { addressOf } from "../../../client/protocol/keys";

jest.setTimeout(120_000);

afterAll(() => cleanupDirs());

const genesis = makeGenesis([
  [0, 1000n],
  [1, 500n],
]);
const G = genesisTransactionId(genesis);

/** A SpentOutputs that counts what the ledger asks of it. */
class CountingSpent implements SpentOutputs {
  readonly inner = new MemorySpentOutputs();
  gets = 0;
  records: SpentOutput[] = [];
  get(txId: Uint8Array, index: number): SpentOutput | undefined {
    this.gets++;
    return this.inner.get(txId, index);
  }
  record(s: SpentOutput): void {
    this.records.push(s);
    this.inner.record(s);
  }
  all(): Iterable<SpentOutput> {
    return this.inner.all();
  }
}

describe("the pure ledger with an injected SpentOutputs", () => {
  test("each applied spend is recorded there, and whether an output was spent is asked there, not kept by the ledger", () => {
    const spent = new CountingSpent();
    const l = LedgerState.fromGenesis(genesis, spent);
    const tangle = new TestTangle();
    const t1 = transfer(0, [[G, 0]], [[1, 400n], [0, 600n]], [ENTRY_A, ENTRY_B]);
    tangle.add(t1);
    const r1 = run(1, [t1.id, ENTRY_A], tangle, l);
    l.apply(r1);
    tangle.confirm(r1.included);
    expect(spent.records.map((s) => [toHex(s.txId), s.index, toHex(s.spentBy), s.milestoneIndex, s.amount])).toEqual([[toHex(G), 0, toHex(t1.id), 1, 1000n]]);
    expect(l.getSpent(G, 0)?.spentBy).toEqual(t1.id);

    // A second spend of G:0 is INPUT_SPENT, of an output that never existed INPUT_UNKNOWN.
    const again = transfer(0, [[G, 0]], [[0, 1000n]], [t1.id, ENTRY_B]);
    const ghost = transfer(0, [[new Uint8Array(32).fill(9), 0]], [[0, 1n]], [t1.id, ENTRY_B]);
    tangle.add(again, ghost);
    const gets = spent.gets;
    expect(run(2, [again.id, ENTRY_A], tangle, l).conflicts.map((c) => c.reason)).toEqual(["INPUT_SPENT"]);
    expect(run(2, [ghost.id, ENTRY_A], tangle, l).conflicts.map((c) => c.reason)).toEqual(["INPUT_UNKNOWN"]);
    expect(spent.gets).toBeGreaterThan(gets);

    // The source forgets G:0 (pruning deleted the record): the ledger has no copy of its own.
    (spent.inner as unknown as { spent: Map<string, SpentOutput> }).spent.clear();
    expect(l.getSpent(G, 0)).toBeUndefined();
    expect(l.isSpent(G, 0)).toBe(false);
    expect(run(2, [again.id, ENTRY_A], tangle, l).conflicts.map((c) => c.reason)).toEqual(["INPUT_UNKNOWN"]);
  });

  test("a record of a milestone the ledger has not applied yet (the node's store commits first) does not count", () => {
    const spent = new MemorySpentOutputs();
    const l = LedgerState.fromGenesis(genesis, spent);
    const tangle = new TestTangle();
    const t1 = transfer(0, [[G, 0]], [[1, 1000n]], [ENTRY_A, ENTRY_B]);
    tangle.add(t1);
    const r1 = run(1, [t1.id, ENTRY_A], tangle, l);
    // As Store.applyMilestone does before LedgerState.apply: the record of milestone 1 is there.
    spent.record({ txId: G, index: 0, address: ADDR[0], amount: 1000n, spentBy: t1.id, milestoneIndex: 1 });
    expect(l.getSpent(G, 0)).toBeUndefined();
    expect(l.snapshot().spent).toEqual([]);
    l.apply(r1);
    expect(l.getSpent(G, 0)?.milestoneIndex).toBe(1);
    expect(l.snapshot().spent).toHaveLength(1);
  });

  test("an output created and spent under one milestone is applied when the source holds its record already", () => {
    const spent = new MemorySpentOutputs();
    const l = LedgerState.fromGenesis(genesis, spent);
    const tangle = new TestTangle();
    const t1 = transfer(0, [[G, 0]], [[1, 1000n]], [ENTRY_A, ENTRY_B]);
    const t2 = transfer(1, [[t1.id, 0]], [[0, 1000n]], [t1.id, ENTRY_B]);
    tangle.add(t1, t2);
    const r = run(1, [t2.id, ENTRY_A], tangle, l);
    expect(r.applied).toHaveLength(2);
    for (const c of r.consumed) spent.record({ ...c, milestoneIndex: 1 });
    l.apply(r);
    expect(l.getSpent(t1.id, 0)?.spentBy).toEqual(t2.id);
    expect(l.balanceOf(ADDR[0])).toBe(1000n);
    // A result that creates an output spent by an applied milestone is still refused.
    const created = { txId: t1.id, index: 0, address: ADDR[1], amount: 1n };
    expect(codeOf(() => l.apply({ ...r, milestoneIndex: 2, prevStateHash: l.stateHash, created: [created], consumed: [] }))).toBe(E.LEDGER_INCONSISTENT);
  });

  test("restore gives the snapshot's spent records to the source and refuses one of a milestone past the snapshot's", () => {
    const l = LedgerState.fromGenesis(genesis);
    const tangle = new TestTangle();
    const t1 = transfer(0, [[G, 0]], [[1, 1000n]], [ENTRY_A, ENTRY_B]);
    tangle.add(t1);
    l.apply(run(1, [t1.id, ENTRY_A], tangle, l));
    const s = l.snapshot();
    const spent = new CountingSpent();
    const copy = LedgerState.restore(s, spent);
    expect(spent.records.map((x) => toHex(x.spentBy))).toEqual([toHex(t1.id)]);
    expect(copy.getSpent(G, 0)?.milestoneIndex).toBe(1);
    expect(codeOf(() => LedgerState.restore({ ...s, spent: [{ ...s.spent[0], milestoneIndex: 2 }] }))).toBe(E.LEDGER_INCONSISTENT);
    expect(codeOf(() => LedgerState.restore({ ...s, spent: [s.spent[0], s.spent[0]] }))).toBe(E.LEDGER_INCONSISTENT);
  });
});

describe("the node's ledger on its LMDB store", () => {
  test("spent records are read from the store: deleted there, the ledger no longer knows them; they survive a reopen", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-spent-"));
    const d = await SpendDriver.open(dir, 2);
    try {
      for (let i = 0; i < 3; i++) await d.milestone();
      expect(d.spends).toBe(2 + 2 * 2 * 128);
      expect(d.check(3)).toEqual([]);
      const before = { stateHash: d.ledger.stateHash, ledgerRoot: d.ledger.ledgerRoot() };
      await d.reopen();
      expect(d.check(3, before)).toEqual([]); // the record, INPUT_SPENT and INPUT_UNKNOWN after the reopen
      const first = d.firstSpent!;
      expect(d.ledger.getSpent(first.txId, first.index)?.spentBy).toEqual(first.spentBy);
      await d.store.spent.remove(keys.output(first.txId, first.index));
      expect(d.ledger.getSpent(first.txId, first.index)).toBeUndefined();
    } finally {
      await d.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("40,000 confirmed spends leave the heap where it was (it grew by about 0.7 KB a spend when the ledger kept them)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-spent-"));
    const gc = gcFunction();
    const d = await SpendDriver.open(dir, 16);
    try {
      for (let i = 0; i < 3; i++) await d.milestone(); // warm: the code paths compiled, the unspent set at its size
      gc();
      const heap0 = process.memoryUsage().heapUsed;
      const spends0 = d.spends;
      while (d.spends - spends0 < 40_000) await d.milestone();
      gc();
      const grown = process.memoryUsage().heapUsed - heap0;
      expect(d.check(d.ledger.ledgerIndex)).toEqual([]);
      // Before: about 28 MB for these 40,000 spends. Allowed: 2 MiB for whatever else settles (50 bytes a spend).
      expect(grown).toBeLessThan(2 * 2 ** 20);
    } finally {
      await d.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a node: an output created and spent under one milestone, then a second spend of it after a restart, is INPUT_SPENT", async () => {
    const dir = tmpDir();
    let node = await TangleNode.open({ dataDir: dir, genesis: testGenesis() });
    let coord = new Coordinator(node, coordinatorSeed, { intervalMs: 1_000_000 });
    const g = genesisTransactionId(testGenesis());
    const aliceAddr = addressOf(alice.publicKey);
    const bobAddr = addressOf(bob.publicKey);
    const t1 = await node.submit(buildTx(node, alice, { type: "transfer", inputs: [{ txId: g, index: 0 }], outputs: [{ address: bobAddr, amount: 1000n }] }));
    const t1Id = Buffer.from(t1.id, "hex");
    const t2 = await node.submit(buildTx(node, bob, { type: "transfer", inputs: [{ txId: t1Id, index: 0 }], outputs: [{ address: aliceAddr, amount: 1000n }] }));
    await coord.issue();
    expect([node.getMetadata(t1.id), node.getMetadata(t2.id)].map((m) => [m!.confirmedBy, m!.conflict])).toEqual([
      [1, null],
      [1, null],
    ]);
    expect(node.balance(aliceAddr).confirmed).toBe(1500n);
    await node.close();

    node = await TangleNode.open({ dataDir: dir, genesis: testGenesis() });
    coord = new Coordinator(node, coordinatorSeed, { intervalMs: 1_000_000 });
    const t3 = await node.submit(buildTx(node, bob, { type: "transfer", inputs: [{ txId: t1Id, index: 0 }], outputs: [{ address: bobAddr, amount: 1000n }] }));
    const t4 = await node.submit(buildTx(node, alice, { type: "transfer", inputs: [{ txId: new Uint8Array(32).fill(3), index: 0 }], outputs: [{ address: bobAddr, amount: 1n }] }));
    await coord.issue();
    expect(node.getMetadata(t3.id)).toMatchObject({ confirmedBy: 2, conflict: "INPUT_SPENT" });
    expect(node.getMetadata(t4.id)).toMatchObject({ confirmedBy: 2, conflict: "INPUT_UNKNOWN" });
    expect(node.balance(bobAddr).confirmed).toBe(0n);
    await node.close();
  });
});

describe("pruning deletes spent records below the pruning index", () => {
  test("Store.removeSpentBy deletes a record only for the transfer it names", async () => {
    const store = await Store.open(tmpDir());
    try {
      const txId = new Uint8Array(32).fill(1);
      const spender = new Uint8Array(32).fill(2);
      await store.root.transaction(() => store.spent.put(keys.output(txId, 3), encodeSpentValue(ADDR[0], 5n, 1, spender)));
      await store.root.transaction(() => store.removeSpentBy(txId, 3, new Uint8Array(32).fill(9))); // a conflicting transfer's input
      expect(store.getSpentOutput(txId, 3)?.spentBy).toEqual(spender);
      await store.root.transaction(() => store.removeSpentBy(txId, 3, spender));
      expect(store.getSpentOutput(txId, 3)).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  test("a pruned transfer's spent records go with it; a later spend of its input is INPUT_UNKNOWN, as on a node booted from a snapshot", async () => {
    const genesis = testGenesis();
    const g = genesisTransactionId(genesis);
    const bobAddr = addressOf(bob.publicKey);
    const node = await TangleNode.open({ dataDir: tmpDir(), genesis, window: 8 });
    try {
      const zero = "00".repeat(32);
      const stream = new Uint8Array(32).fill(5);
      const x = (await node.submit(buildTx(node, alice, { type: "transfer", inputs: [{ txId: g, index: 0 }], outputs: [{ address: bobAddr, amount: 1000n }] }, [toHex(g), zero]))).id;
      let prev = (await node.submit(buildTx(node, alice, dataPayload(stream, 0), [toHex(g), zero]))).id;
      await node.submit(buildMilestone(node, { parents: [x, prev] }).bytes);
      expect(node.getMetadata(x)).toMatchObject({ confirmedBy: 1, conflict: null });
      expect(node.store.getSpentOutput(g, 0)?.spentBy).toEqual(Buffer.from(x, "hex"));
      for (let i = 1; i <= 11; i++) {
        const latest = node.latestMilestone!.id;
        prev = (await node.submit(buildTx(node, alice, dataPayload(stream, i, Buffer.from(prev, "hex")), [latest, prev]))).id;
        await node.submit(buildMilestone(node, { parents: [latest, prev] }).bytes);
      }
      const pruner = new Pruner({ node, depth: 2, synced: () => true });
      for (let last = -1; pruner.index !== last; ) {
        last = pruner.index;
        pruner.onMilestone();
        await pruner.idle();
      }
      expect(pruner.index).toBeGreaterThanOrEqual(1);
      expect(node.hasTransaction(x)).toBe(false);
      expect(node.store.getSpentOutput(g, 0)).toBeUndefined();
      expect([...node.store.spentOutputs()]).toEqual([]);
      // The ledger's state is untouched: bob's output is unspent, balances as they were.
      expect(node.balance(bobAddr).confirmed).toBe(1000n);
      const again = (await node.submit(buildTx(node, alice, { type: "transfer", inputs: [{ txId: g, index: 0 }], outputs: [{ address: bobAddr, amount: 1000n }] }, [node.latestMilestone!.id, prev]))).id;
      await node.submit(buildMilestone(node, { parents: [node.latestMilestone!.id, again] }).bytes);
      expect(node.getMetadata(again)).toMatchObject({ confirmedBy: 13, conflict: "INPUT_UNKNOWN" });
      expect(node.balance(bobAddr).confirmed).toBe(1000n);
    } finally {
      await node.close();
    }
  });
});
