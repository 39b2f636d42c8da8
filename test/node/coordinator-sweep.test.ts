/**
 * The coordinator sweeps tips (issue 15, found by the chaos suite's disk scenario: 4 of 8,540
 * records acknowledged before a kill -9 stayed unconfirmed after the restart, solid but lazy).
 * A milestone references at most seven tips. Drawn at random from the tip pool, a burst of many
 * parallel tips is not all drawn before the oldest turn lazy (TIP-3: a few milestones), and a lazy
 * tip is never confirmed. Referencing the tips most at risk first, oldest first, confirms them all.
 *
 * 60 transactions attached side by side to the same two parents (60 parallel tips, which nothing
 * else approves) under a coordinator issuing every 100 ms.
 */
import { startTestNode, TestNode } from "../support/node";
import { alice, buildTx, dataPayload } from "./_helpers";

jest.setTimeout(60_000);

const TIPS = 60;
let n: TestNode | undefined;
afterAll(() => n?.close());

async function until(ok: () => boolean, timeoutMs: number): Promise<boolean> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

test(`${TIPS} parallel tips are all confirmed by the coordinator's milestones, none left lazy`, async () => {
  n = await startTestNode({ milestoneIntervalMs: 100 });
  const node = n.node;
  expect(await until(() => node.ledgerIndex >= 2, 10_000)).toBe(true);
  const parents = node.selectParents(2);
  const ids: string[] = [];
  for (let i = 0; i < TIPS; i++) {
    const stream = new Uint8Array(32).fill(i + 1);
    ids.push((await node.submit(buildTx(node, alice, dataPayload(stream, 0), parents))).id);
  }
  const start = node.ledgerIndex;
  // Every one confirmed, or given up on (lazy: shouldReattach) — what the old coordinator left.
  const settled = () => ids.every((id) => node.getMetadata(id)!.confirmedBy !== null || node.attachmentHints(id).shouldReattach);
  expect(await until(settled, 30_000)).toBe(true);
  const unconfirmed = ids.filter((id) => node.getMetadata(id)!.confirmedBy === null);
  expect({ unconfirmed: unconfirmed.length, of: TIPS }).toEqual({ unconfirmed: 0, of: TIPS });
  // Seven tips a milestone: about TIPS / 7 milestones, far inside the lazy bound.
  const last = Math.max(...ids.map((id) => node.getMetadata(id)!.confirmedBy!));
  expect(last - start).toBeLessThanOrEqual(Math.ceil(TIPS / 7) + 3);
});
