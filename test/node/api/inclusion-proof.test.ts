/**
 * getInclusionProof against a node started in this process (dev network, its own coordinator, LMDB
 * in a temporary folder, a real WebSocket client on 127.0.0.1): proofs of records, of an applied
 * and a conflicting transfer and of a milestone itself verify offline with the client's verifier
 * and the dev genesis alone; tampered bytes, path, signature and the wrong network fail with their
 * codes; a committee change the coordinator carried travels in the proofs of later milestones;
 * unknown, unconfirmed and malformed ids are refused with their codes.
 */
import { randomBytes } from "node:crypto";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { transactionId } from "../../../client/protocol/codec";
import { Code } from "../../../client/protocol/codes";
import { decodeInclusionProof, InclusionProof, verifyInclusionProof } from "../../../client/protocol/inclusion-proof";
import { addressOf, keyPairFromSeed } from "../../../client/protocol/keys";
import { devCoordinatorSeed, devGenesis, devWalletSeed } from "../../../node/networks/dev";
import { startTestNode, TestNode } from "../../support/node";
import { RawClient } from "./_process";
import { buildVia, record } from "./_tx";

const dev = keyPairFromSeed(devWalletSeed());
const devAddr = addressOf(dev.publicKey);
const genesis = devGenesis();
const TOKEN = "proof-test-token";
let node: TestNode;
let c: RawClient;

beforeAll(async () => {
  node = await startTestNode({ adminToken: TOKEN });
  c = await RawClient.connect(node.url);
}, 30_000);

afterAll(async () => {
  c?.close();
  await node?.close();
});

const call = (m: string, p?: unknown) => c.call(m, p);

async function confirmed(id: string, timeoutMs = 20_000): Promise<{ confirmedBy: number; conflict: string | null }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const m = await call("getTransactionMetadata", { id });
    if (m.confirmedBy !== null) return m;
    if (Date.now() > until) throw new Error(`${id} not confirmed in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function proofOf(id: string): Promise<InclusionProof> {
  const r = await call("getInclusionProof", { id });
  expect(r.id).toBe(id);
  const d = decodeInclusionProof(new Uint8Array(r.proof));
  if (!d.ok) throw new Error(`${d.code}: ${d.message}`);
  expect([r.milestoneIndex, r.milestoneId]).toEqual([d.value.milestone.index, toHex(d.value.milestone.id)]);
  return d.value;
}

function verdictCode(p: InclusionProof, trust = genesis): string {
  const v = verifyInclusionProof(p, trust);
  return v.ok ? "ok" : v.code;
}

test("records, an applied and a conflicting transfer, and a milestone: each proof verifies offline against the dev genesis, with the node's metadata", async () => {
  const stream = randomBytes(32);
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) ids.push((await call("submitTransaction", { bytes: await buildVia(call, dev, record(stream, i, ids[i - 1])) })).id);
  const input = (await call("getOutputs", { address: toHex(devAddr) })).outputs[0];
  const spend = (to: Uint8Array, amount: bigint) =>
    buildVia(call, dev, {
      type: "transfer",
      inputs: [{ txId: fromHex(input.txId), index: input.index }],
      outputs: [
        { address: to, amount },
        { address: devAddr, amount: BigInt(input.amount) - amount },
      ],
    });
  const first = (await call("submitTransaction", { bytes: await spend(addressOf(randomBytes(32)), 5n) })).id;
  await confirmed(first);
  const second = (await call("submitTransaction", { bytes: await spend(addressOf(randomBytes(32)), 6n) })).id;

  for (const id of [...ids, first, second]) {
    const meta = await confirmed(id);
    const p = await proofOf(id);
    const v = verifyInclusionProof(p, genesis);
    if (!v.ok) throw new Error(`${id}: ${v.code}: ${v.message}`);
    expect(v).toMatchObject({ transactionId: id, milestoneIndex: meta.confirmedBy, committeeChanges: 0, signers: [toHex(keyPairFromSeed(devCoordinatorSeed()).publicKey)] });
    expect(p.path).not.toBeNull();
    expect(toHex(transactionId(p.transaction))).toBe(id);
    const m = await call("getMilestone", { index: meta.confirmedBy });
    expect([toHex(p.milestone.id), p.path!.treeSize]).toEqual([m.id, m.included]);
  }
  expect((await proofOf(ids[0])).ledgerEffect).toBe("none");
  expect([(await proofOf(first)).ledgerEffect, (await proofOf(first)).conflict]).toEqual(["applied", null]);
  expect([(await proofOf(second)).ledgerEffect, (await proofOf(second)).conflict]).toEqual(["conflicting", "INPUT_SPENT"]);

  // A milestone transaction is confirmed by its own index and is in no merkle root: no path.
  const latest = await call("getMilestone", { index: "latest" });
  const mp = await proofOf(latest.id);
  expect(mp.path).toBeNull();
  expect(verifyInclusionProof(mp, genesis)).toMatchObject({ ok: true, milestoneIndex: latest.index, payloadType: "milestone", ledgerEffect: "none" });
}, 60_000);

test("tampered transaction bytes, path, milestone signature, and another network's genesis fail with their codes", async () => {
  const id = (await call("submitTransaction", { bytes: await buildVia(call, dev, record(randomBytes(32), 0)) })).id;
  // A second record in the same stretch so that the milestone's tree has a path to tamper with.
  await call("submitTransaction", { bytes: await buildVia(call, dev, record(randomBytes(32), 0)) });
  await confirmed(id);
  const good = await proofOf(id);
  expect(verdictCode(good)).toBe("ok");

  const p1 = await proofOf(id);
  p1.transaction[p1.transaction.length - 20] ^= 1;
  expect(verdictCode(p1)).toBe(Code.ERR_PROOF_TX_ID);

  const p2 = await proofOf(id);
  if (p2.path!.siblings.length === 0) {
    // A milestone that confirmed this id alone: a sibling that is not there is a path of the wrong shape.
    p2.path!.siblings.push(randomBytes(32));
    expect(verifyInclusionProof(p2, genesis)).toMatchObject({ ok: false, code: Code.ERR_PROOF_MALFORMED });
  } else {
    p2.path!.siblings[0][0] ^= 1;
    expect(verdictCode(p2)).toBe(Code.ERR_PROOF_PATH);
  }

  const p3 = await proofOf(id);
  // The last byte of the milestone payload is the end of its last signature; the id is recomputed, as a forger would.
  const ms = p3.milestone.transaction;
  const payloadLength = new DataView(ms.buffer, ms.byteOffset).getUint32(38, true);
  ms[42 + payloadLength - 1] ^= 1;
  p3.milestone.id = transactionId(ms);
  expect(verdictCode(p3)).toBe(Code.ERR_PROOF_SIGNATURES);

  const p4 = await proofOf(id);
  p4.milestone.transaction[10] ^= 1;
  expect(verdictCode(p4)).toBe(Code.ERR_PROOF_MILESTONE);

  expect(verdictCode(good, { ...genesis, networkId: genesis.networkId + 1 })).toBe(Code.ERR_PROOF_WRONG_NETWORK);
  // The right network id but another committee: the dev coordinator is no member of it.
  expect(verdictCode(good, { ...genesis, committee: { members: [toHex(keyPairFromSeed(randomBytes(32)).publicKey)], threshold: 1 } })).toBe(Code.ERR_PROOF_SIGNATURES);
}, 60_000);

test("a committee change carried by the coordinator travels in the proofs of milestones from its effective index on", async () => {
  const member = toHex(keyPairFromSeed(devCoordinatorSeed()).publicKey);
  const effectiveIndex = node.node.ledgerIndex + 4;
  await call("queueCommitteeChange", { members: [member], threshold: 1, effectiveIndex, token: TOKEN });
  const until = Date.now() + 20_000;
  while (node.node.ledgerIndex < effectiveIndex) {
    if (Date.now() > until) throw new Error("the change never took effect");
    await new Promise((r) => setTimeout(r, 50));
  }
  const id = (await call("submitTransaction", { bytes: await buildVia(call, dev, record(randomBytes(32), 0)) })).id;
  const meta = await confirmed(id);
  expect(meta.confirmedBy).toBeGreaterThanOrEqual(effectiveIndex);
  const p = await proofOf(id);
  expect(p.committeeChanges).toHaveLength(1);
  expect(verifyInclusionProof(p, genesis)).toMatchObject({ ok: true, committeeChanges: 1 });
  // The change's own milestone, before its effective index, needs no change.
  const before = await proofOf((await call("getMilestone", { index: effectiveIndex - 1 })).id);
  expect(before.committeeChanges).toHaveLength(0);
  expect(verdictCode(before)).toBe("ok");
  // The carried change, tampered: the chain from the genesis breaks there.
  p.committeeChanges[0][p.committeeChanges[0].length - 20] ^= 1;
  expect(verdictCode(p)).toBe(Code.ERR_PROOF_COMMITTEE_CHAIN);
}, 60_000);

test("unknown ids ERR_NOT_FOUND, unconfirmed ones ERR_NOT_CONFIRMED, bad ids ERR_BAD_PARAMS", async () => {
  expect((await c.raw("getInclusionProof", { id: toHex(randomBytes(32)) })).error.code).toBe(Code.ERR_NOT_FOUND);
  for (const params of [{}, { id: "zz" }, { id: 5 }, { id: toHex(randomBytes(31)) }]) {
    expect((await c.raw("getInclusionProof", params)).error.code).toBe(Code.ERR_BAD_PARAMS);
  }
  // A node without a coordinator confirms nothing.
  const quiet = await startTestNode({ coordinator: false });
  const q = await RawClient.connect(quiet.url);
  try {
    const qcall = (m: string, p?: unknown) => q.call(m, p);
    const id = (await qcall("submitTransaction", { bytes: await buildVia(qcall, dev, record(randomBytes(32), 0)) })).id;
    const r = await q.raw("getInclusionProof", { id });
    expect(r.error.code).toBe(Code.ERR_NOT_CONFIRMED);
    expect(r.error.message).toContain(id);
  } finally {
    q.close();
    await quiet.close();
  }
}, 60_000);
