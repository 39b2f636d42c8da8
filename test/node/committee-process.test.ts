/**
 * A real `tangle node` process (no member key: a follower) on a network whose genesis names a
 * committee of four with k = 3, the keys held by this test. The test computes milestone 1 itself
 * (white flag of an empty cone, the ledger root of the genesis state, with the pure ledger), signs it
 * with three members and submits it through the API: applied. Before that, the same milestone with
 * two signatures and one with a stranger's: refused over the API with their codes, not stored.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { attach, milestonePayload, signMilestone, signTransaction, stampSync } from "../../client/protocol/build";
import { toHex } from "../../client/protocol/bytes";
import { transactionId } from "../../client/protocol/codec";
import { Code } from "../../client/protocol/codes";
import { KeyPair, keyPairFromSeed } from "../../client/protocol/keys";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";
import type { MilestoneFields } from "../../client/protocol/payloads";
import { genesisTransactionId } from "../../node/ledger/genesis";
import { LedgerState } from "../../node/ledger/ledger";
import { computeWhiteFlag, milestonePayloadFor } from "../../node/ledger/whiteflag";
import { requiredDifficulty } from "../../node/validation/pipeline";
import { cleanupDirs, testGenesis, tmpDir } from "./_helpers";
import { NodeProcess, RawClient, startNodeProcess } from "./api/_process";

const M = [1, 2, 3, 4].map((i) => keyPairFromSeed(new Uint8Array(32).fill(0x90 + i)));
const stranger = keyPairFromSeed(new Uint8Array(32).fill(0x9f));
const genesis = testGenesis({ committee: { members: M.map((k) => toHex(k.publicKey)), threshold: 3 }, milestoneIntervalMs: 1000 });

let node: NodeProcess;
let client: RawClient;

beforeAll(async () => {
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, "genesis.json"), JSON.stringify(genesis));
  node = await startNodeProcess(["--network", path.join(dir, "genesis.json"), "--data", path.join(dir, "data")]);
  client = await RawClient.connect(node.url);
}, 30_000);

afterAll(async () => {
  client?.ws.terminate();
  await node?.stop("SIGTERM");
  cleanupDirs();
});

/** Milestone 1 on the empty tangle (parents: the two entry points), signed by `signers`. */
function milestone1(signers: KeyPair[], issuer = signers[0]): Uint8Array {
  const parents = [new Uint8Array(32), genesisTransactionId(genesis)].sort(Buffer.compare);
  const ledger = LedgerState.fromGenesis(genesis);
  const wf = computeWhiteFlag(1, parents, { get: () => undefined, isSolidEntryPoint: () => true }, ledger);
  if (!wf.ok) throw new Error(wf.message);
  const now = Date.now();
  const fields: MilestoneFields = { ...milestonePayloadFor(wf.value, now), previousMilestoneId: new Uint8Array(32), ledgerRoot: ledger.ledgerRootAfter(wf.value) };
  const payload = milestonePayload(fields, signers.map((k) => signMilestone(genesis.networkId, parents, fields, k.publicKey, k.secretKey)));
  const signed = signTransaction({ version: PROTOCOL_VERSION, networkId: genesis.networkId, issuer: issuer.publicKey, payload }, issuer.secretKey);
  const bytes = attach(signed, parents, now);
  return stampSync(bytes, requiredDifficulty(bytes.length, genesis.baseDifficulty));
}

async function submit(bytes: Uint8Array): Promise<{ code?: string; id?: string }> {
  const r = await client.raw("submitTransaction", { bytes });
  return r.error ? { code: r.error.code } : { id: r.result.id };
}

test("a follower applies a 3-of-4 milestone built and signed here, and refuses 2 of 4 and a stranger's signature", async () => {
  for (const [signers, code] of [
    [[M[0], M[1]], Code.ERR_MILESTONE_QUORUM],
    [[M[0], M[1], stranger], Code.ERR_MILESTONE_NOT_MEMBER],
  ] as const) {
    const bytes = milestone1([...signers]);
    expect(await submit(bytes)).toEqual({ code });
    await expect(client.call("getTransaction", { id: toHex(transactionId(bytes)) })).rejects.toMatchObject({ code: "ERR_NOT_FOUND" });
  }
  expect(await client.call("getNodeInfo")).toMatchObject({ latestMilestoneIndex: 0, diverged: null, committee: { members: M.map((k) => toHex(k.publicKey)), threshold: 3, reachable: 0 } });

  const good = milestone1([M[3], M[1], M[2]], M[3]);
  expect(await submit(good)).toEqual({ id: toHex(transactionId(good)) });
  const info = await client.call("getNodeInfo");
  expect(info).toMatchObject({ latestMilestoneIndex: 1, confirmedMilestoneIndex: 1, diverged: null });
}, 30_000);
