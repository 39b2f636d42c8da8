/**
 * Pruning by depth on a real node and LMDB in a temporary folder (node/pruning/): a small window,
 * milestones built with chosen parents so that one old confirmed transaction stays approved by an
 * unconfirmed one (it must become a solid entry point), then the pruner at depth 2.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import type { Payload } from "../../../client/protocol/codec";
import { addressOf } from "../../../client/protocol/keys";
import { genesisTransactionId } from "../../../node/ledger/genesis";
import { TangleNode } from "../../../node/tangle-node";
import { Pruner } from "../../../node/pruning/pruner";
import { beginPruning, prunedThroughOf, pruningIndexOf } from "../../../node/pruning/executor";
import { checkDatabase } from "../../../node/tools/check";
import { Store } from "../../../node/storage/store";
import { encodeOutputValue, keys } from "../../../node/storage/schema";
import { alice, bob, buildMilestone, buildTx, cleanupDirs, dataPayload, testGenesis, tmpDir } from "../_helpers";

afterAll(cleanupDirs);

const genesis = testGenesis();
const g = genesisTransactionId(genesis);
const aliceAddr = addressOf(alice.publicKey);
const bobAddr = addressOf(bob.publicKey);
const stream = new Uint8Array(32).fill(5);
const window = 8;

function transfer(inputs: { txId: Uint8Array; index: number }[], outputs: { address: Uint8Array; amount: bigint }[]): Payload {
  return { type: "transfer", inputs, outputs };
}

interface Built {
  dir: string;
  node: TangleNode;
  d0: string;
  x: string;
  y: string;
  m1: string;
  lastRecord: string;
}

/**
 * Milestone 1 confirms a record d0 and a transfer x (alice pays bob 300); y (unconfirmed, never a
 * milestone's parent) approves x; milestones 2..12 each confirm one more record of the stream.
 */
async function build(): Promise<Built> {
  const dir = tmpDir();
  const node = await TangleNode.open({ dataDir: dir, genesis, window });
  const d0 = (await node.submit(buildTx(node, alice, dataPayload(stream, 0)))).id;
  const x = (await node.submit(buildTx(node, alice, transfer([{ txId: g, index: 0 }], [{ address: bobAddr, amount: 300n }, { address: aliceAddr, amount: 700n }])))).id;
  const m1 = (await node.submit(buildMilestone(node, { parents: [d0, x] }).bytes)).id;
  const y = (await node.submit(buildTx(node, alice, dataPayload(new Uint8Array(32).fill(6), 0), [x, m1]))).id;
  let prev = d0;
  for (let i = 1; i <= 11; i++) {
    const latest = node.latestMilestone!.id;
    prev = (await node.submit(buildTx(node, alice, dataPayload(stream, i, fromHex(prev)), [latest, prev]))).id;
    await node.submit(buildMilestone(node, { parents: [latest, prev] }).bytes);
  }
  expect(node.ledgerIndex).toBe(12);
  return { dir, node, d0, x, y, m1, lastRecord: prev };
}

async function pruneAll(pruner: Pruner): Promise<void> {
  for (let last = -1; pruner.index !== last; ) {
    last = pruner.index;
    pruner.onMilestone();
    await pruner.idle();
  }
}

test("pruning at depth 2: old transactions go, entry points, milestones, stream head and ledger stay; new ones confirm; the node reopens", async () => {
  const b = await build();
  let node = b.node;
  const before = { stateHash: toHex(node.stateHash), alice: node.balance(aliceAddr).confirmed, bob: node.balance(bobAddr).confirmed };
  const pruner = new Pruner({ node, depth: 2, synced: () => true });
  await pruneAll(pruner);
  const index = pruner.index;
  // Not above the depth; not above what the window of 8 arrivals still holds.
  expect(index).toBeGreaterThanOrEqual(4);
  expect(index).toBeLessThanOrEqual(10);
  expect(prunedThroughOf(node.store)).toBe(index);

  expect(node.hasTransaction(b.d0)).toBe(false);
  expect(node.getMetadata(b.d0)).toBeUndefined();
  // x is approved by y, which is kept: an entry point, still stored.
  expect(node.isEntryPoint(b.x)).toBe(true);
  expect(node.hasTransaction(b.x)).toBe(true);
  expect(node.store.solidEntryPoints().map(toHex)).toContain(b.x);
  // Milestone records and transactions are kept.
  // Nothing left behind: what stays of the pruned milestones' transactions is a milestone, a stream's head or an entry point.
  const entry = new Set(node.store.solidEntryPoints().map(toHex));
  for (const { id } of node.store.arrivals()) {
    const m = node.store.getMeta(id)!;
    if (m.confirmedBy === undefined || m.confirmedBy > index || m.milestoneIndex !== undefined) continue;
    expect([toHex(id), entry.has(toHex(id)) || toHex(id) === b.lastRecord]).toEqual([toHex(id), true]);
  }
  // Every entry point is approved by a transaction that stays (none is kept for nothing).
  for (const e of entry) expect(node.store.approversOf(fromHex(e)).some((a) => (node.store.getMeta(a)?.confirmedBy ?? Infinity) > index)).toBe(true);
  expect(node.getMilestone(1)).toMatchObject({ id: b.m1, included: 2 });
  expect(node.store.getMilestone(1)?.included).toEqual([]); // the id list went with the transactions
  expect(node.hasTransaction(b.m1)).toBe(true);
  // The stream's newest record is its head: kept.
  const records = node.streamRecords(stream, 0, 100);
  expect(records[records.length - 1]).toEqual({ sequence: 11, id: b.lastRecord });
  // The index is kept (sequence -> id); the pruned records' bodies are not.
  expect(records.find((r) => r.sequence === 0)?.id).toBe(b.d0);
  expect(node.getTransactionBytes(b.d0)).toBeUndefined();
  // The ledger is untouched.
  expect(toHex(node.stateHash)).toBe(before.stateHash);
  expect(node.balance(aliceAddr).confirmed).toBe(before.alice);
  expect(node.balance(bobAddr).confirmed).toBe(before.bob);

  // y, on the pruned boundary, confirms with a new record; bob spends x's output.
  const latest = node.latestMilestone!.id;
  const z = (await node.submit(buildTx(node, alice, dataPayload(new Uint8Array(32).fill(6), 1, fromHex(b.y)), [b.y, latest]))).id;
  const t = (await node.submit(buildTx(node, bob, transfer([{ txId: fromHex(b.x), index: 0 }], [{ address: aliceAddr, amount: 300n }]), [z, latest]))).id;
  await node.submit(buildMilestone(node, { parents: [latest, t] }).bytes);
  expect(node.ledgerIndex).toBe(13);
  expect(node.getMetadata(b.y)?.confirmedBy).toBe(13);
  expect(node.getMetadata(t)).toMatchObject({ confirmedBy: 13, conflict: null });
  expect(node.balance(bobAddr).confirmed).toBe(0n);
  const after = toHex(node.stateHash);

  await pruner.close();
  await node.close();
  node = await TangleNode.open({ dataDir: b.dir, genesis, window });
  try {
    expect(node.ledgerIndex).toBe(13);
    expect(toHex(node.stateHash)).toBe(after);
    expect(node.isEntryPoint(b.x)).toBe(true);
    expect(node.hasTransaction(b.d0)).toBe(false);
    // The committee chain was rebuilt from the kept milestone transactions: the next milestone applies.
    await node.submit(buildMilestone(node).bytes);
    expect(node.ledgerIndex).toBe(14);
  } finally {
    await node.close();
  }
});

test("a pruning interrupted after its entry points were recorded opens and finishes", async () => {
  const b = await build();
  let node = b.node;
  // Step 1 only, as if killed before any deletion.
  await beginPruning(node.store, 4);
  expect(pruningIndexOf(node.store)).toBe(4);
  expect(prunedThroughOf(node.store)).toBe(0);
  expect(node.hasTransaction(b.d0)).toBe(true);
  const stateHash = toHex(node.stateHash);
  await node.close();
  node = await TangleNode.open({ dataDir: b.dir, genesis, window });
  try {
    expect(toHex(node.stateHash)).toBe(stateHash);
    expect(node.isEntryPoint(b.x)).toBe(true); // read back from the store at open
    const pruner = new Pruner({ node, depth: 100, synced: () => true }); // nothing new to prune at this depth
    pruner.onMilestone();
    await pruner.close();
    expect(prunedThroughOf(node.store)).toBe(4);
    expect(pruner.index).toBe(4);
    expect(node.hasTransaction(b.d0)).toBe(false);
    expect(node.hasTransaction(b.x)).toBe(true);
  } finally {
    await node.close();
  }
});

test("no pruning while unsynced", async () => {
  const b = await build();
  const pruner = new Pruner({ node: b.node, depth: 2, synced: () => false });
  pruner.onMilestone();
  await pruner.close();
  expect(pruner.index).toBe(0);
  expect(b.node.hasTransaction(b.d0)).toBe(true);
  await b.node.close();
});

test("tangle check accepts a pruned directory, checking its ledger against the latest milestone's signed roots", async () => {
  const b = await build();
  const pruner = new Pruner({ node: b.node, depth: 2, synced: () => true });
  await pruneAll(pruner);
  await pruner.close();
  await b.node.close();
  const report = await checkDatabase(b.dir, genesis);
  expect(report).toMatchObject({ ok: true, damaged: [], milestoneProblems: [], replayProblems: [], milestones: 12 });
  expect(report.pruningIndex).toBeGreaterThanOrEqual(4);

  // One unspent output's amount changed: the ledger root no longer matches what milestone 12 signs.
  const store = await Store.open(b.dir);
  const first = [...store.outputs()][0];
  await store.utxo.put(keys.output(first.txId, first.index), encodeOutputValue(first.address, first.amount + 1n, first.milestone));
  await store.close();
  const damaged = await checkDatabase(b.dir, genesis);
  expect(damaged.ok).toBe(false);
  expect(damaged.replayProblems.join("\n")).toMatch(/give ledger root [0-9a-f]{64}, milestone 12 signs/);
});

/**
 * The pruning of `dir` up to milestone `target` in a child process (the dist build), one
 * transaction per batch with a pause between batches, killed with SIGKILL once it printed `after`
 * batch lines (0: once the entry points and pruning index are written, before any deletion).
 */
async function pruneAndKill(dir: string, target: number, after: number): Promise<number> {
  const dist = (m: string) => JSON.stringify(path.join(__dirname, "..", "..", "..", "dist", "node", ...m.split("/")));
  const script = `
    const { Store } = require(${dist("storage/store.js")});
    const { beginPruning, finishPruning } = require(${dist("pruning/executor.js")});
    (async () => {
      const store = await Store.open(${JSON.stringify(dir)});
      await beginPruning(store, ${target});
      process.stdout.write("BEGUN\\n");
      let n = 0;
      await finishPruning(store, { batch: 1, onDeleted: () => process.stdout.write("BATCH " + ++n + "\\n"), between: () => new Promise((r) => setTimeout(r, 5)) });
      process.stdout.write("DONE\\n");
      setInterval(() => {}, 1000);
    })();`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  let seen = 0;
  let text = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const lines = text.split("\n").filter((l) => l.startsWith("BATCH") || l === "BEGUN" || l === "DONE");
      seen = lines.filter((l) => l.startsWith("BATCH")).length;
      if ((after === 0 && lines.includes("BEGUN")) || (after > 0 && seen >= after) || lines.includes("DONE")) {
        child.kill("SIGKILL");
        resolve();
      }
    });
    child.on("exit", (code, signal) => (signal === "SIGKILL" ? resolve() : reject(new Error(`pruning child exited ${code} before it was killed: ${text}`))));
  });
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once("exit", r)));
  return seen;
}

test("kill -9 during a pruning (a real child process): the database opens, the pruning finishes, check is clean", async () => {
  const b = await build();
  const stateHash = toHex(b.node.stateHash);
  await b.node.close();
  // Killed once right after the entry points were recorded, then again after a few deletions.
  for (const after of [0, 3]) {
    const seen = await pruneAndKill(b.dir, 8, after);
    expect(seen).toBeGreaterThanOrEqual(after);
    const store = await Store.open(b.dir);
    const [index, through] = [pruningIndexOf(store), prunedThroughOf(store)];
    await store.close();
    expect(index).toBe(8);
    expect(through).toBeLessThan(8); // killed in the middle
  }
  const node = await TangleNode.open({ dataDir: b.dir, genesis, window });
  try {
    expect(toHex(node.stateHash)).toBe(stateHash);
    expect(node.isEntryPoint(b.x)).toBe(true);
    const pruner = new Pruner({ node, depth: 100, synced: () => true });
    pruner.onMilestone();
    await pruner.close();
    expect(prunedThroughOf(node.store)).toBe(8);
    expect(node.hasTransaction(b.d0)).toBe(false);
    expect(node.hasTransaction(b.x)).toBe(true);
    await node.submit(buildMilestone(node).bytes);
    expect(node.ledgerIndex).toBe(13);
  } finally {
    await node.close();
  }
  expect(await checkDatabase(b.dir, genesis)).toMatchObject({ ok: true, pruningIndex: 8 });
});

test("by size: over the target the pruner goes down to the minimum depth; under it, the depth alone decides", async () => {
  const b = await build();
  const roomy = new Pruner({ node: b.node, depth: 100, synced: () => true, targetBytes: 2 ** 40 });
  await pruneAll(roomy);
  await roomy.close();
  expect(roomy.index).toBe(0);
  const tight = new Pruner({ node: b.node, depth: 100, synced: () => true, targetBytes: 1 });
  await pruneAll(tight);
  await tight.close();
  expect(tight.index).toBeGreaterThanOrEqual(4); // as far as the window allows, never within 2 of the ledger index
  expect(tight.index).toBeLessThanOrEqual(b.node.ledgerIndex - 2);
  expect(b.node.hasTransaction(b.d0)).toBe(false);
  await b.node.close();
});
