/**
 * Chaos: many connections that never read (issue 15). A real coordinator process holds a stream of
 * 4 KiB readings; API clients pipeline `getStream` (answers of ~170 KiB), subscribe to every
 * topic, and never read a byte; peers (each from its own loopback address) send `req` for the same
 * records and never read. Meanwhile an honest client is answered at every sample, the node's
 * resident memory stays within a bound that grows only with the documented per-connection buffers
 * (docs/operations.md, Slow readers), and the API connections are closed once they have stayed
 * over their bound for maxBufferedStallMs (counted on /metrics).
 */
import WebSocket from "ws";
import * as fs from "node:fs";
import { toHex } from "../../client/protocol/bytes";
import { randomKeyPair } from "../../client/protocol/keys";
import { API_LIMITS } from "../../node/api/limits";
import { PEER_LIMITS, PEER_PATH } from "../../node/peering/protocol";
import { devHello } from "../node/peering/_peer";
import { NodeProcess, packr, RawClient, startNodeProcess } from "../node/api/_process";
import { buildVia } from "../node/api/_tx";
import { packFrame } from "../../client/protocol/frame";
import { report, rssBytes, scale, sleep, tempDir } from "./_chaos";

const API_READERS = scale(4, 32);
const PEER_READERS = scale(2, 8);
const FLOOD_MS = scale(4000, 15_000);
const RECORDS = 40;
/** Base allowance plus, per connection, its documented buffer bound and as much again for the kernel's socket buffers and bookkeeping. */
const RSS_BOUND = 64 * 2 ** 20 + API_READERS * 2 * API_LIMITS.maxBufferedBytesPerConnection + PEER_READERS * 2 * PEER_LIMITS.maxBufferedBytes;
jest.setTimeout(60_000 + FLOOD_MS + API_LIMITS.maxBufferedStallMs);

let dir: string;
let node: NodeProcess;
let honest: RawClient;
const sockets: WebSocket[] = [];
const ids: string[] = [];
let streamId: string;

beforeAll(async () => {
  dir = tempDir("slow");
  node = await startNodeProcess(["--network", "dev", "--coordinator-key", "dev", "--data", dir, "--milestone-interval-ms", "500"]);
  honest = await RawClient.connect(node.url);
  const key = randomKeyPair();
  const stream = new Uint8Array(32).fill(9);
  streamId = toHex(stream);
  let prev = new Uint8Array(32);
  for (let seq = 0; seq < RECORDS; seq++) {
    const payload = { type: "data" as const, streamId: stream, sequence: seq, prevRecordId: prev, contentType: "application/octet-stream", data: new Uint8Array(4096).fill(seq) };
    const { id } = await honest.call("submitTransaction", { bytes: await buildVia((m, p) => honest.call(m, p), key, payload) });
    ids.push(id);
    prev = Buffer.from(id, "hex");
  }
});

afterAll(async () => {
  sockets.forEach((s) => s.terminate());
  honest?.close();
  await node?.stop("SIGKILL");
  fs.rmSync(dir, { recursive: true, force: true });
});

async function backpressureClosed(): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${node.port}/metrics`);
  const m = /^tangle_api_backpressure_total\{event="closed"\} (\d+)/m.exec(await r.text());
  return m ? Number(m[1]) : 0;
}

async function open(url: string, localAddress?: string): Promise<WebSocket> {
  const ws = new WebSocket(url, localAddress ? { localAddress } : {});
  sockets.push(ws);
  ws.on("error", () => undefined);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  return ws;
}

test(`${API_READERS} API clients and ${PEER_READERS} peers that never read, for ${FLOOD_MS} ms: RSS bounded, the honest client answered, the API readers closed`, async () => {
  const api: WebSocket[] = [];
  const closedApi: Promise<number>[] = [];
  for (let i = 0; i < API_READERS; i++) {
    const ws = await open(node.url);
    closedApi.push(new Promise((r) => ws.once("close", (code: number) => r(code))));
    ws.send(packr.pack({ id: 0, method: "subscribe", params: { topics: ["milestones", "transactions", `stream:${streamId}`] } }));
    ws.pause();
    api.push(ws);
  }
  const peers: WebSocket[] = [];
  for (let i = 0; i < PEER_READERS; i++) {
    const ws = await open(`ws://127.0.0.1:${node.port}${PEER_PATH}`, `127.0.1.${i + 2}`);
    ws.send(packFrame(devHello()));
    ws.pause();
    peers.push(ws);
  }
  await sleep(200);
  global.gc?.();
  const base = rssBytes(node.child.pid!);
  let peak = base;
  const honestMs: number[] = [];
  const request = packr.pack({ id: 0, method: "getStream", params: { streamId, limit: RECORDS } });
  const flood = setInterval(() => {
    for (const ws of api) for (let i = 0; i < 20 && ws.readyState === WebSocket.OPEN; i++) ws.send(request);
    for (const ws of peers) for (let i = 0; i < 20 && ws.readyState === WebSocket.OPEN; i++) ws.send(packFrame({ t: "req", ids }));
  }, 30);
  const end = Date.now() + FLOOD_MS;
  try {
    while (Date.now() < end) {
      const t0 = Date.now();
      expect((await honest.call("getNodeInfo")).networkId).toBeDefined();
      honestMs.push(Date.now() - t0);
      peak = Math.max(peak, rssBytes(node.child.pid!));
      await sleep(50);
    }
  } finally {
    clearInterval(flood);
  }
  // Still over their bound after maxBufferedStallMs: the node closes the API readers (counted on
  // /metrics; the readers see the close once they read again).
  await sleep(Math.max(0, API_LIMITS.maxBufferedStallMs + 1500 - FLOOD_MS));
  const closedCount = await backpressureClosed();
  api.forEach((ws) => ws.resume());
  const closed = await Promise.race([Promise.all(closedApi).then(() => "closed"), sleep(5000).then(() => "still open")]);
  const sorted = [...honestMs].sort((a, b) => a - b);
  report("slow-readers", {
    apiReaders: API_READERS,
    peerReaders: PEER_READERS,
    floodMs: FLOOD_MS,
    rssBaseMiB: base / 2 ** 20,
    rssRiseMiB: (peak - base) / 2 ** 20,
    rssBoundMiB: RSS_BOUND / 2 ** 20,
    honestP50Ms: sorted[sorted.length >> 1],
    honestMaxMs: sorted[sorted.length - 1],
  });
  expect({ rise: peak - base, within: peak - base < RSS_BOUND }).toEqual({ rise: peak - base, within: true });
  expect(honestMs.length).toBeGreaterThan(FLOOD_MS / 200);
  expect(sorted[sorted.length - 1]).toBeLessThan(1000);
  expect({ closedCount, closed }).toEqual({ closedCount: API_READERS, closed: "closed" });
  expect(node.child.exitCode).toBeNull();
});
