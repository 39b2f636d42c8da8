/**
 * `tangle snapshot create|verify|import`, the built command as a user runs it, on the data
 * directory of a real node (LMDB in a temporary folder, a transfer and a data record confirmed):
 * create writes a file that verify accepts against the genesis file (exit 0, naming the milestone,
 * its ledger root and the entry count); another network, a damaged file and a delta without its
 * base exit 1 naming the code; usage mistakes exit 2; import builds a directory a node opens at the
 * snapshot's milestone.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { toHex } from "../../client/protocol/bytes";
import { addressOf } from "../../client/protocol/keys";
import { Coordinator } from "../../node/coordinator";
import { genesisTransactionId } from "../../node/ledger/genesis";
import { TangleNode } from "../../node/tangle-node";
import { alice, bob, buildTx, cleanupDirs, coordinatorSeed, dataPayload, testGenesis, tmpDir } from "../node/_helpers";
import { tangle } from "./_run";

const genesis = testGenesis();
let dir: string;
let work: string;
let genesisFile: string;
let root: string;
let milestoneId: string;

beforeAll(async () => {
  dir = tmpDir();
  work = tmpDir();
  genesisFile = path.join(work, "genesis.json");
  fs.writeFileSync(genesisFile, JSON.stringify(genesis));
  const node = await TangleNode.open({ dataDir: dir, genesis });
  const coord = new Coordinator(node, coordinatorSeed, { intervalMs: 1e9 });
  const g = genesisTransactionId(genesis);
  await node.submit(buildTx(node, alice, { type: "transfer", inputs: [{ txId: g, index: 0 }], outputs: [{ address: addressOf(bob.publicKey), amount: 1000n }] }));
  await node.submit(buildTx(node, alice, dataPayload(new Uint8Array(32).fill(3), 0)));
  await coord.issue();
  await coord.issue();
  root = toHex(node.proveOutput(g, 1).ledgerRoot);
  milestoneId = node.latestMilestone!.id;
  await node.close();
}, 60_000);

afterAll(cleanupDirs);

test("create, then verify against the genesis file: exit 0 naming the milestone, its ledger root and the entries", async () => {
  const file = path.join(work, "full.snap");
  const c = await tangle(["snapshot", "create", "--data", dir, "--out", file, "--network", genesisFile, "--json"]);
  expect([c.code, c.stderr]).toEqual([0, ""]);
  expect(JSON.parse(c.stdout)).toMatchObject({ file, kind: "full", index: 2, milestoneId, ledgerRoot: root, entryRecords: 2, deletedRecords: 0, committeeChanges: 0, bytes: fs.statSync(file).size });
  const v = await tangle(["snapshot", "verify", file, "--network", genesisFile]);
  expect([v.code, v.stderr]).toEqual([0, ""]);
  expect(v.stdout).toContain(`valid: full snapshot at milestone 2 (${milestoneId}) of network test`);
  expect(v.stdout).toContain(`ledger root ${root} recomputed from 2 entries equals the one the committee signed`);
  // The transfer and the record milestone 1 confirmed, and milestone 1: what the last 15 milestones confirmed (docs/storage.md).
  expect(v.stdout).toContain("3 solid entry points (not signed)");
  const j = await tangle(["snapshot", "verify", file, "--network", genesisFile, "--json"]);
  expect(JSON.parse(j.stdout)).toMatchObject({ ok: true, kind: "full", index: 2, ledgerRoot: root, entries: 2 });
});

test("another network, a damaged file, a delta without its base: exit 1 naming the code", async () => {
  const file = path.join(work, "full-2.snap");
  expect((await tangle(["snapshot", "create", "--data", dir, "--out", file, "--network", genesisFile])).code).toBe(0);
  const dev = await tangle(["snapshot", "verify", file, "--network", "dev"]);
  expect(dev.code).toBe(1);
  expect(dev.stdout).toMatch(/^invalid: ERR_SNAPSHOT_WRONG_NETWORK: .* \(snapshot of milestone 2\)\n$/);
  const bytes = fs.readFileSync(file);
  bytes[bytes.length - 40] ^= 1; // inside the last entry
  const damaged = path.join(work, "damaged.snap");
  fs.writeFileSync(damaged, bytes);
  const d = await tangle(["snapshot", "verify", damaged, "--network", genesisFile, "--json"]);
  expect(d.code).toBe(1);
  expect(JSON.parse(d.stdout)).toMatchObject({ ok: false, code: "ERR_SNAPSHOT_CHECKSUM", index: 2 });
  // A delta from a full snapshot at the same milestone is refused at creation.
  const same = await tangle(["snapshot", "create", "--data", dir, "--out", path.join(work, "delta.snap"), "--network", genesisFile, "--delta-from", file]);
  expect(same.code).toBe(1);
  expect(same.stderr).toMatch(/ERR_SNAPSHOT_BASE/);
  expect(fs.existsSync(path.join(work, "delta.snap"))).toBe(false);
});

test("a delta from the full snapshot at 2 to milestone 3 verifies with --base, not without it, and imports on its base", async () => {
  const base = path.join(work, "base-2.snap");
  expect((await tangle(["snapshot", "create", "--data", dir, "--out", base, "--network", genesisFile])).code).toBe(0);
  const node = await TangleNode.open({ dataDir: dir, genesis });
  let root3: string;
  try {
    await node.submit(buildTx(node, bob, { type: "transfer", inputs: [{ txId: node.outputs(addressOf(bob.publicKey))[0].txId, index: node.outputs(addressOf(bob.publicKey))[0].index }], outputs: [{ address: addressOf(alice.publicKey), amount: 1000n }] }));
    await new Coordinator(node, coordinatorSeed, { intervalMs: 1e9 }).issue();
    root3 = toHex(node.proveOutput(genesisTransactionId(genesis), 1).ledgerRoot);
  } finally {
    await node.close();
  }
  const delta = path.join(work, "delta-2-3.snap");
  const c = await tangle(["snapshot", "create", "--data", dir, "--out", delta, "--network", genesisFile, "--delta-from", base, "--json"]);
  expect([c.code, c.stderr]).toEqual([0, ""]);
  expect(JSON.parse(c.stdout)).toMatchObject({ kind: "delta", index: 3, ledgerRoot: root3, deletedRecords: 1, entryRecords: 1, base: { index: 2, ledgerRoot: root } });
  const v = await tangle(["snapshot", "verify", delta, "--network", genesisFile, "--base", base]);
  expect([v.code, v.stderr]).toEqual([0, ""]);
  expect(v.stdout).toContain("valid: delta snapshot at milestone 3");
  expect(v.stdout).toContain(`ledger root ${root3} recomputed from 2 entries`);
  const alone = await tangle(["snapshot", "verify", delta, "--network", genesisFile]);
  expect(alone.code).toBe(1);
  expect(alone.stdout).toMatch(/^invalid: ERR_SNAPSHOT_BASE: /);
  // Imported on its base: a node at 3 with milestone 3's ledger root.
  const target = path.join(work, "from-delta");
  const imp = await tangle(["snapshot", "import", delta, "--base", base, "--data", target, "--network", genesisFile]);
  expect([imp.code, imp.stderr]).toEqual([0, ""]);
  const node3 = await TangleNode.open({ dataDir: target, genesis });
  try {
    expect([node3.ledgerIndex, toHex(node3.proveOutput(genesisTransactionId(genesis), 1).ledgerRoot)]).toEqual([3, root3]);
  } finally {
    await node3.close();
  }
});

test("usage mistakes exit 2 with the command's usage; each subcommand has its --help", async () => {
  for (const sub of ["create", "verify", "import"]) {
    const h = await tangle(["snapshot", sub, "--help"]);
    expect([h.code, h.stdout.startsWith(`Usage: tangle snapshot ${sub} `)]).toEqual([0, true]);
  }
  const noNetwork = await tangle(["snapshot", "verify", path.join(work, "full.snap")]);
  expect([noNetwork.code, noNetwork.stderr]).toEqual([2, expect.stringContaining("--network dev|FILE is required")]);
  const noFile = await tangle(["snapshot", "verify", path.join(work, "nothing.snap"), "--network", "dev"]);
  expect([noFile.code, noFile.stderr]).toEqual([2, expect.stringContaining("no such file")]);
  const noData = await tangle(["snapshot", "create", "--data", path.join(work, "empty"), "--out", path.join(work, "x.snap")]);
  expect([noData.code, noData.stderr]).toEqual([2, expect.stringContaining("no database there")]);
});

test("import builds a data directory a node opens at the snapshot's milestone; a second import into it is refused", async () => {
  const file = path.join(work, "full.snap");
  const target = path.join(work, "imported");
  const r = await tangle(["snapshot", "import", file, "--data", target, "--network", genesisFile]);
  expect([r.code, r.stderr]).toEqual([0, ""]);
  expect(r.stdout).toContain(`milestone 2 (${milestoneId}), ledger root ${root}, 2 entries`);
  const node = await TangleNode.open({ dataDir: target, genesis });
  try {
    expect(node.ledgerIndex).toBe(2);
    expect(node.latestMilestone!.id).toBe(milestoneId);
    expect(node.balance(addressOf(bob.publicKey)).confirmed).toBe(1000n);
  } finally {
    await node.close();
  }
  const again = await tangle(["snapshot", "import", file, "--data", target, "--network", genesisFile]);
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/ERR_SNAPSHOT_IMPORT_TARGET/);
});
