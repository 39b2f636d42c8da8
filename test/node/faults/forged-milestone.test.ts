/**
 * A forged milestone never travels (issue 15, defect 4): a milestone signed with the dev
 * coordinator key but with a wrong merkle root, sent by a peer to a follower, is checked (white
 * flag against its payload) before it is stored, applied or gossiped. The follower refuses it (not
 * stored: getTransaction NOT_FOUND), halts loudly as designed for a validly signed milestone it
 * disagrees with, does not pass it to a third node, and penalises the sender (closed with 4003);
 * the coordinator keeps issuing and the third node keeps applying its milestones.
 *
 *   coordinator C ── follower F ── third node T
 *                        │
 *                   hostile peer (raw socket)
 */
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { transactionId } from "../../../client/protocol/codec";
import { keyPairFromSeed } from "../../../client/protocol/keys";
import { devCoordinatorSeed } from "../../../node/networks/dev";
import { PeerCloseCode } from "../../../node/peering/protocol";
import { startTestNode, TestNode } from "../../support/node";
import { devHello, rawPeer } from "../peering/_peer";
import { buildMilestone } from "../_helpers";

jest.setTimeout(90_000);

const INTERVAL_MS = 3000;
let c: TestNode;
let f: TestNode;
let t: TestNode;

beforeAll(async () => {
  c = await startTestNode({ milestoneIntervalMs: INTERVAL_MS });
  f = await startTestNode({ coordinator: false, client: true, peer: [`ws://127.0.0.1:${c.port}`] });
  t = await startTestNode({ coordinator: false, client: true, peer: [`ws://127.0.0.1:${f.port}`] });
});

afterAll(async () => {
  await t?.close();
  await f?.close();
  await c?.close();
});

async function until(what: string, ok: () => boolean, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("a validly signed milestone with a wrong merkle root is refused by the follower, not stored, not gossiped; the sender is penalised and the coordinator keeps issuing", async () => {
  await until("the follower and the third node at milestone 1", () => f.node.ledgerIndex >= 1 && t.node.ledgerIndex >= 1);
  // Right after a milestone reaches the follower: the next real one is INTERVAL_MS away.
  const before = f.node.ledgerIndex;
  await until("a new milestone at the follower", () => f.node.ledgerIndex > before);
  const index = f.node.ledgerIndex + 1;
  const keys = keyPairFromSeed(devCoordinatorSeed());
  const parents = [...new Set([f.node.latestMilestone!.id, ...f.node.selectParents(3)])].sort();
  // Signed by the committee (the dev key, k = 1) over its essence: only the roots are wrong.
  const { bytes } = buildMilestone(f.node, { parents, signers: [keys], index, over: { confirmedMerkleRoot: new Uint8Array(32).fill(0xab), ledgerStateHash: new Uint8Array(32).fill(0xcd) } });
  const id = toHex(transactionId(bytes));

  const p = await rawPeer(f.port);
  p.send({ ...devHello(), latestMilestoneIndex: f.node.ledgerIndex });
  await new Promise((r) => setTimeout(r, 100));
  p.send({ t: "tx", bytes });
  const closed = await Promise.race([p.closed, new Promise<string>((r) => setTimeout(() => r("still open"), 5000).unref())]);
  expect(closed).toBe(PeerCloseCode.INVALID_DATA);

  await expect(f.client!.getTransaction(id)).rejects.toMatchObject({ code: "ERR_NOT_FOUND" });
  // Validly signed but not what the follower computes: the follower halts, loudly (the design), ...
  expect(f.node.diverged).toMatchObject({ index, code: "ERR_MILESTONE_MERKLE_MISMATCH" });
  // ... but nothing travelled: the coordinator keeps issuing, the third node keeps applying its milestones.
  const issued = c.node.ledgerIndex;
  await until("the next real milestones at the coordinator and the third node", () => c.node.ledgerIndex >= issued + 2 && t.node.ledgerIndex >= issued + 2, 4 * INTERVAL_MS + 5000);
  expect(c.node.diverged).toBeFalsy();
  expect(t.node.diverged).toBeFalsy();
  await expect(f.client!.getTransaction(id)).rejects.toMatchObject({ code: "ERR_NOT_FOUND" });
  await expect(t.client!.getTransaction(id)).rejects.toMatchObject({ code: "ERR_NOT_FOUND" });
  expect(c.node.getMilestone(index)?.id).not.toBe(id);
});

test("a coordinating node takes no milestone from a peer for an index it issues, even one with the right white flag", async () => {
  // Right after the coordinator issued one: its next is INTERVAL_MS away.
  const before = c.node.ledgerIndex;
  await until("a new milestone at the coordinator", () => c.node.ledgerIndex > before);
  const index = c.node.ledgerIndex + 1;
  const keys = keyPairFromSeed(devCoordinatorSeed());
  const parents = [...new Set([c.node.latestMilestone!.id, ...c.node.selectParents(3)])].sort();
  const { bytes } = buildMilestone(c.node, { parents, signers: [keys], index });
  const id = toHex(transactionId(bytes));
  const p = await rawPeer(c.port);
  p.send({ ...devHello(), latestMilestoneIndex: c.node.ledgerIndex });
  await new Promise((r) => setTimeout(r, 100));
  p.send({ t: "tx", bytes });
  const closed = await Promise.race([p.closed, new Promise<string>((r) => setTimeout(() => r("still open"), 5000).unref())]);
  expect(closed).toBe(PeerCloseCode.INVALID_DATA);
  expect(c.node.store.hasTransaction(fromHex(id))).toBe(false);
  // The coordinator issues that index itself.
  await until("the coordinator's own milestone at that index", () => c.node.ledgerIndex >= index, 2 * INTERVAL_MS + 2000);
  expect(c.node.getMilestone(index)?.id).not.toBe(id);
  expect(c.node.diverged).toBeFalsy();
});
