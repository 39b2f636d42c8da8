/**
 * The wire encoding of the API (docs/api.md, Frames): every integer travels as a MessagePack
 * integer, never as a float. A node started in this process by the composition root (dev network,
 * its own coordinator, an admin token, a second in-process node peered to it over a real socket;
 * test/support/node.ts) answers every method and pushes every topic after transfers, data
 * records and milestones; each frame is read byte by byte with an independent reader (_wire.ts).
 */
import { randomBytes } from "node:crypto";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { Payload, transactionId } from "../../../client/protocol/codec";
import { addressOf, KeyPair, keyPairFromSeed } from "../../../client/protocol/keys";
import { devWalletSeed } from "../../../node/networks/dev";
import { createMethods } from "../../../node/api/methods";
import { startTestNode, TestNode } from "../../support/node";
import { RawClient } from "./_process";
import { buildVia, record } from "./_tx";
import { walkWire } from "./_wire";

/** The only fields documented as fractional. */
const FRACTIONAL = new Set(["confidence"]);

const dev = keyPairFromSeed(devWalletSeed());
const devAddr = addressOf(dev.publicKey);
const TOKEN = "wire-test-token";
let a: TestNode;
let b: TestNode;
let c: RawClient;

beforeAll(async () => {
  a = await startTestNode({ milestoneIntervalMs: 100, adminToken: TOKEN });
  b = await startTestNode({ coordinator: false, peer: [a.url], remotePow: false });
  c = await RawClient.connect(a.url);
}, 60_000);

afterAll(async () => {
  c?.close();
  await b?.close();
  await a?.close();
});

const called = new Set<string>();
async function call(method: string, params?: unknown): Promise<any> {
  called.add(method);
  return c.call(method, params);
}

const build = (key: KeyPair, payload: Payload, stamp = true): Promise<Uint8Array> => buildVia(call, key, payload, stamp);

test("every response and push carries its integers as MessagePack integers", async () => {
  const to = addressOf(keyPairFromSeed(randomBytes(32)).publicKey);
  const stream = randomBytes(32);
  await call("subscribe", { topics: ["milestones", "transactions", "confirmed", `address:${toHex(to)}`, `address:${toHex(devAddr)}`, `stream:${toHex(stream)}`] });

  // A data record, confirmed; a second one left unconfirmed for a while (confidence, hints).
  const first = await build(dev, record(stream, 0));
  const firstId = toHex(transactionId(first));
  await call("subscribe", { topics: [`tx:${firstId}`] });
  expect((await call("submitTransaction", { bytes: first })).duplicate).toBe(false);
  await c.waitPush((p) => p.topic === `tx:${firstId}`);
  const secondId = (await call("submitTransaction", { bytes: await build(dev, record(stream, 1, firstId)) })).id;
  await call("getTransactionMetadata", { id: secondId });

  // A transfer, with its pushes; then every read method.
  const input = (await call("getOutputs", { address: toHex(devAddr) })).outputs[0];
  const transfer = await build(dev, {
    type: "transfer",
    inputs: [{ txId: fromHex(input.txId), index: input.index }],
    outputs: [
      { address: to, amount: 1000n },
      { address: devAddr, amount: BigInt(input.amount) - 1000n },
    ],
  });
  const transferId = (await call("submitTransaction", { bytes: transfer })).id;
  await c.waitPush((p) => p.topic === `address:${toHex(to)}` && p.data.event === "confirmed");
  // Remote proof of work.
  await call("submitTransaction", { bytes: await build(dev, record(randomBytes(32), 0), false), pow: true });

  await call("ping");
  await call("getNodeInfo");
  await call("getTransaction", { id: transferId });
  await call("getTransactionMetadata", { id: transferId });
  await call("getBalance", { address: toHex(to) });
  await call("getOutputs", { address: toHex(to) });
  await call("getOutputProof", { txId: transferId, index: 0 });
  await call("getInclusionProof", { id: transferId });
  const committee = await call("getCommittee");
  const change = { members: committee.epochs[0].members, threshold: 1, effectiveIndex: committee.ledgerIndex + 1000 };
  await call("queueCommitteeChange", { ...change, token: TOKEN });
  await call("cancelCommitteeChange", { token: TOKEN });
  const ms = await call("getMilestone", { index: "latest" });
  await call("getMilestone", { index: ms.index });
  await call("getStream", { streamId: toHex(stream) });
  // The second node connects to this one; its heartbeat fills in the latency.
  let peered = false;
  for (let i = 0; i < 100 && !peered; i++) {
    const { peers } = await call("getPeers");
    peered = peers.some((p: any) => p.connected && typeof p.latencyMs === "number");
    if (!peered) await new Promise((r) => setTimeout(r, 100));
  }
  expect(peered).toBe(true);
  expect((await call("addPeer", { url: "ws://127.0.0.1:9/", token: TOKEN })).added).toBe(true);
  await call("getPeers");
  await call("removePeer", { url: "ws://127.0.0.1:9/", token: TOKEN });
  await call("unsubscribe", { topics: ["transactions"] });
  // Error responses too.
  expect((await c.raw("getMilestone", { index: 0 })).error.code).toBe("ERR_BAD_PARAMS");

  for (const topic of ["milestones", "transactions", "confirmed", `address:${toHex(to)}`, `address:${toHex(devAddr)}`, `stream:${toHex(stream)}`, `tx:${firstId}`]) {
    await c.waitPush((p) => p.topic === topic);
  }
  expect([...called].sort()).toEqual(Object.keys(createMethods({} as never)).sort());

  const floats: string[] = [];
  const seen = new Map<string, string>();
  for (const frame of c.frames) {
    const top = walkWire(frame);
    const where = (top.find((s) => s.path === "topic")?.value as string | undefined) ?? "response";
    for (const s of top) {
      const field = s.path.split(".").pop()!;
      const name = `${where.replace(/:.*/, ":")} ${s.path.replace(/\.\d+(?=\.|$)/g, ".*")}`;
      seen.set(name, s.kind);
      if ((s.kind === "float32" || s.kind === "float64") && !FRACTIONAL.has(field)) floats.push(`${name} = ${String(s.value)} (0x${s.format.toString(16)})`);
    }
  }
  expect([...new Set(floats)]).toEqual([]);
  // The fields the independent client saw as floats are there, and integers now.
  for (const name of ["response result.timestamp", "response result.receivedMs", "milestones data.timestamp", "response result.startupMs"]) {
    expect([name, seen.get(name)]).toEqual([name, "uint"]);
  }
}, 120_000);
