/**
 * A full disk on a follower (issue 15, defect 3): while its data directory's filesystem is below
 * the reserve, transactions and milestones gossiped by its peer are neither acknowledged nor
 * stored, and the peer is not held responsible (no invalid count, no disconnect); once space
 * returns, the follower takes writes again by itself and catches up with what it dropped. The
 * follower's filesystem figures come from an injected statfs (the real-filesystem test is
 * disk-full.test.ts); the nodes, their database and the peering are real.
 */
import { startTestNode, TestNode } from "../../support/node";
import { alice, buildTx, dataPayload } from "../_helpers";

jest.setTimeout(60_000);

const MiB = 2 ** 20;
const nodes: TestNode[] = [];
afterAll(async () => {
  for (const n of nodes.reverse()) await n.close();
});

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("a follower below its reserve drops gossip without blaming the peer, and catches up once space returns", async () => {
  const coordinator = await startTestNode({ milestoneIntervalMs: 200 });
  nodes.push(coordinator);
  const disk = { freeBytes: 1000 * MiB };
  const follower = await startTestNode({
    coordinator: false,
    peer: [`ws://127.0.0.1:${coordinator.port}`],
    node: { storageReserveBytes: 16 * MiB, statfs: () => ({ bsize: 4096, blocks: (2000 * MiB) / 4096, bavail: Math.floor(disk.freeBytes / 4096) }) },
  });
  nodes.push(follower);
  const a = coordinator.node;
  const b = follower.node;
  await until("the follower following", () => a.ledgerIndex >= 2 && b.ledgerIndex >= 2, 10_000);

  disk.freeBytes = 10 * MiB;
  b.space.check(); // the timer would within a second
  expect(b.writable).toBe(false);
  const indexWhenFull = b.ledgerIndex;
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) ids.push((await a.submit(buildTx(a, alice, dataPayload(new Uint8Array(32).fill(i + 1), 0)))).id);
  await until("the coordinator's milestones past the follower", () => a.ledgerIndex >= indexWhenFull + 3, 10_000);
  await new Promise((r) => setTimeout(r, 500));
  expect(ids.filter((id) => b.hasTransaction(id))).toEqual([]);
  expect(b.ledgerIndex).toBe(indexWhenFull);
  const health = await fetch(`http://127.0.0.1:${follower.port}/health`);
  expect(health.status).toBe(503);
  expect(((await health.json()) as { reason: string }).reason).toBe("storage full: 10 MiB free, reserve 16 MiB");
  const peerStats = follower.started.peering.stats();
  expect(peerStats.map((s) => ({ connected: s.connected, invalid: s.invalid }))).toEqual([{ connected: true, invalid: 0 }]);

  disk.freeBytes = 500 * MiB;
  await until("writes taken again (the space watcher's timer)", () => b.writable, 5000);
  await until("the follower caught up", () => b.ledgerIndex >= a.ledgerIndex - 1 && ids.every((id) => b.hasTransaction(id)), 20_000);
  expect(follower.started.peering.stats().map((s) => s.invalid)).toEqual([0]);
});
