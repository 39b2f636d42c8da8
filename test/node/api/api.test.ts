/**
 * Every API method and topic against a node started in this process by the composition root
 * (test/support/node.ts: dev network, its own coordinator, milestones every 100 ms) over real
 * sockets on 127.0.0.1. What needs a real process (its log on stdout, exit code 0 on SIGTERM) is
 * in process.test.ts.
 */
import { randomBytes } from "node:crypto";
import WebSocket from "ws";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { Payload, transactionId } from "../../../client/protocol/codec";
import { addressOf, KeyPair, keyPairFromSeed } from "../../../client/protocol/keys";
import { DEV_SUPPLY, devGenesis, devWalletSeed } from "../../../node/networks/dev";
import { genesisTransactionId } from "../../../node/ledger/genesis";
import { API_LIMITS } from "../../../node/api/limits";
import { encodeAddress } from "../../../client/wallet/address";
import { checksumThatFits, typo } from "../../client/wallet/_typo";
import { startTestNode, TestNode } from "../../support/node";
import { packr, RawClient } from "./_process";
import { buildVia, record } from "./_tx";

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
  // Stopped in the shutdown order, to the end.
  expect(node.logs.map((l) => l.msg).slice(-2)).toEqual(["stopping", "stopped"]);
});

const build = (key: KeyPair, payload: Payload, stamp = true): Promise<Uint8Array> => buildVia((m, p) => c.call(m, p), key, payload, stamp);

test("the node's logs show the dev wallet's address as bech32m", async () => {
  const line = node.logs.find((j) => j.devAddress !== undefined);
  expect(line).toMatchObject({ devAddress: encodeAddress(devAddr, "tdev"), devAddressHex: toHex(devAddr) });
});

test("getNodeInfo and ping", async () => {
  const info = await c.call("getNodeInfo");
  expect(info).toMatchObject({ networkId: devGenesis().networkId, networkName: "dev", version: expect.any(String), difficulty: devGenesis().baseDifficulty, synced: true, remotePow: true });
  expect(info.ledgerStateHash).toMatch(/^[0-9a-f]{64}$/);
  for (const k of ["latestMilestoneIndex", "confirmedMilestoneIndex", "tips", "peers", "storedTransactions"]) expect(typeof info[k]).toBe("number");
  // How long since the latest milestone's timestamp: null before the first one, else at most the time since that milestone was asked for.
  if (info.latestMilestoneIndex === 0) expect(info.latestMilestoneAgeMs).toBeNull();
  else {
    const { timestamp } = await c.call("getMilestone", { index: info.latestMilestoneIndex });
    expect(info.latestMilestoneAgeMs).toBeGreaterThanOrEqual(0);
    expect(info.latestMilestoneAgeMs).toBeLessThanOrEqual(Date.now() - timestamp + 1);
  }
  expect(await c.call("ping")).toBe("pong");
});

test("milestones arrive on their topic, getMilestone by index and latest", async () => {
  expect(await c.call("subscribe", { topics: ["milestones"] })).toEqual({ subscribed: ["milestones"] });
  const push = await c.waitPush((p) => p.topic === "milestones");
  expect(push.data).toMatchObject({ index: expect.any(Number), id: expect.stringMatching(/^[0-9a-f]{64}$/) });
  const m = await c.call("getMilestone", { index: push.data.index });
  expect(m).toMatchObject({ index: push.data.index, id: push.data.id });
  const latest = await c.call("getMilestone", { index: "latest" });
  expect(latest.index).toBeGreaterThanOrEqual(push.data.index);
});

test("a data record: submit, fetch, stream, transaction and tx:<id> pushes, confirmation, metadata", async () => {
  const stream = randomBytes(32);
  await c.call("subscribe", { topics: ["transactions", "confirmed", `stream:${toHex(stream)}`] });
  const bytes = await build(dev, record(stream, 0));
  const id = toHex(transactionId(bytes));
  await c.call("subscribe", { topics: [`tx:${id}`] });
  expect(await c.call("submitTransaction", { bytes })).toEqual({ id, duplicate: false });
  expect(await c.call("submitTransaction", { bytes })).toEqual({ id, duplicate: true });
  const got = await c.call("getTransaction", { id });
  expect(toHex(got.bytes)).toBe(toHex(bytes));
  await c.waitPush((p) => p.topic === "transactions" && p.data.id === id);
  await c.waitPush((p) => p.topic === `stream:${toHex(stream)}` && p.data.id === id);
  const confirmed = await c.waitPush((p) => p.topic === `tx:${id}`);
  expect(confirmed.data).toMatchObject({ id, confirmedBy: expect.any(Number), conflict: null });
  await c.waitPush((p) => p.topic === "confirmed" && p.data.ids.includes(id));
  const meta = await c.call("getTransactionMetadata", { id });
  expect(meta).toMatchObject({ id, solid: true, confirmed: true, confirmedBy: confirmed.data.confirmedBy, conflict: null, shouldReattach: false, shouldPromote: false, confidence: 1 });

  const second = await build(dev, record(stream, 1, id));
  const id2 = (await c.call("submitTransaction", { bytes: second })).id;
  const unconfirmed = await c.call("getTransactionMetadata", { id: id2 });
  expect(typeof unconfirmed.shouldReattach).toBe("boolean");
  expect(unconfirmed.confidence === null || (unconfirmed.confidence >= 0 && unconfirmed.confidence <= 1)).toBe(true);
  const s = await c.call("getStream", { streamId: toHex(stream) });
  expect(s.records.map((r: any) => r.sequence)).toEqual([0, 1]);
  expect(s.records.map((r: any) => r.id)).toEqual([id, id2]);
  expect(toHex(s.records[0].bytes)).toBe(toHex(bytes));
  expect((await c.call("getStream", { streamId: toHex(stream), fromSeq: 1, limit: 5 })).records).toHaveLength(1);
});

test("a transfer: pending then confirmed balances on both sides, address pushes, outputs", async () => {
  const to = keyPairFromSeed(randomBytes(32));
  const toAddr = addressOf(to.publicKey);
  await c.call("subscribe", { topics: [`address:${toHex(toAddr)}`] });
  const outs = (await c.call("getOutputs", { address: toHex(devAddr) })).outputs;
  // Nothing has spent the dev funds yet: the one genesis output.
  expect(outs).toEqual([{ txId: toHex(genesisTransactionId(devGenesis())), index: 0, amount: String(DEV_SUPPLY) }]);
  const input = outs[0];
  const amount = BigInt(input.amount);
  const before = await c.call("getBalance", { address: toHex(devAddr) });
  const bytes = await build(dev, {
    type: "transfer",
    inputs: [{ txId: fromHex(input.txId), index: input.index }],
    outputs: [
      { address: toAddr, amount: 1234n },
      { address: devAddr, amount: amount - 1234n },
    ],
  });
  const id = (await c.call("submitTransaction", { bytes })).id;
  const pending = await c.waitPush((p) => p.topic === `address:${toHex(toAddr)}` && p.data.event === "pending");
  expect(pending.data.txId).toBe(id);
  const conf = await c.waitPush((p) => p.topic === `address:${toHex(toAddr)}` && p.data.event === "confirmed");
  expect(conf.data).toMatchObject({ txId: id, conflict: null });
  expect(await c.call("getBalance", { address: toHex(toAddr) })).toEqual({ address: toHex(toAddr), bech32: encodeAddress(toAddr, "tdev"), confirmed: "1234", pending: { incoming: "0", outgoing: "0" }, used: true });
  const after = await c.call("getBalance", { address: toHex(devAddr) });
  expect(BigInt(after.confirmed)).toBe(BigInt(before.confirmed) - 1234n);
  expect((await c.call("getOutputs", { address: toHex(toAddr) })).outputs).toEqual([{ txId: id, index: 0, amount: "1234" }]);
});

test("addresses: methods and the address topic take bech32m and hex; results give both; a typo is named, its fitting checksum never", async () => {
  const to = keyPairFromSeed(randomBytes(32));
  const toAddr = addressOf(to.publicKey);
  const bech = encodeAddress(toAddr, "tdev");
  const d = await RawClient.connect(node.url);
  expect(await d.call("subscribe", { topics: [`address:${bech.toUpperCase()}`, `address:${toHex(toAddr)}`] })).toEqual({ subscribed: [`address:${bech}`, `address:${toHex(toAddr)}`] });
  const input = (await c.call("getOutputs", { address: encodeAddress(devAddr, "tdev") })).outputs[0];
  const bytes = await build(dev, {
    type: "transfer",
    inputs: [{ txId: fromHex(input.txId), index: input.index }],
    outputs: [
      { address: toAddr, amount: 77n },
      { address: devAddr, amount: BigInt(input.amount) - 77n },
    ],
  });
  const id = (await c.call("submitTransaction", { bytes })).id;
  // Each subscriber form gets its pushes under the name it used.
  for (const topic of [`address:${bech}`, `address:${toHex(toAddr)}`]) {
    expect((await d.waitPush((p) => p.topic === topic && p.data.event === "pending")).data.txId).toBe(id);
    expect((await d.waitPush((p) => p.topic === topic && p.data.event === "confirmed")).data).toMatchObject({ txId: id, conflict: null });
  }
  const want = { address: toHex(toAddr), bech32: bech, confirmed: "77", pending: { incoming: "0", outgoing: "0" }, used: true };
  for (const address of [bech, bech.toUpperCase(), toHex(toAddr), toHex(toAddr).toUpperCase()]) {
    expect(await c.call("getBalance", { address })).toEqual(want);
    expect(await c.call("getOutputs", { address })).toEqual({ address: toHex(toAddr), bech32: bech, outputs: [{ txId: id, index: 0, amount: "77" }] });
  }
  expect(await d.call("unsubscribe", { topics: [`address:${bech}`] })).toEqual({ unsubscribed: [`address:${bech}`] });
  d.close();

  // One character mistyped: refused with the reason, without the checksum that would fit the typo.
  const bad = typo(bech);
  for (const [method, params, code] of [
    ["getBalance", { address: bad }, "ERR_BAD_PARAMS"],
    ["getOutputs", { address: bad }, "ERR_BAD_PARAMS"],
    ["subscribe", { topics: [`address:${bad}`] }, "ERR_BAD_TOPIC"],
  ] as const) {
    const r = await c.raw(method, params);
    expect(r.error.code).toBe(code);
    expect(r.error.message).toContain("checksum does not match: check the address for a typo");
    expect(r.error.message).not.toContain(checksumThatFits(bad));
  }
  // Another network's prefix, and mixed case.
  const other = encodeAddress(toAddr, "tmain");
  expect((await c.raw("getBalance", { address: other })).error).toMatchObject({ code: "ERR_BAD_PARAMS", message: expect.stringContaining("expected 'tdev'") });
  expect((await c.raw("subscribe", { topics: [`address:${other}`] })).error.code).toBe("ERR_BAD_TOPIC");
  expect((await c.raw("getBalance", { address: bech.slice(0, 10) + bech.slice(10).toUpperCase() })).error.code).toBe("ERR_BAD_PARAMS");
});

test("remote proof of work", async () => {
  const bytes = await build(dev, record(randomBytes(32), 0), false);
  const r = await c.call("submitTransaction", { bytes, pow: true });
  expect(r.id).toMatch(/^[0-9a-f]{64}$/);
  const stored = await c.call("getTransaction", { id: r.id });
  expect(toHex(stored.bytes.subarray(0, bytes.length - 8))).toBe(toHex(bytes.subarray(0, bytes.length - 8)));
});

test("coded errors for bad requests; the connection stays usable", async () => {
  const cases: [string, unknown, string][] = [
    ["nope", {}, "ERR_UNKNOWN_METHOD"],
    ["getTransaction", { id: "xyz" }, "ERR_BAD_PARAMS"],
    ["getTransaction", { id: "00".repeat(32) }, "ERR_NOT_FOUND"],
    ["getMilestone", { index: 0 }, "ERR_BAD_PARAMS"],
    ["getMilestone", { index: 999999 }, "ERR_NOT_FOUND"],
    ["getStream", { streamId: "00".repeat(32), limit: API_LIMITS.maxStreamLimit + 1 }, "ERR_BAD_PARAMS"],
    ["selectParents", { count: 9 }, "ERR_BAD_PARAMS"],
    ["submitTransaction", { bytes: "notbytes" }, "ERR_BAD_PARAMS"],
    ["submitTransaction", { bytes: new Uint8Array(5) }, "ERR_TX_TRUNCATED"],
    ["subscribe", { topics: ["weather"] }, "ERR_BAD_TOPIC"],
    ["subscribe", { topics: [] }, "ERR_BAD_PARAMS"],
    ["__proto__", {}, "ERR_UNKNOWN_METHOD"],
    ["toString", {}, "ERR_UNKNOWN_METHOD"],
  ];
  for (const [method, params, code] of cases) {
    const r = await c.raw(method, params);
    expect(r.error?.code).toBe(code);
    expect(typeof r.error.message).toBe("string");
  }
  // Malformed frames: text, garbage, not a request.
  const raw = await RawClient.connect(node.url);
  const next = () => new Promise<any>((resolve) => raw.ws.once("message", (d: Buffer) => resolve(packr.unpack(d))));
  let p = next();
  raw.ws.send("hello");
  expect((await p).error.code).toBe("ERR_BAD_FRAME");
  p = next();
  raw.ws.send(Buffer.from([0xc1, 0xc1, 0xc1]));
  expect((await p).error.code).toBe("ERR_BAD_FRAME");
  // The byte MessagePack never uses, alone and as a value inside an otherwise valid request.
  p = next();
  raw.ws.send(Buffer.from([0xc1]));
  expect((await p).error).toMatchObject({ code: "ERR_BAD_FRAME" });
  p = next();
  raw.ws.send(Buffer.concat([Buffer.from([0x83, 0xa2, 0x69, 0x64, 0x07, 0xa6]), Buffer.from("method"), Buffer.from([0xa4]), Buffer.from("ping"), Buffer.from([0xa6]), Buffer.from("params"), Buffer.from([0xc1])]));
  expect((await p).error).toMatchObject({ code: "ERR_BAD_FRAME" });
  p = next();
  raw.ws.send(packr.pack([1, 2, 3]));
  expect((await p).error.code).toBe("ERR_BAD_REQUEST");
  expect(await raw.call("ping")).toBe("pong");
  raw.close();
});

test("an oversized frame closes the connection with 1009", async () => {
  const ws = new WebSocket(node.url);
  await new Promise((r) => ws.once("open", r));
  const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
  ws.send(Buffer.alloc(API_LIMITS.maxFrameBytes + 1));
  expect(await closed).toBe(1009);
});

test("unsubscribe stops pushes", async () => {
  const d = await RawClient.connect(node.url);
  await d.call("subscribe", { topics: ["milestones"] });
  await d.waitPush((p) => p.topic === "milestones");
  expect(await d.call("unsubscribe", { topics: ["milestones"] })).toEqual({ unsubscribed: ["milestones"] });
  const n = d.pushes.length;
  await new Promise((r) => setTimeout(r, 400));
  expect(d.pushes.length).toBeLessThanOrEqual(n + 1); // at most one already in flight
  d.close();
});

test("GET /health and /metrics", async () => {
  const h = await fetch(`http://127.0.0.1:${node.port}/health`);
  expect(h.status).toBe(200);
  expect(await h.json()).toMatchObject({ status: "ok" });
  const m = await (await fetch(`http://127.0.0.1:${node.port}/metrics`)).text();
  for (const name of [
    "tangle_transactions_received_total",
    "tangle_transactions_accepted_total",
    "tangle_transactions_rejected_total{code=\"ERR_TX_TRUNCATED\"}",
    "tangle_confirmation_latency_seconds_bucket",
    "tangle_tips",
    "tangle_milestone_index",
    "tangle_database_bytes",
    'tangle_database_pages{table="tx"}',
    'tangle_database_pages{table="lmdb"}',
    "tangle_connections",
    "nodejs_heap_total_bytes",
    "tangle_wasm_memory_bytes",
    "tangle_mapped_releases_total",
  ]) {
    expect(m).toContain(name);
  }
  // Memory gauges carry real numbers: a resident set of at least a few MiB, split in two parts.
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)`, "m").exec(m)?.[1]);
  expect(gauge("process_resident_memory_bytes")).toBeGreaterThan(8 * 2 ** 20);
  expect(gauge("nodejs_heap_used_bytes")).toBeGreaterThan(2 ** 20);
  if (process.platform === "linux") {
    expect(gauge("tangle_resident_anonymous_bytes")).toBeGreaterThan(2 ** 20);
    expect(gauge("tangle_resident_anonymous_bytes") + gauge("tangle_resident_file_bytes")).toBeLessThanOrEqual(gauge("process_resident_memory_bytes") * 1.5);
    // rendered after the current size, and a peak never falls below an earlier reading
    expect(gauge("process_resident_memory_peak_bytes")).toBeGreaterThanOrEqual(gauge("process_resident_memory_bytes"));
  }
  expect((await fetch(`http://127.0.0.1:${node.port}/nothing`)).status).toBe(404);
});

test("a flood from one connection is refused, then closed with 1008 after the documented number of refusals", async () => {
  const ws = new WebSocket(node.url);
  await new Promise((r) => ws.once("open", r));
  let refused = 0;
  let other = 0;
  ws.on("message", (d: Buffer) => {
    const m = packr.unpack(d);
    if (m.error?.code === "ERR_RATE_LIMITED") refused++;
    else other++;
  });
  let closeCode: number | undefined;
  const closed = new Promise<number>((r) => ws.once("close", (code) => r((closeCode = code))));
  // As fast as one client can: batches of frames, yielding to the event loop between them.
  const frame = packr.pack({ id: 1, method: "ping" });
  for (let sent = 0; sent < 200_000 && closeCode === undefined; sent += 500) {
    for (let i = 0; i < 500; i++) ws.send(frame);
    await new Promise((r) => setImmediate(r));
  }
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([closed, new Promise((r) => (timer = setTimeout(() => r("still open"), 3000)))]);
  clearTimeout(timer);
  ws.terminate();
  expect({ code, refused }).toEqual({ code: 1008, refused: API_LIMITS.maxRateViolations - 1 });
  expect(other).toBeGreaterThanOrEqual(API_LIMITS.maxRequestsPerSecond);
}, 60_000);
