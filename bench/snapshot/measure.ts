/**
 * What a snapshot file costs at a given ledger size (docs/storage.md, "Snapshot files", Measured):
 * `node dist/bench/snapshot/measure.js [--entries 100000] [--file-only]` (`--file-only`: steps 1 and 2).
 *
 * A ledger of N random unspent outputs and a real milestone over it (its ledger root computed with
 * the node's tree, signed by a committee of one, stamped), then, each timed:
 *   1. write: the file from those outputs in memory (SnapshotWriter);
 *   2. verify: verifySnapshot against the genesis (committee signature, entries into the tree,
 *      checksum, root);
 *   3. import: into an empty data directory (verify again, then LMDB), then a node opened there
 *      (TangleNode.open: the ledger restored, the tree rebuilt), whose ledger root must be N's;
 *   4. create: `createSnapshot` from that directory, as `tangle snapshot create` does (LMDB read,
 *      root recomputed, file written).
 * Checked: verify says valid with the milestone's root and N entries, and the file `create` writes
 * from the imported directory is byte for byte the file of step 1 (same entries, same chunks).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { attach, milestonePayload, signMilestone, signTransaction, stampSync } from "../../client/protocol/build";
import { toHex } from "../../client/protocol/bytes";
import { addressOf, keyPairFromSeed } from "../../client/protocol/keys";
import { outputEntryKey, outputEntryValue } from "../../client/protocol/ledger-proof";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";
import type { MilestoneFields } from "../../client/protocol/payloads";
import { seededRandom } from "../../client/util/random";
import { Genesis, genesisTransactionId } from "../../node/ledger/genesis";
import { outputTree } from "../../node/ledger/ledger-tree";
import { createSnapshot, importSnapshot, SnapshotWriter, verifySnapshot, compareKeys } from "../../node/snapshot";
import { requiredDifficulty } from "../../node/validation/pipeline";
import { TangleNode } from "../../node/tangle-node";

async function main(): Promise<void> {
  const at = process.argv.indexOf("--entries");
  const n = at > 0 ? Number(process.argv[at + 1]) : 100_000;
  if (!Number.isInteger(n) || n < 1) throw new Error("--entries must be a positive integer");
  const r = seededRandom(17);
  const member = keyPairFromSeed(new Uint8Array(32).fill(0x5e));
  const genesis: Genesis = {
    networkId: 4242,
    networkName: "snapshot-bench",
    committee: { members: [toHex(member.publicKey)], threshold: 1 },
    outputs: [{ address: toHex(addressOf(member.publicKey)), amount: "1000" }],
    milestoneIntervalMs: 250,
    baseDifficulty: 4,
  };
  const outputs = Array.from({ length: n }, () => ({ txId: r.bytes(32), index: r.int(4), address: r.bytes(32), amount: BigInt(1 + r.int(1_000_000)) }));
  const entries = outputs.map((o) => ({ key: outputEntryKey(o.txId, o.index), value: outputEntryValue(o.address, o.amount) })).sort((a, b) => compareKeys(a.key, b.key));
  const ledgerRoot = outputTree(outputs).root();
  const parents = [r.bytes(32), r.bytes(32)].sort(Buffer.compare);
  const fields: MilestoneFields = { type: "milestone", index: 1, timestamp: Date.now(), previousMilestoneId: new Uint8Array(32), confirmedMerkleRoot: r.bytes(32), ledgerStateHash: r.bytes(32), ledgerRoot };
  const payload = milestonePayload(fields, [signMilestone(genesis.networkId, parents, fields, member.publicKey, member.secretKey)]);
  const signed = signTransaction({ version: PROTOCOL_VERSION, networkId: genesis.networkId, issuer: member.publicKey, payload }, member.secretKey);
  const unstamped = attach(signed, parents, fields.timestamp);
  const milestone = stampSync(unstamped, requiredDifficulty(unstamped.length, genesis.baseDifficulty));

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-snapshot-bench-"));
  try {
    const file = path.join(dir, "full.snap");
    let t = performance.now();
    const w = SnapshotWriter.create(file, { kind: "full", networkId: genesis.networkId, genesisId: genesisTransactionId(genesis), index: 1, ledgerRoot, milestone, changes: [], entryPoints: [], deletedCount: 0, entryCount: n });
    for (const e of entries) w.addEntry(e.key, e.value);
    const { bytes } = w.finish();
    const writeMs = performance.now() - t;

    t = performance.now();
    const v = await verifySnapshot(file, genesis);
    const verifyMs = performance.now() - t;
    if (!v.ok || v.entries !== n || v.ledgerRoot !== toHex(ledgerRoot)) throw new Error(`verify: ${JSON.stringify(v)}`);
    if (process.argv.includes("--file-only")) {
      process.stdout.write(`${JSON.stringify({ entries: n, bytes, writeMs: Math.round(writeMs), verifyMs: Math.round(verifyMs) })}\n`);
      return;
    }

    const data = path.join(dir, "data");
    t = performance.now();
    await importSnapshot(file, data, genesis);
    const importMs = performance.now() - t;

    // A node opened on the imported directory: the ledger restored, the window rebuilt.
    t = performance.now();
    const node = await TangleNode.open({ dataDir: data, genesis });
    const openMs = performance.now() - t;
    const opened = { ledgerIndex: node.ledgerIndex, root: toHex(node.proveOutput(outputs[0].txId, outputs[0].index).ledgerRoot) };
    await node.close();
    if (opened.ledgerIndex !== 1 || opened.root !== toHex(ledgerRoot)) throw new Error(`the node opened on the import: ${JSON.stringify(opened)}`);

    const again = path.join(dir, "again.snap");
    t = performance.now();
    await createSnapshot(data, again, genesis);
    const createMs = performance.now() - t;
    if (!fs.readFileSync(again).equals(fs.readFileSync(file))) throw new Error("the file created from the imported directory differs from the one written");

    const ms = (x: number) => Math.round(x);
    process.stdout.write(
      `${JSON.stringify({ entries: n, bytes, bytesPerEntry: +(bytes / n).toFixed(1), writeMs: ms(writeMs), verifyMs: ms(verifyMs), importMs: ms(importMs), nodeOpenMs: ms(openMs), createFromLmdbMs: ms(createMs), databaseBytes: fs.statSync(path.join(data, "data.mdb")).size })}\n`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
