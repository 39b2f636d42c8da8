/**
 * Backpressure on replies (issue 15, defect 6), against a real node process so its resident memory
 * can be read from /proc/<pid>/status. A client that pipelines getStream requests (40 records of
 * 4 KiB, ~170 KiB an answer) and never reads, and a peer that sends `req` for the same records and
 * never reads: the node's RSS stays within RSS_BOUND of its baseline for 3 s, an honest client gets
 * its answers meanwhile, and the API connection is paused (then closed with 1008 once it stayed
 * over its bound for maxBufferedStallMs). Before the fix each of them grew the node by hundreds of
 * MiB in these 3 s.
 *
 * Peers, too: one that floods `msreq` and never reads gets no more answers once its send buffer is
 * over the bound (before, every msreq was answered: ~49,000 in 4 s), and one that does not read is
 * closed after PEER_LIMITS.slowReaderCloseMs over the bound (4009; before, it stayed connected).
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import WebSocket from "ws";
import { randomKeyPair } from "../../../client/protocol/keys";
import { toHex } from "../../../client/protocol/bytes";
import { API_LIMITS } from "../../../node/api/limits";
import { packr, RawClient, startNodeProcess, NodeProcess } from "../api/_process";
import { buildVia } from "../api/_tx";
import { PEER_LIMITS } from "../../../node/peering/protocol";
import { devHello, rawPeer } from "../peering/_peer";

/** How far the node's resident memory may rise over its baseline under one non-reading connection (docs/operations.md). */
const RSS_BOUND = 64 * 1024 * 1024;
const FLOOD_MS = 3000;
const RECORDS = 40;

let dataDir: string;
let node: NodeProcess;
let honest: RawClient;
let streamId: string;
const recordIds: string[] = [];

function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m![1]) * 1024;
}

function metrics(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path: "/metrics" }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve(body));
    }).on("error", reject);
  });
}

function parseLine(l: string): any {
  try {
    return JSON.parse(l);
  } catch {
    return {};
  }
}

const backpressure = async (event: string): Promise<number> => {
  const m = new RegExp(`^tangle_api_backpressure_total\\{event="${event}"\\} (\\d+)`, "m").exec(await metrics(node.port));
  return m ? Number(m[1]) : 0;
};

/**
 * Runs `flood` (which sends from a connection that never reads) for FLOOD_MS while the honest
 * client asks getNodeInfo every 50 ms; returns the highest RSS rise and the honest round trips.
 */
async function underFlood(flood: () => void): Promise<{ rise: number; honestMs: number[] }> {
  global.gc?.();
  const base = rssBytes(node.child.pid!);
  let peak = base;
  const honestMs: number[] = [];
  const floodTimer = setInterval(flood, 30);
  const end = Date.now() + FLOOD_MS;
  while (Date.now() < end) {
    const t0 = Date.now();
    const info = await honest.call("getNodeInfo");
    expect(info.networkId).toBeDefined();
    honestMs.push(Date.now() - t0);
    peak = Math.max(peak, rssBytes(node.child.pid!));
    await new Promise((r) => setTimeout(r, 50));
  }
  clearInterval(floodTimer);
  if (process.env.TANGLE_FIGURES) process.stderr.write(`rise ${(peak - base) / 2 ** 20} MiB, honest ms max ${Math.max(...honestMs)} p50 ${[...honestMs].sort((a, b) => a - b)[honestMs.length >> 1]}\n`);
  return { rise: peak - base, honestMs };
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-backpressure-"));
  node = await startNodeProcess(["--network", "dev", "--coordinator-key", "dev", "--data", dataDir, "--milestone-interval-ms", "500"]);
  honest = await RawClient.connect(node.url);
  const key = randomKeyPair();
  const stream = new Uint8Array(32).fill(7);
  streamId = toHex(stream);
  let prev = new Uint8Array(32);
  for (let seq = 0; seq < RECORDS; seq++) {
    const payload = { type: "data" as const, streamId: stream, sequence: seq, prevRecordId: prev, contentType: "application/octet-stream", data: new Uint8Array(4096).fill(seq) };
    const bytes = await buildVia((m, p) => honest.call(m, p), key, payload);
    const { id } = await honest.call("submitTransaction", { bytes });
    recordIds.push(id);
    prev = Buffer.from(id, "hex");
  }
  const page = await honest.call("getStream", { streamId, limit: RECORDS });
  expect(page.records.length).toBe(RECORDS);
}, 60_000);

afterAll(async () => {
  honest?.close();
  // A node that drowned in unread answers (the old code) may not stop in time: then it is killed.
  let timer: NodeJS.Timeout | undefined;
  if (node) await Promise.race([node.stop(), new Promise((r) => (timer = setTimeout(r, 5000)))]);
  clearTimeout(timer);
  node?.child.kill("SIGKILL");
  fs.rmSync(dataDir, { recursive: true, force: true });
}, 20_000);

test("an API client that pipelines getStream and never reads: RSS bounded, honest client answered, connection paused then closed with 1008", async () => {
  const bad = new WebSocket(node.url);
  await new Promise((resolve, reject) => {
    bad.once("open", resolve);
    bad.once("error", reject);
  });
  const closed = new Promise<void>((r) => bad.once("close", () => r()));
  bad.on("error", () => undefined);
  bad.pause(); // never reads a byte of the answers
  let id = 0;
  const request = packr.pack({ id: 0, method: "getStream", params: { streamId, limit: RECORDS } });
  const { rise, honestMs } = await underFlood(() => {
    // Under the request rate limit: ~1,650 requests a second, each answered with ~170 KiB.
    for (let i = 0; i < 50 && bad.readyState === WebSocket.OPEN; i++) {
      id++;
      bad.send(request);
    }
  });
  expect(id).toBeGreaterThan(1000);
  expect({ rise, bound: rise < RSS_BOUND }).toEqual({ rise, bound: true });
  expect(honestMs.length).toBeGreaterThan(10);
  expect(Math.max(...honestMs)).toBeLessThan(1000);
  expect(await backpressure("paused")).toBeGreaterThanOrEqual(1);
  // Still over its bound after maxBufferedStallMs: closed (1008; the client never reads the frame, the socket goes).
  await new Promise((r) => setTimeout(r, API_LIMITS.maxBufferedStallMs + 1500 - FLOOD_MS));
  expect(await backpressure("closed")).toBeGreaterThanOrEqual(1);
  bad.resume();
  await closed;
}, 30_000);

test("a peer that sends req for known transactions and never reads: RSS bounded, honest client answered", async () => {
  const peer = await rawPeer(node.port);
  peer.send(devHello());
  await new Promise((r) => setTimeout(r, 200));
  peer.ws.pause(); // never reads a byte of the answers
  peer.ws.on("error", () => undefined);
  let sent = 0;
  const { rise, honestMs } = await underFlood(() => {
    for (let i = 0; i < 50 && peer.ws.readyState === WebSocket.OPEN; i++) {
      peer.send({ t: "req", ids: recordIds });
      sent++;
    }
  });
  expect(sent).toBeGreaterThan(1000);
  expect({ rise, bound: rise < RSS_BOUND }).toEqual({ rise, bound: true });
  expect(honestMs.length).toBeGreaterThan(10);
  expect(Math.max(...honestMs)).toBeLessThan(1000);
  peer.ws.terminate();
}, 30_000);

test("a peer that floods msreq and never reads: answers stop at its buffer bound (RSS bounded, honest client answered)", async () => {
  // Some milestones to ask for (one every 500 ms).
  let latest = 0;
  while ((latest = (await honest.call("getNodeInfo")).confirmedMilestoneIndex) <= 10) await new Promise((r) => setTimeout(r, 200));
  const peer = await rawPeer(node.port);
  peer.send({ ...devHello(), latestMilestoneIndex: latest });
  await new Promise((r) => setTimeout(r, 200));
  peer.ws.pause(); // never reads a byte of the answers
  peer.ws.on("error", () => undefined);
  let sent = 0;
  const { rise, honestMs } = await underFlood(() => {
    for (let i = 0; i < 400 && peer.ws.readyState === WebSocket.OPEN; i++) peer.send({ t: "msreq", index: 1 + (sent++ % latest) });
  });
  // The answers the node made for this peer (getPeers `sent`) stop once its buffer is over the
  // bound: more msreq meanwhile are not even read, so none of them is answered.
  const answered = async () => {
    const peers = (await honest.call("getPeers")).peers.filter((p: any) => p.direction === "in" && p.connected && p.latestMilestoneIndex === latest);
    return Math.max(...peers.map((p: any) => p.sent));
  };
  const atEnd = await answered();
  const more = setInterval(() => {
    for (let i = 0; i < 400 && peer.ws.readyState === WebSocket.OPEN; i++) peer.send({ t: "msreq", index: 1 + (sent++ % latest) });
  }, 30);
  await new Promise((r) => setTimeout(r, 1000));
  clearInterval(more);
  await new Promise((r) => setTimeout(r, 200));
  const later = await answered();
  if (process.env.TANGLE_FIGURES) process.stderr.write(`msreq flood: ${sent} sent, ${atEnd} answered, ${later} a second later\n`);
  expect(sent).toBeGreaterThan(20_000);
  expect({ rise, bound: rise < RSS_BOUND }).toEqual({ rise, bound: true });
  expect(Math.max(...honestMs)).toBeLessThan(1000);
  expect({ answered: later, sent }).toEqual({ answered: atEnd, sent });
  peer.ws.terminate();
}, 30_000);

test("a peer that does not read is closed once its send buffer stayed over the bound for slowReaderCloseMs (gone from getPeers, the reason logged)", async () => {
  const peer = await rawPeer(node.port);
  peer.send(devHello());
  await new Promise((r) => setTimeout(r, 200));
  peer.ws.pause(); // never reads a byte of the answers
  peer.ws.on("error", () => undefined);
  const closed = new Promise<void>((r) => peer.ws.once("close", () => r()));
  const key = `in:127.0.0.1:${(peer.ws as unknown as { _socket: { localPort: number } })._socket.localPort}`;
  // Enough requests to fill the buffer, then nothing more: the peer only does not read.
  for (let i = 0; i < 200; i++) peer.send({ t: "req", ids: recordIds });
  await new Promise((r) => setTimeout(r, PEER_LIMITS.slowReaderCloseMs + 2500));
  const peers = (await honest.call("getPeers")).peers;
  expect(peers.filter((p: any) => p.url === key && p.connected)).toEqual([]);
  // Logged once with its code and reason (failures.ts).
  const line = node.logs.map(parseLine).find((j) => j.peer === key && j.msg === "peer connection failed");
  expect(line).toMatchObject({ code: "ERR_PEER_CLOSED" });
  expect(line.reason).toContain("did not read");
  peer.ws.resume();
  await closed;
}, 30_000);
