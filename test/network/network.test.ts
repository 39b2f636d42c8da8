/**
 * Real node processes on 127.0.0.1 peering over WebSockets, a line A-B-C with A the coordinator:
 * milestones reach the far end; a transaction submitted there confirms everywhere with one ledger;
 * of two conflicting spends submitted at once to different nodes exactly one confirms, the same on
 * every node; a node killed with SIGKILL catches up after a restart and a fresh node syncs from
 * genesis; a link cut with removePeer heals with addPeer; a peer sending garbage is disconnected
 * (4003) while the line keeps working. No fixed sleeps: every wait is for a condition.
 */
import { randomBytes } from "node:crypto";
import { attach, signTransaction, stampSync } from "../../client/protocol/build";
import { fromHex, toHex } from "../../client/protocol/bytes";
import { Payload, transactionId } from "../../client/protocol/codec";
import { addressOf, keyPairFromSeed } from "../../client/protocol/keys";
import { devGenesis, devWalletSeed } from "../../node/networks/dev";
import { requiredDifficulty } from "../../node/validation/pipeline";
import { cleanup, launch, NetNode, stopAll, waitFor } from "./_net";
import { rawPeer } from "../node/peering/_peer";
import { RawClient } from "../node/api/_process";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";

jest.setTimeout(90_000);
const dev = keyPairFromSeed(devWalletSeed());
let A: NetNode, B: NetNode, C: NetNode;

beforeAll(async () => {
  A = await launch(["--coordinator-key", "dev"]);
  B = await launch(["--peer", A.proc.url]);
  C = await launch(["--peer", B.proc.url]);
});

afterAll(async () => {
  await stopAll([A, B, C]);
  cleanup();
});

async function build(c: RawClient, payload: Payload): Promise<Uint8Array> {
  const { parents } = await c.call("selectParents", { count: 2 });
  const signed = signTransaction({ version: PROTOCOL_VERSION, networkId: devGenesis().networkId, issuer: dev.publicKey, payload }, dev.secretKey);
  const bytes = attach(signed, parents.map((p: string) => fromHex(p)), Date.now());
  return stampSync(bytes, requiredDifficulty(bytes.length, devGenesis().baseDifficulty));
}

test("peers connect and the line syncs milestones", async () => {
  await waitFor("C to follow A's milestones", async () => {
    const a = await A.client.call("getNodeInfo");
    const c = await C.client.call("getNodeInfo");
    return a.confirmedMilestoneIndex > 2 && c.confirmedMilestoneIndex >= a.confirmedMilestoneIndex - 2 && c.peers === 1;
  });
  const peersB = (await B.client.call("getPeers")).peers;
  expect(peersB.filter((p: { connected: boolean }) => p.connected)).toHaveLength(2);
});

test("a transaction submitted at the far end is known and confirmed on all nodes, same ledger", async () => {
  const bytes = await build(C.client, { type: "data", streamId: randomBytes(32), sequence: 0, prevRecordId: new Uint8Array(32), contentType: "text/plain", data: new TextEncoder().encode("hello") });
  const id = toHex(transactionId(bytes));
  await C.client.call("submitTransaction", { bytes });
  for (const n of [A, B, C]) {
    await waitFor(`confirmation on ${n.proc.url}`, async () => (await n.client.call("getTransactionMetadata", { id })).confirmed);
  }
  const index = (await C.client.call("getTransactionMetadata", { id })).confirmedBy;
  const hashes = await Promise.all([A, B, C].map(async (n) => (await waitFor("milestone", () => n.client.call("getMilestone", { index }))).stateHash));
  expect(new Set(hashes).size).toBe(1);
});

test("conflicting spends at the same moment on different nodes: exactly one confirms everywhere", async () => {
  const outs = (await A.client.call("getOutputs", { address: toHex(addressOf(dev.publicKey)) })).outputs;
  const input = outs[0];
  const pay = (to: Uint8Array): Payload => ({
    type: "transfer",
    inputs: [{ txId: fromHex(input.txId), index: input.index }],
    outputs: [{ address: to, amount: BigInt(input.amount) }],
  });
  const x = keyPairFromSeed(randomBytes(32));
  const y = keyPairFromSeed(randomBytes(32));
  const [bx, by] = await Promise.all([build(A.client, pay(addressOf(x.publicKey))), build(C.client, pay(addressOf(y.publicKey)))]);
  const [rx, ry] = await Promise.all([A.client.call("submitTransaction", { bytes: bx }), C.client.call("submitTransaction", { bytes: by })]);
  const metas = await waitFor("both confirmed on every node", async () => {
    const all = await Promise.all([A, B, C].flatMap((n) => [rx.id, ry.id].map((id) => n.client.call("getTransactionMetadata", { id }))));
    return all.every((m) => m.confirmed) ? all : undefined;
  });
  for (let i = 0; i < 3; i++) {
    const [mx, my] = [metas[2 * i], metas[2 * i + 1]];
    expect([mx.conflict, my.conflict].filter((c) => c === null)).toHaveLength(1);
    expect([mx.conflict, my.conflict]).toContain("INPUT_SPENT");
    // Every node decided the same way.
    expect(mx.conflict).toBe(metas[0].conflict);
  }
  const index = Math.max(metas[0].confirmedBy, metas[1].confirmedBy);
  const hashes = await Promise.all([A, B, C].map(async (n) => (await n.client.call("getMilestone", { index })).stateHash));
  expect(new Set(hashes).size).toBe(1);
  const winner = metas[0].conflict === null ? x : y;
  for (const n of [A, B, C]) {
    expect((await n.client.call("getBalance", { address: toHex(addressOf(winner.publicKey)) })).confirmed).toBe(input.amount);
  }
});

test("a node killed and restarted catches up; a fresh node joining late syncs from genesis", async () => {
  await C.proc.stop("SIGKILL");
  C.client.close();
  await waitFor("B to see C gone", async () => (await B.client.call("getPeers")).peers.filter((p: { connected: boolean }) => p.connected).length === 1);
  C = await launch(["--peer", B.proc.url], C.dir);
  const D = await launch(["--peer", C.proc.url]);
  try {
    const target = (await A.client.call("getNodeInfo")).confirmedMilestoneIndex;
    for (const n of [C, D]) {
      await waitFor(`sync of ${n.proc.url}`, async () => (await n.client.call("getNodeInfo")).confirmedMilestoneIndex >= target, 60_000).catch((err) => {
        throw new Error(`${(err as Error).message}\n${n.proc.logs.filter((l) => !l.includes('"level":20')).slice(-15).join("\n")}`);
      });
      const index = target;
      const [ha, hn] = await Promise.all([A.client.call("getMilestone", { index }), n.client.call("getMilestone", { index })]);
      expect(hn.stateHash).toBe(ha.stateHash);
    }
  } finally {
    await stopAll([D]);
  }
});

test("a link cut with removePeer and restored with addPeer heals", async () => {
  expect((await B.client.raw("removePeer", { url: A.proc.url, token: "wrong" })).error.code).toBe("ERR_UNAUTHORIZED");
  expect(await B.client.call("removePeer", { url: A.proc.url, token: "secret" })).toEqual({ removed: true });
  await waitFor("B and C cut off from A", async () => (await B.client.call("getPeers")).peers.every((p: { url: string; connected: boolean }) => !p.url.includes(String(A.proc.port)) || !p.connected) && ((await A.client.call("getNodeInfo")).peers === 0));
  const cut = (await B.client.call("getNodeInfo")).confirmedMilestoneIndex;
  await waitFor("A moves on alone", async () => (await A.client.call("getNodeInfo")).confirmedMilestoneIndex > cut + 3);
  expect(await B.client.call("addPeer", { url: A.proc.url, token: "secret" })).toEqual({ added: true });
  const target = (await A.client.call("getNodeInfo")).confirmedMilestoneIndex;
  for (const n of [B, C]) await waitFor(`heal ${n.proc.url}`, async () => (await n.client.call("getNodeInfo")).confirmedMilestoneIndex >= target, 30_000);
});

test("a peer sending garbage is disconnected; the others are unaffected", async () => {
  const peer = await rawPeer(B.proc.port);
  peer.ws.send(Buffer.from("definitely not msgpack"));
  expect(await peer.closed).toBe(4003);
  const before = (await C.client.call("getNodeInfo")).confirmedMilestoneIndex;
  await waitFor("the line still works", async () => (await C.client.call("getNodeInfo")).confirmedMilestoneIndex > before + 1);
});
