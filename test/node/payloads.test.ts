/**
 * The node's payload table (node/payloads.ts): one entry per payload type the protocol registry
 * knows and no other; what each entry declares, checked against docs/api.md's topics and
 * docs/protocol.md's issuer rule: a transfer pushes to the `address:` topics of its issuer and its
 * outputs (each address once) when stored and when confirmed, with white flag's verdict; a data
 * record pushes `{id, sequence}` to its stream's topic and is indexed by stream and sequence; a
 * milestone pushes nothing of its own and is refused from a key that is not a coordinator (others'
 * payloads are not). The indexes are then followed through a real Store (LMDB in a temp folder):
 * a data record is found by its stream, the other types write no stream entry.
 */
import { randomBytes } from "node:crypto";
import { Payload, Transaction } from "../../client/protocol/codec";
import { PAYLOADS } from "../../client/protocol/payloads";
import { ProtocolErrorCode as E } from "../../client/protocol/errors";
import { toHex } from "../../client/protocol/bytes";
import { addressOf, keyPairFromSeed } from "../../client/protocol/keys";
import { milestoneOf, NODE_PAYLOADS, nodePayload, transferOf } from "../../node/payloads";
import { keys } from "../../node/storage/schema";
import { Store } from "../../node/storage/store";
import type { ValidationParams } from "../../node/validation/types";
import { cleanupDirs, tmpDir } from "./_helpers";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";

const coord = keyPairFromSeed(new Uint8Array(32).fill(9));
const user = keyPairFromSeed(new Uint8Array(32).fill(1));
const params: ValidationParams = { networkId: 7, baseDifficulty: 4, maxPastMs: 1, maxFutureMs: 1, coordinatorKeys: new Set([toHex(coord.publicKey)]) };

function tx(payload: Payload, issuer = user.publicKey): Transaction {
  return { version: PROTOCOL_VERSION, networkId: 7, issuer, payload, signature: new Uint8Array(64), timestamp: 1_763_800_000_000, parents: [new Uint8Array(32), new Uint8Array(32).fill(1)], nonce: 0n };
}

const other = randomBytes(32);
const streamId = randomBytes(32);
const transfer = tx({
  type: "transfer",
  inputs: [{ txId: randomBytes(32), index: 0 }],
  // the sender's own change output repeats the issuer's address: one push per address
  outputs: [
    { address: other, amount: 5n },
    { address: addressOf(user.publicKey), amount: 7n },
  ],
});
const data = tx({ type: "data", streamId, sequence: 4, prevRecordId: randomBytes(32), contentType: "application/json", data: new Uint8Array(3) });
const milestone = (issuer: Uint8Array) =>
  tx(
    {
      type: "milestone",
      index: 3,
      timestamp: 1,
      previousMilestoneId: new Uint8Array(32).fill(2),
      confirmedMerkleRoot: new Uint8Array(32),
      ledgerStateHash: new Uint8Array(32),
      ledgerRoot: new Uint8Array(32),
      signatures: [{ publicKey: coord.publicKey, signature: new Uint8Array(64) }],
    },
    issuer,
  );
const checkpoint = tx({ type: "checkpoint", milestoneIndex: 2 });

afterAll(cleanupDirs);

test("one entry for every payload type of the protocol registry, and no other", () => {
  expect(Object.keys(NODE_PAYLOADS).sort()).toEqual(Object.keys(PAYLOADS).sort());
  for (const t of [transfer, data, milestone(coord.publicKey), checkpoint]) expect(nodePayload(t)).toBe(NODE_PAYLOADS[t.payload.type]);
});

test("checkpoint: from any issuer, no indexes and no pushes of its own", () => {
  expect(NODE_PAYLOADS.checkpoint).toEqual({});
  expect(nodePayload(checkpoint).checkIssuer?.(checkpoint, params)).toBeUndefined();
  expect(milestoneOf(checkpoint)).toBeUndefined();
});

test("transfer: address pushes for the issuer and each output address, once each, when stored and when confirmed", () => {
  const id = "ab".repeat(32);
  const sender = toHex(addressOf(user.publicKey));
  expect(nodePayload(transfer).arrived!(id, transfer)).toEqual([
    { topic: `address:${sender}`, data: { event: "pending", txId: id } },
    { topic: `address:${toHex(other)}`, data: { event: "pending", txId: id } },
  ]);
  expect(nodePayload(transfer).confirmed!(id, transfer, 12, "INPUT_SPENT")).toEqual([
    { topic: `address:${sender}`, data: { event: "confirmed", txId: id, milestoneIndex: 12, conflict: "INPUT_SPENT" } },
    { topic: `address:${toHex(other)}`, data: { event: "confirmed", txId: id, milestoneIndex: 12, conflict: "INPUT_SPENT" } },
  ]);
  expect(nodePayload(transfer).confirmed!(id, transfer, 12, null).map((p) => p.data)).toEqual([
    { event: "confirmed", txId: id, milestoneIndex: 12, conflict: null },
    { event: "confirmed", txId: id, milestoneIndex: 12, conflict: null },
  ]);
  expect(nodePayload(transfer).indexes).toBeUndefined();
  expect(nodePayload(transfer).checkIssuer).toBeUndefined();
  expect(transferOf(transfer)).toBe(transfer.payload);
  expect(transferOf(data)).toBeUndefined();
});

test("data: a push of {id, sequence} to its stream's topic, and an index entry under (stream, sequence)", () => {
  const id = "cd".repeat(32);
  expect(nodePayload(data).arrived!(id, data)).toEqual([{ topic: `stream:${toHex(streamId)}`, data: { id, sequence: 4 } }]);
  expect(nodePayload(data).confirmed).toBeUndefined();
  expect(nodePayload(data).indexes!(data)).toEqual([{ db: "streams", key: keys.stream(streamId, 4) }]);
  expect(nodePayload(data).checkIssuer).toBeUndefined();
});

test("milestone: no pushes or indexes of its own; refused from a key that is not a coordinator", () => {
  const m = milestone(coord.publicKey);
  expect(nodePayload(m).arrived).toBeUndefined();
  expect(nodePayload(m).confirmed).toBeUndefined();
  expect(nodePayload(m).indexes).toBeUndefined();
  expect(nodePayload(m).checkIssuer!(m, params)).toBeUndefined();
  expect(nodePayload(m).checkIssuer!(milestone(user.publicKey), params)).toEqual({
    ok: false,
    code: E.NOT_COORDINATOR,
    message: "milestone issued by a key that is not a committee member of this network",
  });
  expect(milestoneOf(m)).toBe(m.payload);
  expect(milestoneOf(transfer)).toBeUndefined();
});

test("a real store writes each type's declared indexes: a data record is found by its stream, the others write no stream entry", async () => {
  const s = await Store.open(tmpDir());
  try {
    const ids = [randomBytes(32), randomBytes(32), randomBytes(32)];
    const txs = [transfer, data, milestone(coord.publicKey)];
    for (let i = 0; i < txs.length; i++) expect(await s.addTransaction(ids[i], Uint8Array.of(i), txs[i], s.nextSeq(), 1)).toBe(true);
    expect(s.streamRecords(streamId).map((r) => ({ sequence: r.sequence, id: toHex(r.id) }))).toEqual([{ sequence: 4, id: toHex(ids[1]) }]);
    expect([...s.streams.getKeys({})].length).toBe(1);
    expect(s.getMeta(ids[2])?.milestoneIndex).toBe(3);
    expect(s.getMeta(ids[0])?.milestoneIndex).toBeUndefined();
  } finally {
    await s.close();
  }
});
