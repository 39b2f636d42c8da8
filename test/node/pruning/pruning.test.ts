/**
 * Pruning by depth on a real node and LMDB in a temporary folder (node/pruning/): a small window,
 * milestones built with chosen parents so that one old confirmed transaction stays approved by an
 * unconfirmed one that arrived late (it must become a solid entry point), old transactions no
 * milestone confirmed (they go), then the pruner at depth 2. Streams: the index entries of pruned
 * records go from each stream's lowest sequence up, the confirmed head stays.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import type { Payload } from "../../../client/protocol/codec";
import { addressOf } from "../../../client/protocol/keys";
import { genesisTransactionId } from "../../../node/ledger/genesis";
import { TangleNode } from "../../../node/tangle-node";
import { Pruner } from "../../../node/pruning/pruner";
import { beginPruning, prunedThroughOf, pruneTo, pruningIndexOf } from "../../../node/pruning/executor";
import { checkDatabase } from "../../../node/tools/check";
import { Store } from "../../../node/storage/store";
import { encodeOutputValue, keys, readSeq } from "../../../node/storage/schema";
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
  /** Old and never confirmed: u (a record), w (a record approving u), q (approved by y, which arrives last). */
  u: string;
  w: string;
  q: string;
}

const zero = "00".repeat(32);
const orphans = new Uint8Array(32).fill(7);

/**
 * Milestone 1 confirms a record d0 and a transfer x (alice pays bob 300); u, w and q arrive before
 * it and no milestone ever references them; milestones 2..12 each confirm one more record of the
 * stream; y (unconfirmed, never a milestone's parent) arrives last and approves x and q.
 */
async function build(): Promise<Built> {
  const dir = tmpDir();
  const node = await TangleNode.open({ dataDir: dir, genesis, window });
  const d0 = (await node.submit(buildTx(node, alice, dataPayload(stream, 0), [toHex(g), zero]))).id;
  const x = (await node.submit(buildTx(node, alice, transfer([{ txId: g, index: 0 }], [{ address: bobAddr, amount: 300n }, { address: aliceAddr, amount: 700n }]), [toHex(g), zero]))).id;
  const u = (await node.submit(buildTx(node, alice, dataPayload(orphans, 0), [toHex(g), zero]))).id;
  const w = (await node.submit(buildTx(node, alice, dataPayload(orphans, 1, fromHex(u)), [u, zero]))).id;
  const q = (await node.submit(buildTx(node, alice, dataPayload(new Uint8Array(32).fill(8), 0), [toHex(g), zero]))).id;
  const m1 = (await node.submit(buildMilestone(node, { parents: [d0, x] }).bytes)).id;
  let prev = d0;
  for (let i = 1; i <= 11; i++) {
    const latest = node.latestMilestone!.id;
    prev = (await node.submit(buildTx(node, alice, dataPayload(stream, i, fromHex(prev)), [latest, prev]))).id;
    await node.submit(buildMilestone(node, { parents: [latest, prev] }).bytes);
  }
  const y = (await node.submit(buildTx(node, alice, dataPayload(new Uint8Array(32).fill(6), 0), [x, q, node.latestMilestone!.id]))).id;
  expect(node.ledgerIndex).toBe(12);
  return { dir, node, d0, x, y, m1, lastRecord: prev, u, w, q };
}

/** Every approvers entry names two stored transactions (none is left behind by a deletion; a pruned milestone's is in keptTx). */
function expectNoStaleApprovers(store: Store): void {
  const stale: string[] = [];
  for (const key of store.approvers.getKeys({})) {
    const k = key as Buffer;
    for (const seq of [readSeq(k.subarray(0, 8)), readSeq(k.subarray(8, 16))]) if (!store.tx.doesExist(keys.seq(seq)) && !store.keptTx.doesExist(keys.seq(seq))) stale.push(k.toString("hex"));
  }
  expect(stale).toEqual([]);
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
  // Of the unconfirmed transactions that arrived before the pruning index's milestone, only q stays.
  const boundary = node.store.seqOf(fromHex(node.getMilestone(index)!.id))!;
  const oldUnconfirmed = [...node.store.arrivals()].filter(({ seq, id }) => seq < boundary && node.store.getMeta(id)!.confirmedBy === undefined && node.store.getMeta(id)!.milestoneIndex === undefined);
  expect(oldUnconfirmed.map((a) => toHex(a.id))).toEqual([b.q]);
  // Every entry point is approved by a transaction that stays (none is kept for nothing).
  for (const e of entry) expect(node.store.approversOf(fromHex(e)).some((a) => (node.store.getMeta(a)?.confirmedBy ?? Infinity) > index)).toBe(true);
  expect(node.getMilestone(1)).toMatchObject({ id: b.m1, included: 2 });
  expect(node.store.getMilestone(1)?.included).toEqual([]); // the id list went with the transactions
  expect(node.hasTransaction(b.m1)).toBe(true);
  // The stream's newest record is its head: kept. The index entries of the pruned records went
  // with them, from sequence 0 up: what is listed is stored, and the listing starts at the first
  // record still stored.
  const records = node.streamRecords(stream, 0, 100);
  expect(records[records.length - 1]).toEqual({ sequence: 11, id: b.lastRecord });
  expect(records.every((r) => node.hasTransaction(r.id))).toBe(true);
  expect(records.find((r) => r.sequence === 0)).toBeUndefined();
  expect(node.getTransactionBytes(b.d0)).toBeUndefined();
  const firstKept = records[0].sequence;
  expect(firstKept).toBeGreaterThan(0);
  expect(records.map((r) => r.sequence)).toEqual(Array.from({ length: 12 - firstKept }, (_, i) => firstKept + i));
  expect(node.store.streamBounds(stream)).toEqual({ firstSequence: firstKept, lastSequence: 11 });
  // Never confirmed and older than the pruning index: deleted, index entries too (an unconfirmed
  // newest record is no head). q stays: y, which stays, approves it.
  expect([node.hasTransaction(b.u), node.hasTransaction(b.w), node.hasTransaction(b.q), node.hasTransaction(b.y)]).toEqual([false, false, true, true]);
  expect(node.streamRecords(orphans, 0, 10)).toEqual([]);
  expect(node.store.streamBounds(orphans)).toBeUndefined();
  expectNoStaleApprovers(node.store);
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
  expect(node.getMetadata(b.q)?.confirmedBy).toBe(13); // kept, so it could still be confirmed
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

test("a stream's index is pruned from its lowest sequence up; a superseded head goes once a later record of its stream is pruned", async () => {
  const dir = tmpDir();
  const node = await TangleNode.open({ dataDir: dir, genesis, window });
  const a = new Uint8Array(32).fill(0x0a);
  const h = new Uint8Array(32).fill(0x0b);
  const filler = new Uint8Array(32).fill(0x0c);
  const forget = { onDeleted: (ids: string[]) => node.forgetPruned(ids) };
  try {
    // a1 is confirmed by milestone 1, a0 (the record before it) only by milestone 4.
    const a0 = (await node.submit(buildTx(node, alice, dataPayload(a, 0), [toHex(g), zero]))).id;
    const a1 = (await node.submit(buildTx(node, alice, dataPayload(a, 1, fromHex(a0)), [toHex(g), zero]))).id;
    await node.submit(buildMilestone(node, { parents: [a1, toHex(g)] }).bytes);
    // h0 is its stream's only record until h1, confirmed by milestone 12.
    const h0 = (await node.submit(buildTx(node, alice, dataPayload(h, 0), [node.latestMilestone!.id, zero]))).id;
    await node.submit(buildMilestone(node, { parents: [node.latestMilestone!.id, h0] }).bytes);
    let prev: string | undefined;
    let h1 = "";
    let a2 = "";
    let fseq = 0;
    const grow = async (to: number) => {
      for (; node.ledgerIndex < to; ) {
        const latest = node.latestMilestone!.id;
        const next = node.ledgerIndex + 1;
        // a2 arrives before milestone 5 and waits unconfirmed until milestone 14 takes it.
        if (next === 5) a2 = (await node.submit(buildTx(node, alice, dataPayload(a, 2, fromHex(a1)), [latest, zero]))).id;
        if (next === 12) h1 = (await node.submit(buildTx(node, alice, dataPayload(h, 1, fromHex(h0)), [latest, zero]))).id;
        const record = next === 4 ? a0 : next === 12 ? h1 : next === 14 ? a2 : undefined;
        prev = (await node.submit(buildTx(node, alice, dataPayload(filler, fseq++, prev ? fromHex(prev) : undefined), [latest, prev ?? zero]))).id;
        await node.submit(buildMilestone(node, { parents: [latest, prev, ...(record ? [record] : [])] }).bytes);
      }
    };
    await grow(6);
    expect(node.getMetadata(a1)?.confirmedBy).toBe(1);
    expect(node.getMetadata(a0)?.confirmedBy).toBe(4);

    // Pruned to 3: a1 may go by its milestone, but a0 below it may not yet: both stay listed and
    // stored, with a2 (unconfirmed, arrived after milestone 3).
    await pruneTo(node.store, 3, forget);
    expect(node.streamRecords(a, 0, 10).map((r) => r.id)).toEqual([a0, a1, a2]);
    expect([node.hasTransaction(a0), node.hasTransaction(a1), node.hasTransaction(a2)]).toEqual([true, true, true]);
    expect(node.store.streamBounds(a)).toEqual({ firstSequence: 0, lastSequence: 2 });
    // h0 is its stream's head: kept.
    expect(node.streamRecords(h, 0, 10).map((r) => r.id)).toEqual([h0]);
    expect(node.hasTransaction(h0)).toBe(true);

    await grow(16);
    expect(node.getMetadata(h1)?.confirmedBy).toBe(12);
    expect(node.getMetadata(a2)?.confirmedBy).toBe(14);
    // Pruned to 5: a0 goes, and a1 above it with it; a2 (confirmed by 14) stays.
    await pruneTo(node.store, 5, forget);
    expect([node.hasTransaction(a0), node.hasTransaction(a1)]).toEqual([false, false]);
    expect(node.streamRecords(a, 0, 10).map((r) => r.id)).toEqual([a2]);
    expect(node.store.streamBounds(a)).toEqual({ firstSequence: 2, lastSequence: 2 });

    // Pruned to 13: h1 (confirmed by 12) is the head now; h0, superseded, goes.
    await pruneTo(node.store, 13, forget);
    expect(node.streamRecords(h, 0, 10).map((r) => r.id)).toEqual([h1]);
    expect([node.hasTransaction(h0), node.hasTransaction(h1)]).toEqual([false, true]);
    // The filler stream: listed from its first stored record, every listed record stored.
    const f = node.streamRecords(filler, 0, 100);
    expect(f.every((r) => node.hasTransaction(r.id))).toBe(true);
    expect(f[f.length - 1].id).toBe(prev);
    expect(node.store.streamBounds(filler)?.firstSequence).toBe(f[0].sequence);
    expectNoStaleApprovers(node.store);
    // The ledger goes on.
    await node.submit(buildMilestone(node).bytes);
    expect(node.ledgerIndex).toBe(17);
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
