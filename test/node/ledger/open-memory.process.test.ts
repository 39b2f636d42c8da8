/**
 * A node opens a ledger of 100,000 unspent outputs within its bounded heap (issue 17). The ledger
 * is a snapshot's, imported into an empty data directory (node/snapshot/import.ts), then a real
 * `tangle node` process opens it: the command runs the node in a worker whose heap is bounded by
 * NODE_RUNTIME_FLAGS (256 MiB). It used to run out of that heap while restoring the ledger: every
 * map key the ledger kept (an output id, an address, in hex) was a rope of 32 string pieces, about
 * 0.9 KB each, three of them per output.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { attach, milestonePayload, signMilestone, signTransaction, stampSync } from "../../../client/protocol/build";
import { compareBytes, toHex } from "../../../client/protocol/bytes";
import { addressOf, keyPairFromSeed } from "../../../client/protocol/keys";
import { outputEntryKey, outputEntryValue } from "../../../client/protocol/ledger-proof";
import { PROTOCOL_VERSION } from "../../../client/protocol/limits";
import type { MilestoneFields } from "../../../client/protocol/payloads";
import { seededRandom } from "../../../client/util/random";
import { Genesis, genesisTransactionId } from "../../../node/ledger/genesis";
import { outputTree } from "../../../node/ledger/ledger-tree";
import { importSnapshot, SnapshotWriter } from "../../../node/snapshot";
import { requiredDifficulty } from "../../../node/validation/pipeline";
import { spawnNode } from "../../../bench/lib/processes";
import { RawClient } from "../api/_process";

jest.setTimeout(180_000);

const ENTRIES = 100_000;
let tmp: string;

beforeAll(() => void (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-open-memory-"))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test("a tangle node process opens a ledger of 100,000 unspent outputs (distinct addresses) within its 256 MiB heap", async () => {
  const r = seededRandom(1717);
  const member = keyPairFromSeed(new Uint8Array(32).fill(0x17));
  const genesis: Genesis = {
    networkId: 1717,
    networkName: "open-memory",
    committee: { members: [toHex(member.publicKey)], threshold: 1 },
    outputs: [{ address: toHex(addressOf(member.publicKey)), amount: "1000" }],
    milestoneIntervalMs: 1000,
    baseDifficulty: 4,
  };
  const outputs = Array.from({ length: ENTRIES }, () => ({ txId: r.bytes(32), index: r.int(4), address: r.bytes(32), amount: BigInt(1 + r.int(1_000_000)) }));
  const ledgerRoot = outputTree(outputs).root();
  const parents = [r.bytes(32), r.bytes(32)].sort(compareBytes);
  const fields: MilestoneFields = { type: "milestone", index: 1, timestamp: Date.now(), previousMilestoneId: new Uint8Array(32), confirmedMerkleRoot: r.bytes(32), ledgerStateHash: r.bytes(32), ledgerRoot };
  const payload = milestonePayload(fields, [signMilestone(genesis.networkId, parents, fields, member.publicKey, member.secretKey)]);
  const signed = signTransaction({ version: PROTOCOL_VERSION, networkId: genesis.networkId, issuer: member.publicKey, payload }, member.secretKey);
  const unstamped = attach(signed, parents, fields.timestamp);
  const milestone = stampSync(unstamped, requiredDifficulty(unstamped.length, genesis.baseDifficulty));
  const file = path.join(tmp, "full.snap");
  const w = SnapshotWriter.create(file, { kind: "full", networkId: genesis.networkId, genesisId: genesisTransactionId(genesis), index: 1, ledgerRoot, milestone, changes: [], entryPoints: [], deletedCount: 0, entryCount: ENTRIES });
  const entries = outputs.map((o) => ({ key: outputEntryKey(o.txId, o.index), value: outputEntryValue(o.address, o.amount) })).sort((a, b) => compareBytes(a.key, b.key));
  for (const e of entries) w.addEntry(e.key, e.value);
  w.finish();
  const data = path.join(tmp, "data");
  await importSnapshot(file, data, genesis);
  const genesisFile = path.join(tmp, "genesis.json");
  fs.writeFileSync(genesisFile, JSON.stringify(genesis));

  const spawned = spawnNode(["--data", data, "--network", genesisFile, "--verify-threads", "0"], { timeoutMs: 120_000 });
  const proc = await spawned.listening.catch((err: Error) => {
    throw new Error(`the node did not open: ${err.message.slice(-2000)}`);
  });
  const c = await RawClient.connect(proc.url);
  try {
    // The ledger it opened is the whole import: the last output is unspent with its amount, and
    // the root is the one of the 100,000 outputs.
    const last = outputs[ENTRIES - 1];
    const p = await c.call("getOutputProof", { txId: toHex(last.txId), index: last.index });
    expect(p).toMatchObject({ unspent: true, address: toHex(last.address), amount: last.amount.toString(), milestoneIndex: 1, ledgerRoot: toHex(ledgerRoot) });
    const b = await c.call("getBalance", { address: toHex(outputs[0].address) });
    expect(b.confirmed).toBe(outputs[0].amount.toString());
  } finally {
    c.ws.terminate();
    expect(await proc.stop()).toBe(0);
  }
});
