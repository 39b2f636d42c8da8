/**
 * What the API says on a pruned node (a whole node from the composition root: coordinator every
 * 50 ms, a window of 8 arrivals, --pruning-depth 2): ERR_PRUNED with the pruning index for a pruned
 * transaction, getStream's first listed sequence and pruning index, getNodeInfo's pruning and
 * database figures; an archive node (--pruning off) keeps ERR_NOT_FOUND and says "off".
 */
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { NodeApiError } from "../../../client/api/errors";
import { startTestNode, TestNode } from "../../support/node";
import { DB } from "../../../node/storage/schema";
import { alice, buildTx, dataPayload, until } from "../_helpers";

let pruned: TestNode;
let archive: TestNode;

afterAll(async () => {
  await pruned?.close();
  await archive?.close();
});


async function errorOf(p: Promise<unknown>): Promise<NodeApiError> {
  try {
    await p;
  } catch (err) {
    return err as NodeApiError;
  }
  throw new Error("expected a refusal");
}

test("a pruned transaction answers ERR_PRUNED with the pruning index; getNodeInfo reports pruning and pages in use", async () => {
  pruned = await startTestNode({ client: true, pruningDepth: 2, milestoneIntervalMs: 50, node: { window: 8 } });
  const node = pruned.node;
  const stream = new Uint8Array(32).fill(9);
  const id = (await node.submit(buildTx(node, alice, dataPayload(stream, 0)))).id;
  const later = (await node.submit(buildTx(node, alice, dataPayload(stream, 1, fromHex(id))))).id;
  await until(() => node.getMetadata(id)?.confirmedBy != null);
  const confirmedBy = node.getMetadata(id)!.confirmedBy!;
  await until(() => node.pruningIndex >= confirmedBy && !node.hasTransaction(id));

  const client = pruned.client!;
  for (const call of [client.getTransaction(id), client.getTransactionMetadata(id), client.getInclusionProof(id)]) {
    const err = await errorOf(call);
    expect(err.code).toBe("ERR_PRUNED");
    expect(err.data?.pruningIndex).toBeGreaterThanOrEqual(confirmedBy);
  }
  // The stream's head is kept: still served.
  expect((await client.getTransaction(later)).id).toBe(later);
  // getStream says what it no longer lists: from sequence 0, the page starts at the first sequence
  // the node still holds, and the answer names it with the pruning index.
  const page = await client.getStream(stream);
  expect(page.records.map((r) => [r.sequence, r.id])).toEqual([[1, later]]);
  expect([page.firstSequence, page.lastSequence]).toEqual([1, 1]);
  expect(page.pruningIndex).toBeGreaterThanOrEqual(confirmedBy);

  const info = await client.getNodeInfo();
  expect(info.pruning.depth).toBe(2);
  expect(info.pruning.index).toBeGreaterThanOrEqual(confirmedBy);
  expect(info.pruning.index).toBeLessThanOrEqual(info.confirmedMilestoneIndex - 2);
  expect(info.database.pageSize).toBeGreaterThanOrEqual(4096);
  expect(info.database.pagesInUse).toBeGreaterThan(2);
  expect(info.database.pagesInUse * info.database.pageSize).toBeLessThanOrEqual(info.database.fileBytes);
  // By table: every sub-database of the schema, together less than all pages in use (LMDB's own meta
  // pages are the rest); the kept milestones' transactions are in keptTx, the stream head in tx.
  const tables = info.database.tables;
  expect(Object.keys(tables).sort()).toEqual(Object.values(DB).sort());
  const sum = Object.values(tables).reduce((a, b) => a + b, 0);
  expect(sum).toBeLessThan(info.database.pagesInUse);
  expect(sum).toBeGreaterThan(info.database.pagesInUse - 64);
  for (const t of ["tx", "keptTx", "milestones", "ids", "meta", "streams", "state"]) expect(tables[t]).toBeGreaterThan(0);
});

test("an archive node (--pruning off) keeps everything and answers ERR_NOT_FOUND for what it does not know", async () => {
  archive = await startTestNode({ client: true, pruning: "off", pruningDepth: 2, milestoneIntervalMs: 50, node: { window: 8 } });
  const node = archive.node;
  const id = (await node.submit(buildTx(node, alice, dataPayload(new Uint8Array(32).fill(8), 0)))).id;
  await until(() => node.ledgerIndex >= (node.getMetadata(id)?.confirmedBy ?? Infinity) + 6);
  expect(node.hasTransaction(id)).toBe(true);
  const page = await archive.client!.getStream(new Uint8Array(32).fill(8));
  expect([page.records.map((r) => r.id), page.firstSequence, page.lastSequence, page.pruningIndex]).toEqual([[id], 0, 0, 0]);
  const info = await archive.client!.getNodeInfo();
  expect(info.pruning).toEqual({ index: 0, depth: "off", snapshotIndex: 0 });
  const err = await errorOf(archive.client!.getTransaction(toHex(new Uint8Array(32).fill(1))));
  expect(err.code).toBe("ERR_NOT_FOUND");
});
