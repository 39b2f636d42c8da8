/**
 * Compacting a pruned database offline (node/pruning/compact.ts): LMDB's compacting copy swapped in
 * for the file, which shrinks; the node reopens on it with the same ledger; a running node's
 * directory is refused.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { Code } from "../../../client/protocol/codes";
import { TangleNode } from "../../../node/tangle-node";
import { Pruner } from "../../../node/pruning/pruner";
import { compactDatabase, COMPACT_TEMP_FILE } from "../../../node/pruning/compact";
import { databasePages } from "../../../node/pruning/pages";
import { checkDatabase } from "../../../node/tools/check";
import { run } from "../../../cli/args";
import { program } from "../../../cli/main";
import { alice, buildMilestone, buildTx, cleanupDirs, dataPayload, testGenesis, tmpDir } from "../_helpers";

afterAll(cleanupDirs);

const genesis = testGenesis();
const window = 16;

test("compact after pruning: the file shrinks, the node reopens with the same ledger, a running node's directory is refused", async () => {
  const dir = tmpDir();
  let node = await TangleNode.open({ dataDir: dir, genesis, window });
  // 16 milestones of 24 records of 3 KB each (about 1.2 MB of bodies), each stream two records long.
  const body = "x".repeat(3000);
  for (let m = 0; m < 16; m++) {
    let tip = node.latestMilestone?.id ?? toHex(new Uint8Array(32));
    const ids: string[] = [];
    for (let i = 0; i < 24; i++) {
      const stream = new Uint8Array(32);
      stream[0] = m;
      stream[1] = i;
      const first = (await node.submit(buildTx(node, alice, dataPayload(stream, 0, undefined, body)))).id;
      ids.push((await node.submit(buildTx(node, alice, dataPayload(stream, 1, fromHex(first), body)))).id);
      tip = first;
    }
    await node.submit(buildMilestone(node, { parents: [node.latestMilestone?.id ?? ids[0], ...ids.slice(0, 6), tip].filter((v, i, a) => a.indexOf(v) === i).slice(0, 8) }).bytes);
  }
  const pruner = new Pruner({ node, depth: 2, synced: () => true, stepMilestones: 16 });
  for (let last = -1; pruner.index !== last; ) {
    last = pruner.index;
    pruner.onMilestone();
    await pruner.idle();
  }
  expect(pruner.index).toBeGreaterThanOrEqual(8);
  const pages = databasePages(node.store);
  // Running: refused, nothing touched.
  await expect(compactDatabase(dir)).rejects.toMatchObject({ code: Code.ERR_DATA_DIR_IN_USE });
  const stateHash = toHex(node.stateHash);
  const ledgerIndex = node.ledgerIndex;
  await pruner.close();
  await node.close();

  const r = await compactDatabase(dir);
  expect(r.bytesBefore).toBe(pages.fileBytes);
  expect(r.bytesAfter).toBeLessThan(r.bytesBefore);
  // The copy holds the pages in use, give or take the free list's own.
  expect(r.bytesAfter).toBeLessThanOrEqual(pages.pagesInUse * pages.pageSize);
  expect(fs.statSync(path.join(dir, "data.mdb")).size).toBe(r.bytesAfter);
  expect(fs.existsSync(path.join(dir, COMPACT_TEMP_FILE))).toBe(false);

  node = await TangleNode.open({ dataDir: dir, genesis, window });
  try {
    expect(node.ledgerIndex).toBe(ledgerIndex);
    expect(toHex(node.stateHash)).toBe(stateHash);
    await node.submit(buildMilestone(node).bytes);
    expect(node.ledgerIndex).toBe(ledgerIndex + 1);
  } finally {
    await node.close();
  }
  expect(await checkDatabase(dir, genesis)).toMatchObject({ ok: true });
});

test("tangle node compact --data DIR: reports the sizes (--json); without --data a usage error; a running node's directory exit 1", async () => {
  const dir = tmpDir();
  const node = await TangleNode.open({ dataDir: dir, genesis, window });
  await node.submit(buildTx(node, alice, dataPayload(new Uint8Array(32).fill(3), 0)));
  const out: string[] = [];
  const err: string[] = [];
  const so = jest.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
  const se = jest.spyOn(process.stderr, "write").mockImplementation((s) => (err.push(String(s)), true));
  try {
    expect(await run(program(), ["node", "compact", "--data", dir])).toBe(1);
    expect(err.join("")).toContain("ERR_DATA_DIR_IN_USE");
    await node.close();
    expect(await run(program(), ["node", "compact", "--data", dir, "--json"])).toBe(0);
    const r = JSON.parse(out.join("").trim().split("\n").pop()!);
    expect(r.bytesAfter).toBe(fs.statSync(path.join(dir, "data.mdb")).size);
    expect(r.bytesAfter).toBeLessThanOrEqual(r.bytesBefore);
    expect(await run(program(), ["node", "compact"])).toBe(2);
    expect(err.join("")).toContain("--data DIR is required");
  } finally {
    so.mockRestore();
    se.mockRestore();
    if (!node.closed) await node.close();
  }
});
