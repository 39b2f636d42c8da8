/**
 * The node's pending amounts and `used` flag (getBalance), in process on real LMDB: a lazy original
 * leaves pending when its reattachment is confirmed, stays out after a restart, and any attachment
 * leaves once it is out of the window; an address that received stays used after everything was
 * spent, across restarts and across the schema-2 upgrade.
 */
import { fromHex, toHex } from "../../client/protocol/bytes";
import { attach, signTransaction, stampSync } from "../../client/protocol/build";
import { compareIds, Essence } from "../../client/protocol/codec";
import { addressOf, keyPairFromSeed } from "../../client/protocol/keys";
import { genesisTransactionId } from "../../node/ledger/genesis";
import { Store } from "../../node/storage/store";
import { TangleNode, ZERO_ENTRY_POINT } from "../../node/tangle-node";
import { requiredDifficulty } from "../../node/validation/pipeline";
import { alice, bob, buildMilestone, buildTx, cleanupDirs, coordinatorSeed, dataPayload, testGenesis, tmpDir } from "./_helpers";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";

afterAll(cleanupDirs);

const genesis = testGenesis();
const G = genesisTransactionId(genesis);
const coordinator = keyPairFromSeed(coordinatorSeed);
const carol = keyPairFromSeed(new Uint8Array(32).fill(0xca));
const [ALICE, BOB, CAROL] = [alice, bob, carol].map((k) => addressOf(k.publicKey));
const NONE = { pendingIncoming: 0n, pendingOutgoing: 0n };

const stamp = (b: Uint8Array) => stampSync(b, requiredDifficulty(b.length, genesis.baseDifficulty));

function signedTransfer(key: typeof alice, inputs: [Uint8Array, number][], outputs: [Uint8Array, bigint][]) {
  const essence: Essence = {
    version: PROTOCOL_VERSION,
    networkId: genesis.networkId,
    issuer: key.publicKey,
    payload: { type: "transfer", inputs: inputs.map(([txId, index]) => ({ txId, index })), outputs: outputs.map(([address, amount]) => ({ address, amount })) },
  };
  return signTransaction(essence, key.secretKey);
}

/** A milestone with exactly these parents (so the test decides what it confirms). */
async function milestone(node: TangleNode, parentIds: Uint8Array[]): Promise<void> {
  const parents = [...parentIds].sort(compareIds);
  const index = node.ledgerIndex + 1;
  await node.submit(buildMilestone(node, { parents: parents.map(toHex) }).bytes);
  expect(node.ledgerIndex).toBe(index);
}

test("a reattachment confirmed: the lazy original leaves pending, and stays out after a restart", async () => {
  const dir = tmpDir();
  const node = await TangleNode.open({ dataDir: dir, genesis });
  const signed = signedTransfer(alice, [[G, 0]], [[BOB, 1000n]]);
  const original = await node.submit(stamp(attach(signed, [ZERO_ENTRY_POINT, G], node.now())));
  const again = await node.submit(stamp(attach(signed, [ZERO_ENTRY_POINT, G], node.now() + 1)));
  expect(again.id).not.toBe(original.id);
  expect(node.balance(BOB)).toMatchObject({ confirmed: 0n, pendingIncoming: 2000n, used: true });
  await milestone(node, [fromHex(again.id), G]);
  expect(node.getMetadata(original.id)).toMatchObject({ confirmedBy: null });
  expect(node.getMetadata(again.id)).toMatchObject({ confirmedBy: 1, conflict: null });
  expect(node.balance(BOB)).toEqual({ confirmed: 1000n, ...NONE, used: true });
  expect(node.balance(ALICE)).toEqual({ confirmed: 500n, ...NONE, used: true });
  await node.close();

  // The window is replayed in arrival order: the original is unconfirmed in storage, yet stays out.
  const reopened = await TangleNode.open({ dataDir: dir, genesis });
  expect(reopened.balance(BOB)).toEqual({ confirmed: 1000n, ...NONE, used: true });
  expect(reopened.balance(ALICE)).toEqual({ confirmed: 500n, ...NONE, used: true });
  await reopened.close();
});

test("an attachment leaves pending when it leaves the node's window", async () => {
  const node = await TangleNode.open({ dataDir: tmpDir(), genesis, window: 8 });
  const lazy = await node.submit(stamp(attach(signedTransfer(alice, [[G, 1]], [[CAROL, 500n]]), [ZERO_ENTRY_POINT, G], node.now())));
  expect(node.balance(CAROL)).toMatchObject({ pendingIncoming: 500n, used: true });
  expect(node.balance(ALICE)).toMatchObject({ pendingOutgoing: 500n });
  const stream = new Uint8Array(32).fill(5);
  let prev: Uint8Array | undefined;
  for (let i = 0; i < 7; i++) prev = fromHex((await node.submit(buildTx(node, alice, dataPayload(stream, i, prev)))).id);
  expect(node.balance(CAROL).pendingIncoming).toBe(500n); // 8 arrivals: still in the window
  await node.submit(buildTx(node, alice, dataPayload(stream, 7, prev)));
  expect(node.attachmentHints(lazy.id).shouldReattach).toBe(true); // out of the window
  expect(node.balance(CAROL)).toEqual({ confirmed: 0n, ...NONE, used: false });
  expect(node.balance(ALICE)).toEqual({ confirmed: 1500n, ...NONE, used: true });
  await node.close();
});

test("used: ever received, even when all of it was spent; kept across restarts and the schema-2 upgrade", async () => {
  const dir = tmpDir();
  const node = await TangleNode.open({ dataDir: dir, genesis });
  expect(node.balance(BOB)).toEqual({ confirmed: 0n, ...NONE, used: false });
  const toBob = await node.submit(stamp(attach(signedTransfer(alice, [[G, 0]], [[BOB, 1000n]]), [ZERO_ENTRY_POINT, G], node.now())));
  await milestone(node, [fromHex(toBob.id), G]);
  const away = await node.submit(stamp(attach(signedTransfer(bob, [[fromHex(toBob.id), 0]], [[CAROL, 1000n]]), [fromHex(toBob.id), G], node.now())));
  expect(node.balance(BOB)).toEqual({ confirmed: 1000n, pendingIncoming: 0n, pendingOutgoing: 1000n, used: true });
  await milestone(node, [fromHex(away.id), G]);
  expect(node.balance(BOB)).toEqual({ confirmed: 0n, ...NONE, used: true });
  expect(node.balance(CAROL)).toEqual({ confirmed: 1000n, ...NONE, used: true });
  await node.close();

  const reopened = await TangleNode.open({ dataDir: dir, genesis });
  expect(reopened.balance(BOB)).toEqual({ confirmed: 0n, ...NONE, used: true });
  await reopened.close();

  // A database written before `received` existed (schema 2): the table is filled at open from the
  // unspent and spent outputs.
  const store = await Store.open(dir);
  await store.received.clearAsync();
  await store.state.put("schemaVersion", 2);
  expect(store.hasReceived(BOB)).toBe(false);
  await store.close();
  const upgraded = await TangleNode.open({ dataDir: dir, genesis });
  expect([ALICE, BOB, CAROL].map((a) => upgraded.balance(a).used)).toEqual([true, true, true]);
  expect(upgraded.balance(new Uint8Array(32).fill(9)).used).toBe(false);
  expect(upgraded.store.state.get("schemaVersion")).toBe(3);
  await upgraded.close();
});
