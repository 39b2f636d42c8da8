/**
 * The API client against a real node started in this process (startTestNode: the composition root,
 * dev network, own coordinator) on 127.0.0.1: every
 * method typed, errors with the node's codes, subscriptions as iterators and listeners, reconnection
 * that restores subscriptions and sends queued requests, and request timeouts against a server
 * that never answers.
 */
import { randomBytes } from "node:crypto";
import { WebSocketServer } from "ws";
import { ApiClient, ClientErrorCode, NodeApiError, TangleClientError, Wallet } from "../../../client/node";
import { attach, signTransaction, stampSync } from "../../../client/protocol/build";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { transactionId } from "../../../client/protocol/codec";
import { devGenesis, devWalletSeed, DEV_SUPPLY } from "../../../node/networks/dev";
import { addressOf, keyPairFromSeed } from "../../../client/protocol/keys";
import { encodeAddress } from "../../../client/wallet/address";
import { checksumThatFits, typo } from "../wallet/_typo";
import { startTestNode, TestNode } from "../../support/node";
import { PROTOCOL_VERSION } from "../../../client/protocol/limits";

let node: TestNode;
let client: ApiClient;
const dev = keyPairFromSeed(devWalletSeed());

beforeAll(async () => {
  node = await startTestNode({ milestoneIntervalMs: 100 });
  client = await ApiClient.connect(node.url, { requestTimeoutMs: 5000 });
}, 30_000);

afterAll(async () => {
  client?.close();
  await node?.close();
});

async function dataRecord(seq = 0): Promise<Uint8Array> {
  const parents = await client.selectParents(2);
  const signed = signTransaction(
    { version: PROTOCOL_VERSION, networkId: devGenesis().networkId, issuer: dev.publicKey, payload: { type: "data", streamId: randomBytes(32), sequence: seq, prevRecordId: new Uint8Array(32), contentType: "text/plain", data: new TextEncoder().encode("hi") } },
    dev.secretKey,
  );
  const bytes = attach(signed, parents.map((p) => fromHex(p)), Date.now());
  const { difficulty } = await client.getDifficulty(dev.publicKey, bytes.length);
  return stampSync(bytes, difficulty);
}

test("typed results of every read method; amounts are bigints", async () => {
  expect(await client.ping()).toBe("pong");
  const info = await client.getNodeInfo();
  expect(info).toMatchObject({ networkName: "dev", networkId: devGenesis().networkId, remotePow: true, milestoneIntervalMs: expect.any(Number) });
  const devAddress = addressOf(dev.publicKey);
  const bal = await client.getBalance(devAddress);
  const bech32 = encodeAddress(devAddress, "tdev");
  expect(bal).toEqual({ address: toHex(devAddress), bech32, confirmed: DEV_SUPPLY, pending: { incoming: 0n, outgoing: 0n }, used: true });
  expect(await client.getBalance(bech32)).toEqual(bal);
  expect(await client.getBalance(bech32.toUpperCase())).toEqual(bal);
  const outs = await client.getOutputs(toHex(devAddress).toUpperCase());
  expect(outs.outputs).toEqual([{ txId: expect.stringMatching(/^[0-9a-f]{64}$/), index: 0, amount: DEV_SUPPLY }]);
  expect(await client.getOutputs(bech32)).toEqual(outs);
  expect(outs.bech32).toBe(bech32);
  const parents = await client.selectParents(3);
  // Up to the 3 asked for, at least the protocol's 2; distinct hex ids in canonical (ascending) order.
  expect([2, 3]).toContain(parents.length);
  for (const p of parents) expect(p).toMatch(/^[0-9a-f]{64}$/);
  expect([...new Set(parents)].sort()).toEqual(parents);
  expect(await client.getDifficulty(dev.publicKey)).toEqual({ difficulty: devGenesis().baseDifficulty, extraBits: 0 });
  // The coordinator's first milestone may still be on its way on a busy machine.
  while ((await client.getNodeInfo()).latestMilestoneIndex < 1) await new Promise((r) => setTimeout(r, 50));
  const ms = await client.getMilestone("latest");
  expect(ms.index).toBeGreaterThanOrEqual(1);
  expect(ms.index).toBeLessThanOrEqual((await client.getNodeInfo()).latestMilestoneIndex);
  expect(await client.getMilestone(ms.index)).toMatchObject({ index: ms.index, id: ms.id });
});

test("submit, fetch, metadata, stream; duplicates are acknowledged as such", async () => {
  const bytes = await dataRecord();
  const id = toHex(transactionId(bytes));
  expect(await client.submitTransaction(bytes)).toEqual({ id, duplicate: false });
  expect(await client.submitTransaction(bytes)).toEqual({ id, duplicate: true });
  const got = await client.getTransaction(id);
  expect(got.id).toBe(id);
  expect(Buffer.from(got.bytes).equals(Buffer.from(bytes))).toBe(true);
  const meta = await client.getTransactionMetadata(id);
  expect(meta).toMatchObject({ id, solid: true, shouldReattach: false });
  const streamId = toHex(bytes.subarray(42, 74));
  const page = await client.getStream(streamId);
  expect(page.records.map((r) => r.id)).toEqual([id]);
});

test("node errors carry the node's code; client argument errors are refused before sending", async () => {
  const err = await client.getTransaction(randomBytes(32)).catch((e) => e);
  expect(err).toBeInstanceOf(NodeApiError);
  expect(err.code).toBe("ERR_NOT_FOUND");
  expect(err.method).toBe("getTransaction");
  const bad = await dataRecord();
  bad[bad.length - 100] ^= 1; // breaks the signature or the PoW
  const refused = await client.submitTransaction(bad).catch((e) => e);
  expect(refused.code).toMatch(/^ERR_TX_(BAD_SIGNATURE|POW_INSUFFICIENT)$/);
  await expect(client.request("noSuchMethod")).rejects.toMatchObject({ code: "ERR_UNKNOWN_METHOD" });
  await expect(client.getBalance("xyz")).rejects.toMatchObject({ code: ClientErrorCode.BAD_ARGUMENT });
  const mistyped = typo(encodeAddress(addressOf(dev.publicKey), "tdev"));
  const typoErr = await client.getBalance(mistyped).catch((e) => e);
  expect(typoErr).toBeInstanceOf(NodeApiError);
  expect(typoErr.code).toBe("ERR_BAD_PARAMS");
  expect(typoErr.message).toContain("checksum does not match: check the address for a typo");
  expect(typoErr.message).not.toContain(checksumThatFits(mistyped));
  await expect(client.subscribe("nonsense" as "milestones")).rejects.toMatchObject({ code: "ERR_BAD_TOPIC" });
  expect(client.subscribedTopics()).not.toContain("nonsense");
});

test("subscriptions: async iteration and listeners; a shared topic is unsubscribed with its last user", async () => {
  const a = await client.subscribe("milestones");
  const b = await client.subscribe("milestones");
  const seen: number[] = [];
  b.on((m) => seen.push(m.index));
  const first = await a.next();
  expect(first.done).toBe(false);
  const second = await a.next();
  expect(second.value!.index).toBe(first.value!.index + 1);
  await a.close();
  expect(client.subscribedTopics()).toContain("milestones");
  await b.close();
  expect(client.subscribedTopics()).not.toContain("milestones");
  expect(seen.length).toBeGreaterThanOrEqual(1);
  expect(await a.next()).toEqual({ value: undefined, done: true });
});

test("a stream subscription sees a record as it is stored", async () => {
  const bytes = await dataRecord();
  const streamId = toHex(bytes.subarray(42, 74));
  const sub = await client.subscribe(`stream:${streamId}`);
  const id = (await client.submitTransaction(bytes)).id;
  for await (const push of sub) {
    expect(push).toEqual({ id, sequence: 0 });
    break; // the iterator's return() closes the subscription
  }
  expect(sub.isClosed).toBe(true);
});

test("an address subscription given as bech32m (any case) gets the address's pushes", async () => {
  const to = addressOf(keyPairFromSeed(randomBytes(32)).publicKey);
  const sub = await client.subscribe(`address:${encodeAddress(to, "tdev").toUpperCase()}`);
  expect(client.subscribedTopics()).toContain(`address:${encodeAddress(to, "tdev")}`);
  const devAddress = addressOf(dev.publicKey);
  const input = (await client.getOutputs(devAddress)).outputs[0];
  const parents = await client.selectParents(2);
  const signed = signTransaction(
    {
      version: PROTOCOL_VERSION,
      networkId: devGenesis().networkId,
      issuer: dev.publicKey,
      payload: { type: "transfer", inputs: [{ txId: fromHex(input.txId), index: input.index }], outputs: [{ address: to, amount: 5n }, { address: devAddress, amount: input.amount - 5n }] },
    },
    dev.secretKey,
  );
  const bytes = attach(signed, parents.map((p) => fromHex(p)), Date.now());
  const id = (await client.submitTransaction(stampSync(bytes, (await client.getDifficulty(dev.publicKey, bytes.length)).difficulty))).id;
  for await (const push of sub) {
    expect(push).toEqual({ event: "pending", txId: id });
    break;
  }
});

test("reconnection restores subscriptions and sends requests queued meanwhile", async () => {
  const c = await ApiClient.connect(node.url, { backoff: { initialMs: 20, maxMs: 100 } });
  try {
    const sub = await c.subscribe("milestones");
    const reconnected = new Promise((r) => c.once("reconnect", r));
    c.reconnectNow();
    const queued = c.ping(); // sent once the new connection is open
    await reconnected;
    expect(await queued).toBe("pong");
    // Pushes flow again on the new connection.
    const before = (await sub.next()).value!.index;
    expect((await sub.next()).value!.index).toBeGreaterThan(before);
  } finally {
    c.close();
  }
});

test("a request without an answer times out; in-flight requests fail when the connection drops", async () => {
  const silent = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  const sockets: import("ws").WebSocket[] = [];
  silent.on("connection", (ws) => sockets.push(ws));
  await new Promise((r) => silent.once("listening", r));
  const url = `ws://127.0.0.1:${(silent.address() as { port: number }).port}`;
  const c = await ApiClient.connect(url, { requestTimeoutMs: 150, reconnect: false });
  try {
    const t0 = Date.now();
    const err = await c.ping().catch((e) => e);
    expect(err).toBeInstanceOf(TangleClientError);
    expect(err.code).toBe(ClientErrorCode.TIMEOUT);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    // Dropped once the server holds the request: it is surely in flight.
    const received = new Promise((r) => sockets[0].once("message", r));
    const inFlight = c.ping({ timeoutMs: 5000 }).catch((e) => e);
    await received;
    for (const s of sockets) s.terminate();
    expect((await inFlight).code).toBe(ClientErrorCode.DISCONNECTED);
  } finally {
    c.close();
    await new Promise((r) => silent.close(r));
  }
  await expect(c.ping()).rejects.toMatchObject({ code: ClientErrorCode.CLOSED });
});

test("connecting to nothing fails with ERR_CLIENT_CONNECT within the bound", async () => {
  const t0 = Date.now();
  const err = await ApiClient.connect("ws://127.0.0.1:1", { connectTimeoutMs: 300, backoff: { initialMs: 20 } }).catch((e) => e);
  expect(err.code).toBe(ClientErrorCode.CONNECT);
  expect(Date.now() - t0).toBeLessThan(2000);
});

test("the dev wallet's address 0 owns the genesis output", async () => {
  const w = Wallet.dev({ client });
  expect(toHex(w.key(0).address)).toBe(devGenesis().outputs[0].address);
  expect(await w.address(0)).toMatch(/^tdev1/);
});
