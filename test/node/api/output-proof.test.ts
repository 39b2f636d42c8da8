/**
 * getOutputProof against a node started in this process (dev network, its own coordinator): the
 * proof checks, with the client's verifier and no node code, against the ledger root that the
 * committee-signed milestone itself carries; a spent output is proven absent; a proof does not
 * show what is not so.
 */
import { randomBytes } from "node:crypto";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { decodeTransaction } from "../../../client/protocol/codec";
import { addressOf, keyPairFromSeed } from "../../../client/protocol/keys";
import { decodeLedgerProof, verifyOutputAbsent, verifyOutputInLedger } from "../../../client/protocol/ledger-proof";
import { devGenesis, devWalletSeed } from "../../../node/networks/dev";
import { genesisTransactionId } from "../../../node/ledger/genesis";
import { startTestNode, TestNode } from "../../support/node";
import { RawClient } from "./_process";
import { buildVia } from "./_tx";

const dev = keyPairFromSeed(devWalletSeed());
const devAddr = addressOf(dev.publicKey);
let node: TestNode;
let c: RawClient;

beforeAll(async () => {
  node = await startTestNode();
  c = await RawClient.connect(node.url);
}, 30_000);

afterAll(async () => {
  c?.close();
  await node?.close();
});

/** The ledger root in the payload of milestone `index`, read from its stored transaction. */
async function signedLedgerRoot(index: number): Promise<Uint8Array> {
  const m = await c.call("getMilestone", { index });
  const d = decodeTransaction((await c.call("getTransaction", { id: m.id })).bytes);
  if (!d.ok || d.value.tx.payload.type !== "milestone") throw new Error(`milestone ${index} does not decode`);
  return d.value.tx.payload.ledgerRoot;
}

test("an unspent output is proven against its milestone's ledger root, a spent one proven absent, a wrong claim fails", async () => {
  const genesisOut = { txId: genesisTransactionId(devGenesis()), index: 0 };
  const to = addressOf(keyPairFromSeed(randomBytes(32)).publicKey);
  const input = (await c.call("getOutputs", { address: toHex(devAddr) })).outputs[0];
  await c.call("subscribe", { topics: [`address:${toHex(to)}`] });
  const bytes = await buildVia((m, p) => c.call(m, p), dev, {
    type: "transfer",
    inputs: [{ txId: fromHex(input.txId), index: input.index }],
    outputs: [
      { address: to, amount: 4321n },
      { address: devAddr, amount: BigInt(input.amount) - 4321n },
    ],
  });
  const id = (await c.call("submitTransaction", { bytes })).id;
  await c.waitPush((p) => p.topic === `address:${toHex(to)}` && p.data.event === "confirmed");

  const r = await c.call("getOutputProof", { txId: id, index: 0 });
  expect(r).toMatchObject({ txId: id, index: 0, unspent: true, address: toHex(to), amount: "4321", ledgerRoot: expect.stringMatching(/^[0-9a-f]{64}$/) });
  const root = await signedLedgerRoot(r.milestoneIndex);
  expect(toHex(root)).toBe(r.ledgerRoot);
  expect(r.milestoneId).toBe((await c.call("getMilestone", { index: r.milestoneIndex })).id);
  const proof = decodeLedgerProof(r.proof);
  if (!proof.ok) throw new Error(proof.message);
  expect(verifyOutputInLedger(root, { txId: fromHex(id), index: 0, address: to, amount: 4321n }, proof.value)).toBe(true);
  // Not another amount, not another address, not under another root.
  expect(verifyOutputInLedger(root, { txId: fromHex(id), index: 0, address: to, amount: 4322n }, proof.value)).toBe(false);
  expect(verifyOutputInLedger(root, { txId: fromHex(id), index: 0, address: devAddr, amount: 4321n }, proof.value)).toBe(false);
  expect(verifyOutputInLedger(randomBytes(32), { txId: fromHex(id), index: 0, address: to, amount: 4321n }, proof.value)).toBe(false);
  expect(verifyOutputAbsent(root, fromHex(id), 0, proof.value)).toBe(false);

  // The genesis output was spent by the transfer: proven absent at a milestone after it.
  const g = await c.call("getOutputProof", { txId: toHex(genesisOut.txId), index: 0 });
  expect(g).toMatchObject({ unspent: false, address: null, amount: null });
  expect(g.milestoneIndex).toBeGreaterThanOrEqual(r.milestoneIndex);
  const gp = decodeLedgerProof(g.proof);
  if (!gp.ok) throw new Error(gp.message);
  const gRoot = await signedLedgerRoot(g.milestoneIndex);
  expect(verifyOutputAbsent(gRoot, genesisOut.txId, 0, gp.value)).toBe(true);
  expect(verifyOutputInLedger(gRoot, { txId: genesisOut.txId, index: 0, address: devAddr, amount: BigInt(input.amount) }, gp.value)).toBe(false);
});

test("bad parameters are refused with ERR_BAD_PARAMS", async () => {
  for (const params of [{}, { txId: "zz", index: 0 }, { txId: toHex(randomBytes(32)) }, { txId: toHex(randomBytes(32)), index: 256 }, { txId: toHex(randomBytes(32)), index: 1.5 }]) {
    expect((await c.raw("getOutputProof", params)).error.code).toBe("ERR_BAD_PARAMS");
  }
});
