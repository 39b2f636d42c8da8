/**
 * Peering failures with their reasons, between real node processes on 127.0.0.1: a port nobody
 * listens on (refused), a name that never resolves (unreachable), a server that accepts TCP but
 * never answers the handshake and a peer that connects but never says hello (timeouts), a node of another network (wrong network), and a node
 * that banned this host (banned). Each is checked in the node's log and in getPeers, where a
 * configured peer keeps its last error while it is not connected.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import WebSocket from "ws";
import { devHello, rawPeer } from "./_peer";
import { RawClient, startNodeProcess, NodeProcess } from "../api/_process";
import { OTHER_NETWORK_ID, otherNetworkArgs } from "./_networks";

let tmp: string;
const stops: (() => unknown)[] = [];

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-peering-"));
});

afterAll(async () => {
  for (const s of stops.splice(0).reverse()) await s();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function node(name: string, args: string[]): Promise<{ proc: NodeProcess; client: RawClient }> {
  const proc = await startNodeProcess(["--data", path.join(tmp, name), "--milestone-interval-ms", "200", ...args]);
  const client = await RawClient.connect(proc.url);
  stops.push(() => proc.stop("SIGTERM"), () => client.close());
  return { proc, client };
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)));
}

/** A port nobody listens on: bound once to learn a free one, then closed. */
async function freePort(): Promise<number> {
  const s = net.createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

interface PeerRow {
  url: string;
  direction: string;
  connected: boolean;
  lastError: { code: string; message: string; at: number } | null;
}

async function waitForPeer(client: RawClient, match: (p: PeerRow) => boolean, timeoutMs = 15_000): Promise<PeerRow> {
  const t0 = Date.now();
  for (;;) {
    const { peers } = (await client.call("getPeers")) as { peers: PeerRow[] };
    const p = peers.find(match);
    if (p) return p;
    if (Date.now() - t0 > timeoutMs) throw new Error(`no such peer in ${JSON.stringify(peers)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The node's JSON log lines about failed peer connections. */
function failureLogs(proc: NodeProcess): { level: number; peer: string; direction: string; code: string; reason: string; msg: string }[] {
  return proc.logs
    .map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return undefined;
      }
    })
    .filter((j) => j && (j.msg === "peer connection failed" || j.msg === "peer disconnected"));
}

const WARN = 40;

/** Waits for a log line like `expected` (the line may reach stdout after the getPeers answer). */
async function expectLogged(proc: NodeProcess, expected: Record<string, unknown>): Promise<void> {
  const matcher = expect.objectContaining(expected);
  for (let i = 0; i < 50 && !failureLogs(proc).some((l) => matcher.asymmetricMatch(l)); i++) await new Promise((r) => setTimeout(r, 100));
  expect(failureLogs(proc)).toContainEqual(matcher);
}

test("refused, unreachable, handshake timeout and wrong network: logged with the reason, and each configured peer's last error in getPeers while it is not connected", async () => {
  const refusedPort = await freePort();
  const silentSockets: net.Socket[] = [];
  const silent = net.createServer((s) => silentSockets.push(s)); // accepts TCP, never answers
  const silentPort = await listen(silent);
  stops.push(() => {
    for (const s of silentSockets) s.destroy();
    return new Promise((r) => silent.close(r));
  });
  const other = await node("other", otherNetworkArgs(path.join(tmp, "other-files")));
  const urls = {
    refused: `ws://127.0.0.1:${refusedPort}`,
    unreachable: "ws://peer.invalid:14265",
    timeout: `ws://127.0.0.1:${silentPort}`,
    wrongNetwork: `ws://127.0.0.1:${other.proc.port}`,
  };
  const dev = await node("dev", ["--network", "dev", "--coordinator-key", "dev", ...Object.values(urls).flatMap((u) => ["--peer", u])]);
  // And a peer that connects here and never says hello.
  const mute = new WebSocket(`ws://127.0.0.1:${dev.proc.port}/peer`);
  const muteClosed = new Promise<number>((r) => mute.once("close", (code: number) => r(code)));
  const expected: [string, string, RegExp][] = [
    [urls.refused, "ERR_PEER_REFUSED", /refused/],
    [urls.unreachable, "ERR_PEER_UNREACHABLE", /unreachable/],
    [urls.timeout, "ERR_PEER_HANDSHAKE_TIMEOUT", /handshake/],
    [urls.wrongNetwork, "ERR_PEER_WRONG_NETWORK", /another network/],
  ];
  for (const [url, code, message] of expected) {
    const row = await waitForPeer(dev.client, (p) => p.url === url && p.lastError?.code === code);
    expect(row).toMatchObject({ direction: "out", connected: false, lastError: { code, message: expect.stringMatching(message), at: expect.any(Number) } });
    await expectLogged(dev.proc, { level: WARN, peer: url, direction: "out", code, reason: row.lastError!.message });
  }
  expect(await muteClosed).toBe(4007);
  await expectLogged(dev.proc, { level: WARN, direction: "in", code: "ERR_PEER_HANDSHAKE_TIMEOUT", reason: expect.stringMatching(/no hello within 5000 ms/) });
  // The wrong network's own words, and the other side logs it too, as a failed incoming peer.
  const wrong = await waitForPeer(dev.client, (p) => p.url === urls.wrongNetwork);
  expect(wrong.lastError!.message).toContain(String(OTHER_NETWORK_ID));
  const seen = await waitForPeer(other.client, (p) => p.direction === "in" && p.lastError?.code === "ERR_PEER_WRONG_NETWORK");
  expect(seen).toMatchObject({ url: "in:127.0.0.1", connected: false });
  await expectLogged(other.proc, { level: WARN, direction: "in", code: "ERR_PEER_WRONG_NETWORK" });
}, 60_000);

test("banned: a peer that sent invalid data is banned (reported on the banning node), and a node dialing from the banned host is refused with the reason", async () => {
  const banning = await node("banning", ["--network", "dev", "--coordinator-key", "dev"]);
  const peer = await rawPeer(banning.proc.port);
  peer.send(devHello());
  peer.send({ t: "tx", bytes: new Uint8Array(200).fill(7) });
  expect(await peer.closed).toBe(4003);
  const inRow = await waitForPeer(banning.client, (p) => p.url === "in:127.0.0.1" && p.lastError !== null);
  expect(inRow.lastError).toMatchObject({ code: "ERR_PEER_BANNED", message: expect.stringMatching(/banned for 60 s: invalid transaction/) });
  await expectLogged(banning.proc, { level: WARN, direction: "in", code: "ERR_PEER_BANNED" });

  // Another node on the same host dials the banning node: refused, and it says why.
  const url = `ws://127.0.0.1:${banning.proc.port}`;
  const dialer = await node("dialer", ["--network", "dev", "--peer", url]);
  const row = await waitForPeer(dialer.client, (p) => p.url === url && p.lastError !== null);
  expect(row).toMatchObject({ connected: false, lastError: { code: "ERR_PEER_BANNED", message: expect.stringMatching(/the peer banned this node: banned for another \d+ s/) } });
  await expectLogged(dialer.proc, { level: WARN, peer: url, code: "ERR_PEER_BANNED" });
}, 60_000);

test("a configured peer that is connected reports lastError null; after it stops, the reason it went away", async () => {
  const a = await node("a", ["--network", "dev", "--coordinator-key", "dev"]);
  const url = `ws://127.0.0.1:${a.proc.port}`;
  const b = await node("b", ["--network", "dev", "--peer", url]);
  expect(await waitForPeer(b.client, (p) => p.url === url && p.connected)).toMatchObject({ lastError: null });
  await a.proc.stop("SIGTERM");
  const row = await waitForPeer(b.client, (p) => p.url === url && p.lastError !== null);
  expect(row.connected).toBe(false);
  expect(["ERR_PEER_CLOSED", "ERR_PEER_REFUSED"]).toContain(row.lastError!.code);
  await expectLogged(b.proc, { peer: url, msg: "peer disconnected", code: "ERR_PEER_CLOSED", reason: expect.stringMatching(/shutting down/) });
}, 60_000);
