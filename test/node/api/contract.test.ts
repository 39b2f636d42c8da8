/**
 * Proves the one contract between node and client holds where the compiler found the two apart
 * (node/api/methods.ts is typed by client/api/types.ts): a getStream page holds whole records only,
 * ending before the first record whose body is not stored instead of sending it without bytes;
 * what the client reads from each method has the client's shape (amounts as bigints, bytes as
 * bytes, conflict reasons from the one list). A node started in this process (test/support/node.ts),
 * real LMDB, real sockets on 127.0.0.1.
 */
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { transactionId } from "../../../client/protocol/codec";
import { isConflictReason } from "../../../client/protocol/codes";
import { keyPairFromSeed } from "../../../client/protocol/keys";
import { randomBytes } from "node:crypto";
import { devWalletSeed } from "../../../node/networks/dev";
import { keys } from "../../../node/storage/schema";
import { startTestNode, TestNode } from "../../support/node";
import { buildVia, Call, record } from "./_tx";

const dev = keyPairFromSeed(devWalletSeed());
let t: TestNode;
let call: Call;

beforeAll(async () => {
  t = await startTestNode({ client: true });
  call = (method, params) => t.client!.request(method, params as Record<string, unknown> | undefined);
}, 30_000);

afterAll(() => t?.close());

async function submitStream(n: number): Promise<{ stream: Uint8Array; ids: string[] }> {
  const stream = randomBytes(32);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const bytes = await buildVia(call, dev, record(stream, i, ids[i - 1]));
    ids.push((await t.client!.submitTransaction(bytes)).id);
  }
  return { stream, ids };
}

test("getStream: a page ends before the first record whose body is not stored; every record it holds is whole", async () => {
  const { stream, ids } = await submitStream(3);
  const full = await t.client!.getStream(stream);
  expect(full.records.map((r) => [r.sequence, r.id])).toEqual(ids.map((id, i) => [i, id]));
  for (const r of full.records) expect(toHex(transactionId(r.bytes))).toBe(r.id);

  // The body of record 1 goes (as pruning will make possible); its stream index row stays.
  const seq = t.node.store.seqOf(fromHex(ids[1]))!;
  await t.node.store.tx.remove(keys.seq(seq));
  expect(t.node.getTransactionBytes(ids[1])).toBeUndefined();

  const page = await t.client!.getStream(stream);
  expect(page.records.map((r) => [r.sequence, r.id])).toEqual([[0, ids[0]]]);
  expect(toHex(transactionId(page.records[0].bytes))).toBe(ids[0]);
  // From after the gap, the rest is whole again.
  const rest = await t.client!.getStream(stream, { fromSeq: 2 });
  expect(rest.records.map((r) => [r.sequence, r.id])).toEqual([[2, ids[2]]]);
  expect(toHex(transactionId(rest.records[0].bytes))).toBe(ids[2]);
});

test("what the client reads has the client's types: amounts as bigints, bytes as bytes, conflicts from the one list", async () => {
  const { ids } = await submitStream(1);
  const meta = await t.client!.getTransactionMetadata(ids[0]);
  expect(Object.keys(meta).sort()).toEqual(["confidence", "confirmed", "confirmedBy", "conflict", "id", "milestoneIndex", "receivedMs", "shouldPromote", "shouldReattach", "solid"]);
  expect(meta.conflict === null || isConflictReason(meta.conflict)).toBe(true);
  const balance = await t.client!.getBalance(toHex(fromHex(t.node.genesis.outputs[0].address)));
  expect(typeof balance.confirmed).toBe("bigint");
  expect(typeof balance.pending.incoming).toBe("bigint");
  const outs = await t.client!.getOutputs(fromHex(t.node.genesis.outputs[0].address));
  for (const o of outs.outputs) expect(typeof o.amount).toBe("bigint");
  // Milestones come every 100 ms; wait for the first.
  while ((await t.client!.getNodeInfo()).latestMilestoneIndex < 1) await new Promise((r) => setTimeout(r, 20));
  const m = await t.client!.getMilestone("latest");
  expect(Object.keys(m).sort()).toEqual(["id", "included", "index", "merkleRoot", "stateHash", "timestamp"]);
  expect(m.index).toBeGreaterThanOrEqual(1);
  const tx = await t.client!.getTransaction(ids[0]);
  expect(tx.bytes).toBeInstanceOf(Uint8Array);
  expect(toHex(transactionId(tx.bytes))).toBe(ids[0]);
});
