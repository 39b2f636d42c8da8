/**
 * Pruning in a network of real nodes on 127.0.0.1 (composition root, peering over WebSockets): the
 * coordinator prunes (depth 10, a window of 8 arrivals), an archive node (--pruning off) follows it,
 * and a fresh node that syncs from genesis from the archive node reaches the same ledger. A node
 * that can only sync from the pruned one stays behind (the cones are gone) without diverging, and
 * says why: its peer pruned below N (the peer's `hello` and `beat` say so, protocol 6), in a
 * warning, in getNodeInfo.syncProblem and on /health; once an archive node is added as a peer it
 * syncs from that one.
 */
import { fromHex } from "../../../client/protocol/bytes";
import { startTestNode, TestNode } from "../../support/node";
import { alice, buildTx, dataPayload, until } from "../_helpers";

jest.setTimeout(120_000);

const nodes: TestNode[] = [];
afterAll(async () => {
  for (const n of nodes.reverse()) await n.close();
});


test("a node syncing from genesis from an archive node reaches the pruned coordinator's ledger", async () => {
  // Depth 10 (0.6 s): an archive node that lags behind a little still finds the cones it asks for.
  const coordinator = await startTestNode({ pruningDepth: 10, milestoneIntervalMs: 60, node: { window: 8 } });
  nodes.push(coordinator);
  const archive = await startTestNode({ coordinator: false, pruning: "off", peer: [coordinator.url] });
  nodes.push(archive);
  const c = coordinator.node;
  const stream = new Uint8Array(32).fill(4);
  let prev: string | undefined;
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    prev = (await c.submit(buildTx(c, alice, dataPayload(stream, i, prev ? fromHex(prev) : undefined)))).id;
    ids.push(prev);
    await new Promise((r) => setTimeout(r, 80));
  }
  await until(() => c.pruningIndex >= 4 && !c.hasTransaction(ids[0]), 45_000);
  await until(() => archive.node.ledgerIndex >= c.ledgerIndex - 1, 45_000);
  expect(archive.node.pruningIndex).toBe(0);
  for (const id of ids) expect(archive.node.hasTransaction(id)).toBe(true);

  const target = archive.node.ledgerIndex;
  const follower = await startTestNode({ coordinator: false, pruning: "off", peer: [archive.url] });
  nodes.push(follower);
  await until(() => follower.node.ledgerIndex >= target, 45_000);
  expect(follower.node.getMilestone(target)?.stateHash).toBe(archive.node.getMilestone(target)?.stateHash);
  for (const id of ids) expect(follower.node.getMetadata(id)?.confirmedBy).toBe(archive.node.getMetadata(id)?.confirmedBy);
  expect(follower.node.diverged).toBeUndefined();

  // A fresh node whose only peer is the pruned coordinator: the pruned cones are gone, so it stays
  // below the pruning index, without diverging, and says why; the coordinator goes on confirming.
  const stuck = await startTestNode({ coordinator: false, pruning: "off", peer: [coordinator.url], client: true });
  nodes.push(stuck);
  const at = c.ledgerIndex;
  await until(() => c.ledgerIndex > at + 5, 45_000);
  expect(stuck.node.ledgerIndex).toBeLessThan(c.pruningIndex);
  expect(stuck.node.diverged).toBeUndefined();
  const why = /^cannot sync milestone 1 \(at 0 of \d+\): the peers pruned below (\d+): boot from a snapshot \(--bootstrap snapshot\) or peer with an archive node$/;
  const info = await stuck.client!.getNodeInfo();
  expect(info.synced).toBe(false);
  expect(info.syncProblem).toMatch(why);
  expect(Number(why.exec(info.syncProblem!)![1])).toBeGreaterThan(1);
  const health = await fetch(`http://127.0.0.1:${stuck.port}/health`);
  expect(health.status).toBe(503);
  expect(((await health.json()) as { reason: string }).reason).toMatch(why);
  const warned = stuck.logs.filter((l) => l.level === 40 && typeof l.msg === "string" && why.test(l.msg));
  expect(warned).toHaveLength(1); // once, not at every beat
  // getPeers shows how far the peer pruned.
  const [peerInfo] = stuck.started.peering.stats();
  expect(peerInfo.prunedMilestoneIndex).toBeGreaterThan(0);
  expect(peerInfo.prunedMilestoneIndex).toBeLessThanOrEqual(c.pruningIndex);
  expect(follower.started.peering.syncProblem).toBeNull();

  // An archive node as a second peer: it holds the cones, and the node syncs from it.
  stuck.started.peering.addPeer(archive.url);
  const reach = archive.node.ledgerIndex;
  await until(() => stuck.node.ledgerIndex >= reach, 45_000);
  expect(stuck.node.getMilestone(reach)?.stateHash).toBe(archive.node.getMilestone(reach)?.stateHash);
  expect((await stuck.client!.getNodeInfo()).syncProblem).toBeNull();
});
