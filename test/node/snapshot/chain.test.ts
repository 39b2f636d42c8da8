/**
 * Snapshots of snapshots (node/snapshot/entry-points.ts): node A writes a file, node B is imported
 * from it and writes a file of its own, node C is imported from B's. The solid entry points B's
 * import gave it must travel on in B's file while they matter: within the last 15 milestones (C
 * then solidifies a transaction approving a transaction A confirmed just below B's import, and B
 * applies C's next milestone alike), and past them when a transaction B holds unconfirmed approves
 * one; an entry point nothing approves any more, older than the last 15 milestones, is left out.
 * Likewise a pruned node's own entry points, where pruning emptied the id lists that name them.
 * Real nodes, LMDB in temporary folders.
 */
import * as path from "node:path";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import type { Payload } from "../../../client/protocol/codec";
import { addressOf } from "../../../client/protocol/keys";
import { Coordinator } from "../../../node/coordinator";
import { genesisTransactionId } from "../../../node/ledger/genesis";
import { TangleNode } from "../../../node/tangle-node";
import { createSnapshot, importSnapshot, SnapshotReader } from "../../../node/snapshot";
import { pruneTo } from "../../../node/pruning/executor";
import { alice, bob, buildMilestone, buildTx, cleanupDirs, coordinatorSeed, dataPayload, testGenesis, tmpDir } from "../_helpers";

const genesis = testGenesis();
const g = genesisTransactionId(genesis);
const bobAddr = addressOf(bob.publicKey);
const stream = new Uint8Array(32).fill(0x5c);
/** A's file at milestone 1, and what milestone 1 confirmed. */
let fileA: string;
let r0: string;
let t: string;
let r0Bytes: Uint8Array;
let aDir: string;

function transfer(inputs: { txId: Uint8Array; index: number }[], outputs: { address: Uint8Array; amount: bigint }[]): Payload {
  return { type: "transfer", inputs, outputs };
}

function entryPointsOf(file: string): string[] {
  const r = SnapshotReader.open(file);
  const ids = r.header.entryPoints.map(toHex);
  r.close();
  return ids;
}

async function issue(node: TangleNode, count: number): Promise<void> {
  const c = new Coordinator(node, coordinatorSeed, { intervalMs: 1e9 });
  for (let i = 0; i < count; i++) await c.issue();
}

/** A directory imported from `file`. */
async function imported(file: string): Promise<string> {
  const dir = path.join(tmpDir(), "imported");
  await importSnapshot(file, dir, genesis);
  return dir;
}

beforeAll(async () => {
  const a = (aDir = tmpDir());
  const na = await TangleNode.open({ dataDir: a, genesis });
  r0Bytes = buildTx(na, alice, dataPayload(stream, 0));
  r0 = (await na.submit(r0Bytes)).id;
  t = (await na.submit(buildTx(na, alice, transfer([{ txId: g, index: 0 }], [{ address: bobAddr, amount: 1000n }])))).id;
  await issue(na, 1);
  expect([na.getMetadata(r0)?.confirmedBy, na.getMetadata(t)?.confirmedBy]).toEqual([1, 1]);
  await na.close();
  fileA = path.join(tmpDir(), "a-1.snap");
  await createSnapshot(a, fileA, genesis);
  expect(entryPointsOf(fileA)).toEqual(expect.arrayContaining([r0, t]));
});

afterAll(() => cleanupDirs());

test("A -> snapshot -> B -> snapshot -> C: B's file within 15 milestones of its import keeps A's entry points, and C confirms what approves them as B does", async () => {
  const b = await imported(fileA);
  const nb = await TangleNode.open({ dataDir: b, genesis });
  await issue(nb, 1);
  expect(nb.ledgerIndex).toBe(2);
  await nb.close();
  const fileB = path.join(tmpDir(), "b-2.snap");
  await createSnapshot(b, fileB, genesis);
  expect(entryPointsOf(fileB)).toEqual(expect.arrayContaining([r0, t]));

  const c = await imported(fileB);
  const nc = await TangleNode.open({ dataDir: c, genesis, solidifyTimeoutMs: 1000 });
  let ms3: Uint8Array;
  let r1: string;
  try {
    expect([nc.isEntryPoint(r0), nc.isEntryPoint(t)]).toEqual([true, true]);
    // A record continuing A's stream from its first record, attached to what A's milestone 1 confirmed.
    const r1Bytes = buildTx(nc, alice, dataPayload(stream, 1, fromHex(r0)), [r0, t]);
    r1 = (await nc.submit(r1Bytes)).id;
    ms3 = buildMilestone(nc, { parents: [nc.latestMilestone!.id, r1] }).bytes;
    await nc.submit(ms3);
    expect(nc.ledgerIndex).toBe(3);
    expect(nc.getMetadata(r1)).toMatchObject({ confirmedBy: 3, conflict: null });
    // B, which had A's entry points from its own import, applies C's milestone to the same state.
    const again = await TangleNode.open({ dataDir: b, genesis, solidifyTimeoutMs: 1000 });
    try {
      await again.submit(r1Bytes);
      await again.submit(ms3);
      expect(again.ledgerIndex).toBe(3);
      expect(toHex(again.stateHash)).toBe(toHex(nc.stateHash));
      expect(toHex(again.proveOutput(g, 0).ledgerRoot)).toBe(toHex(nc.proveOutput(g, 0).ledgerRoot));
    } finally {
      await again.close();
    }
  } finally {
    await nc.close();
  }
});

test("past 15 milestones after its import, B's file keeps the imported entry point a transaction B holds unconfirmed approves, and drops the one nothing approves", async () => {
  const b = await imported(fileA);
  const nb = await TangleNode.open({ dataDir: b, genesis });
  await issue(nb, 15);
  expect(nb.ledgerIndex).toBe(16);
  // Unconfirmed at 16: a record on A's first record.
  const uBytes = buildTx(nb, alice, dataPayload(stream, 1, fromHex(r0)), [r0, nb.latestMilestone!.id]);
  const u = (await nb.submit(uBytes)).id;
  expect(nb.getMetadata(u)?.confirmedBy ?? null).toBeNull();
  await nb.close();
  const fileB = path.join(tmpDir(), "b-16.snap");
  await createSnapshot(b, fileB, genesis);
  const eps = entryPointsOf(fileB);
  expect(eps).toContain(r0);
  expect(eps).not.toContain(t);

  // C takes u (as gossip would bring it) on that entry point.
  const c = await imported(fileB);
  const nc = await TangleNode.open({ dataDir: c, genesis, solidifyTimeoutMs: 1000 });
  try {
    await nc.submit(uBytes);
    expect(nc.hasTransaction(u)).toBe(true);
  } finally {
    await nc.close();
  }
});

test("an imported entry point that arrives again (gossip from a peer syncing from the genesis) is a duplicate, not stored as unconfirmed: a milestone over a record approving it confirms the same cone on A", async () => {
  const b = await imported(fileA);
  const nb = await TangleNode.open({ dataDir: b, genesis, solidifyTimeoutMs: 1000 });
  let ms2: Uint8Array;
  let r1Bytes: Uint8Array;
  try {
    expect(nb.isEntryPoint(r0)).toBe(true);
    expect(await nb.submit(r0Bytes)).toEqual({ id: r0, duplicate: true });
    expect(nb.hasTransaction(r0)).toBe(false);
    r1Bytes = buildTx(nb, alice, dataPayload(stream, 1, fromHex(r0)), [r0, nb.latestMilestone!.id]);
    const r1 = (await nb.submit(r1Bytes)).id;
    ms2 = buildMilestone(nb, { parents: [nb.latestMilestone!.id, r1] }).bytes;
    await nb.submit(ms2);
    expect(nb.ledgerIndex).toBe(2);
  } finally {
    await nb.close();
  }
  // A, with the whole history, takes the same milestone: the cone B computed is A's.
  const na = await TangleNode.open({ dataDir: aDir, genesis });
  try {
    await na.submit(r1Bytes);
    await na.submit(ms2);
    expect(na.ledgerIndex).toBe(2);
    expect(na.diverged).toBeUndefined();
  } finally {
    await na.close();
  }
});

test("a pruned node's file names its own entry points confirmed within the last 15 milestones, whose id lists pruning emptied; a node booted from it takes what approves them", async () => {
  const a = tmpDir();
  const na = await TangleNode.open({ dataDir: a, genesis, solidifyTimeoutMs: 1000 });
  const coord = new Coordinator(na, coordinatorSeed, { intervalMs: 1e9 });
  const s2 = new Uint8Array(32).fill(0x6d);
  const x = (await na.submit(buildTx(na, alice, dataPayload(s2, 0)))).id;
  await coord.issue();
  expect(na.getMetadata(x)?.confirmedBy).toBe(1);
  for (let i = 0; i < 4; i++) await coord.issue();
  // Unconfirmed when pruned: a record on x, so x stays, as an entry point; milestone 1's id list goes.
  await na.submit(buildTx(na, alice, dataPayload(s2, 1, fromHex(x)), [x, na.latestMilestone!.id]));
  await pruneTo(na.store, 3);
  expect(na.store.solidEntryPoints().map(toHex)).toContain(x);
  expect(na.store.getMilestone(1)?.included).toEqual([]);
  // The record is confirmed by milestone 6; the file at 10 has nothing unconfirmed approving x.
  for (let i = 0; i < 5; i++) await coord.issue();
  expect(na.ledgerIndex).toBe(10);
  await na.close();
  const file = path.join(tmpDir(), "pruned-10.snap");
  await createSnapshot(a, file, genesis);
  expect(entryPointsOf(file)).toContain(x);

  const c = await imported(file);
  const nc = await TangleNode.open({ dataDir: c, genesis, solidifyTimeoutMs: 1000 });
  let vBytes: Uint8Array;
  let ms11: Uint8Array;
  try {
    expect(nc.isEntryPoint(x)).toBe(true);
    vBytes = buildTx(nc, bob, dataPayload(new Uint8Array(32).fill(0x6e), 0), [x, nc.latestMilestone!.id]);
    const v = (await nc.submit(vBytes)).id;
    ms11 = buildMilestone(nc, { parents: [nc.latestMilestone!.id, v] }).bytes;
    await nc.submit(ms11);
    expect(nc.getMetadata(v)).toMatchObject({ confirmedBy: 11, conflict: null });
  } finally {
    await nc.close();
  }
  const again = await TangleNode.open({ dataDir: a, genesis, solidifyTimeoutMs: 1000 });
  try {
    await again.submit(vBytes);
    await again.submit(ms11);
    expect(again.ledgerIndex).toBe(11);
    expect(again.diverged).toBeUndefined();
  } finally {
    await again.close();
  }
});
