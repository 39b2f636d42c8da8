/**
 * `tangle check` (node/tools/check.ts, cli/check.ts) on a directory imported from a snapshot: it
 * holds no history below the snapshot's milestone but the committee changes, so the check takes
 * the milestone chain from the genesis through those changes to the snapshot milestone and every
 * milestone after it, and the ledger against the latest milestone's signed roots; damage is still
 * found. Real nodes, LMDB in temporary folders; the committee change (to bob alone, effective at 3)
 * is carried by milestone 2, below the snapshot at 3.
 */
import * as path from "node:path";
import { addressOf } from "../../../client/protocol/keys";
import type { Payload } from "../../../client/protocol/codec";
import { Coordinator } from "../../../node/coordinator";
import { genesisTransactionId } from "../../../node/ledger/genesis";
import { TangleNode } from "../../../node/tangle-node";
import { createSnapshot, importSnapshot } from "../../../node/snapshot";
import { encodeOutputValue, keys } from "../../../node/storage/schema";
import { Store } from "../../../node/storage/store";
import { checkDatabase } from "../../../node/tools/check";
import { formatReport } from "../../../cli/check";
import { alice, bob, buildMilestone, buildTx, cleanupDirs, coordinatorSeed, dataPayload, testGenesis, tmpDir } from "../_helpers";

const genesis = testGenesis();
const g = genesisTransactionId(genesis);
const bobAddr = addressOf(bob.publicKey);
let dir: string;

function transfer(inputs: { txId: Uint8Array; index: number }[], outputs: { address: Uint8Array; amount: bigint }[]): Payload {
  return { type: "transfer", inputs, outputs };
}

beforeAll(async () => {
  const a = tmpDir();
  const na = await TangleNode.open({ dataDir: a, genesis });
  const coord = new Coordinator(na, coordinatorSeed, { intervalMs: 1e9 });
  await na.submit(buildTx(na, alice, dataPayload(new Uint8Array(32).fill(3), 0)));
  await coord.issue();
  await na.submit(buildMilestone(na, { over: { committeeChange: { effectiveIndex: 3, threshold: 1, members: [bob.publicKey] } } }).bytes);
  await na.submit(buildMilestone(na, { signers: [bob] }).bytes);
  expect(na.ledgerIndex).toBe(3);
  await na.close();
  const file = path.join(tmpDir(), "full-3.snap");
  await createSnapshot(a, file, genesis);
  dir = path.join(tmpDir(), "imported");
  await importSnapshot(file, dir, genesis);
  // Two milestones after the import, one confirming a transfer.
  const nb = await TangleNode.open({ dataDir: dir, genesis });
  await nb.submit(buildTx(nb, alice, transfer([{ txId: g, index: 0 }], [{ address: bobAddr, amount: 1000n }])));
  await nb.submit(buildMilestone(nb, { signers: [bob] }).bytes);
  await nb.submit(buildMilestone(nb, { signers: [bob] }).bytes);
  expect(nb.ledgerIndex).toBe(5);
  await nb.close();
});

afterAll(() => cleanupDirs());

test("an imported directory checks clean: the committee chain through its change milestones, its milestones from the snapshot's on, its ledger against the latest signed roots", async () => {
  const report = await checkDatabase(dir, genesis);
  expect(report).toMatchObject({ ok: true, damaged: [], milestoneProblems: [], replayProblems: [], milestones: 5, snapshotIndex: 3 });
  expect(report.pruningIndex).toBeUndefined();
  expect(formatReport(report)).toMatch(/^ok: .*imported from a snapshot at milestone 3: no replay from the genesis\)$/m);
});

test("damage in an imported directory is still found: a milestone record after the snapshot's missing, an output changed", async () => {
  const store = await Store.open(dir);
  const record = store.getMilestone(4)!;
  const first = [...store.outputs()][0];
  try {
    await store.milestones.remove(keys.milestone(4));
    await store.utxo.put(keys.output(first.txId, first.index), encodeOutputValue(first.address, first.amount + 1n, first.milestone));
  } finally {
    await store.close();
  }
  const report = await checkDatabase(dir, genesis);
  expect(report.ok).toBe(false);
  expect(report.milestoneProblems).toEqual([{ index: 4, problem: "no milestone record" }]);
  expect(report.replayProblems.join("\n")).toMatch(/give ledger root [0-9a-f]{64}, milestone 5 signs/);
  // Restored: clean again.
  const again = await Store.open(dir);
  await again.milestones.put(keys.milestone(4), record);
  await again.utxo.put(keys.output(first.txId, first.index), encodeOutputValue(first.address, first.amount, first.milestone));
  await again.close();
  expect((await checkDatabase(dir, genesis)).ok).toBe(true);
});
