/**
 * A transaction older than a node's history, offered again by a peer (an archive node, a node
 * syncing from the genesis, a replay), is refused with ERR_PRUNED and not stored: stored, it would
 * be taken for unconfirmed, and its parents asked for down to the pruning index. "Older" is attached
 * before the history floor's milestone by more than maxPastMs plus TIP-3's below-max-depth
 * milestones (node/tangle-node.ts, predatesHistory). Whole nodes from the composition root:
 * coordinator every 50 ms, a window of 8 arrivals.
 */
import { randomBytes } from "node:crypto";
import { toHex } from "../../../client/protocol/bytes";
import { transactionId } from "../../../client/protocol/codec";
import { DEFAULT_URTS } from "../../../core-wasm/src/graph-types";
import { startTestNode, TestNode } from "../../support/node";
import { alice, buildTx, dataPayload, until } from "../_helpers";

const INTERVAL = 50;
const MAX_PAST = 600_000;

let pruned: TestNode;
let archive: TestNode;

afterAll(async () => {
  await pruned?.close();
  await archive?.close();
});


async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code: string }).code;
  }
  return "accepted";
}

test("a pruned node refuses a peer's transaction older than its history (ERR_PRUNED, not stored); one inside the margin, and an archive node, take it", async () => {
  pruned = await startTestNode({ pruning: "on", pruningDepth: 2, milestoneIntervalMs: INTERVAL, node: { window: 8 } });
  const node = pruned.node;
  // Records until the node has pruned (it waits for its window of arrivals to pass first).
  for (let i = 0; node.pruningIndex === 0; i++) {
    await node.submit(buildTx(node, alice, dataPayload(Uint8Array.from(randomBytes(32)), 0)));
    if (i > 400) throw new Error("nothing pruned");
    await new Promise((r) => setTimeout(r, 10));
  }
  const floor = node.historyFloor;
  const floorTime = node.store.getMilestone(floor)!.timestamp;
  const margin = MAX_PAST + DEFAULT_URTS.belowMaxDepth * INTERVAL;
  // Attached to stored transactions (the two latest milestones), so it would be solid at once.
  const at = node.ledgerIndex;
  const parents = [at, at - 1].map((i) => toHex(node.store.getMilestone(i)!.id));
  const old = buildTx(node, alice, dataPayload(new Uint8Array(32).fill(4), 0), parents, floorTime - margin - 1_000);
  const oldId = toHex(transactionId(old));
  expect(await codeOf(node.submit(old, { source: "peer-a", maxPastMs: Number.POSITIVE_INFINITY }))).toBe("ERR_PRUNED");
  expect(node.hasTransaction(oldId)).toBe(false);
  // A client gets the timestamp window's refusal first, as always.
  expect(await codeOf(node.submit(old))).toBe("ERR_TX_TIMESTAMP_TOO_OLD");

  // Inside the margin (a peer's transaction that a milestone above the floor may still confirm): taken.
  const recent = buildTx(node, alice, dataPayload(new Uint8Array(32).fill(5), 0), parents, floorTime - margin + 5_000);
  const r = await node.submit(recent, { source: "peer-a", maxPastMs: Number.POSITIVE_INFINITY });
  expect(r.duplicate).toBe(false);
  expect(node.hasTransaction(r.id)).toBe(true);

  // An archive node holds its whole history: the old one is a transaction like any other.
  archive = await startTestNode({ pruning: "off", milestoneIntervalMs: INTERVAL, node: { window: 8 } });
  const a = archive.node;
  await until(() => a.ledgerIndex >= 2);
  const aParents = [a.ledgerIndex, a.ledgerIndex - 1].map((i) => toHex(a.store.getMilestone(i)!.id));
  const oldHere = buildTx(a, alice, dataPayload(new Uint8Array(32).fill(6), 0), aParents, Date.now() - 3 * margin);
  const taken = await a.submit(oldHere, { source: "peer-b", maxPastMs: Number.POSITIVE_INFINITY });
  expect(taken.duplicate).toBe(false);
  expect(a.hasTransaction(taken.id)).toBe(true);
});
