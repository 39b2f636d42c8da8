/**
 * A node syncing from genesis a history larger than its solidifier (real nodes on 127.0.0.1, real
 * LMDB, peering over WebSockets). The coordinator's new milestones and its inventory reach the new
 * node first, and each of them asks for its whole past cone, top down: every transaction of that
 * walk waits for its parents, so a history deeper than `maxWaiting` filled the solidifier with the
 * top of the walk and refused the bottom (ERR_SOLIDIFIER_FULL), which nothing above could do
 * without; the node stalled (docs/storage.md, "Booting from a peer"). A peer's transaction that
 * finds the solidifier full now takes the place of the peer transaction that waited longest.
 */
import { fromHex } from "../../../client/protocol/bytes";
import { NodeErrorCode } from "../../../node/errors";
import { startTestNode, TestNode } from "../../support/node";
import { alice, buildTx, dataPayload } from "../_helpers";

jest.setTimeout(90_000);

const nodes: TestNode[] = [];
afterAll(async () => {
  for (const n of nodes.reverse()) await n.close();
});

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

test("a node whose solidifier holds 40 transactions syncs a history of 600 from genesis", async () => {
  const coordinator = await startTestNode({ milestoneIntervalMs: 100 });
  nodes.push(coordinator);
  const c = coordinator.node;
  const streams = [1, 2, 3].map((b) => new Uint8Array(32).fill(b));
  const prev: (string | undefined)[] = [undefined, undefined, undefined];
  for (let i = 0; i < 600; i++) {
    const s = i % 3;
    prev[s] = (await c.submit(buildTx(c, alice, dataPayload(streams[s], Math.floor(i / 3), prev[s] ? fromHex(prev[s]!) : undefined)))).id;
  }
  const last = prev.map((id) => id!);
  expect(await until(() => last.every((id) => c.getMetadata(id)?.confirmedBy !== undefined && c.getMetadata(id)?.confirmedBy !== null), 20_000)).toBe(true);
  const target = c.ledgerIndex;

  const follower = await startTestNode({ coordinator: false, peer: [coordinator.url], node: { maxWaiting: 40 } });
  nodes.push(follower);
  const synced = await until(() => follower.node.ledgerIndex >= target, 45_000);
  const full = follower.logs.filter((l) => l.code === NodeErrorCode.SOLIDIFIER_FULL).length;
  expect({ synced, at: follower.node.ledgerIndex, target, solidifierFullLogged: full }).toEqual({ synced: true, at: follower.node.ledgerIndex, target, solidifierFullLogged: 0 });
  expect(follower.node.getMilestone(target)?.stateHash).toBe(c.getMilestone(target)?.stateHash);
  for (const id of last) expect(follower.node.hasTransaction(id)).toBe(true);
  expect(follower.node.diverged).toBeUndefined();
});
