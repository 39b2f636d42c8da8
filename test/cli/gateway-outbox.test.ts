/**
 * `tangle gateway publish` with the node down (queued, exit 0), `tangle gateway flush` (sends what
 * is queued and says how much went where), a second process on a busy outbox, and `tangle peers`,
 * as a user runs them: node bin/tangle.js (the compiled CLI) against real node processes.
 */
import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { ApiClient, fetchStream, resolveStreamId, unpackReadings, Wallet } from "../../client/node";
import { decodeTransaction } from "../../client/protocol/codec";
import { startNodeProcess, NodeProcess } from "../node/api/_process";

const BIN = path.join(__dirname, "..", "..", "bin", "tangle.js");
let tmp: string;
const stops: (() => unknown)[] = [];

function tangle(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 60_000, env: { ...process.env, CI: "1", TANGLE_MNEMONIC: "" } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-cli-outbox-"));
});

afterAll(async () => {
  for (const s of stops.splice(0).reverse()) await s();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  const port = await new Promise<number>((r) => s.listen(0, "127.0.0.1", () => r((s.address() as net.AddressInfo).port)));
  await new Promise((r) => s.close(r));
  return port;
}

async function node(name: string, args: string[]): Promise<NodeProcess> {
  const n = await startNodeProcess(["--data", path.join(tmp, name), "--milestone-interval-ms", "100", ...args]);
  stops.push(() => (n.child.exitCode === null && n.child.signalCode === null ? n.stop("SIGTERM") : undefined));
  return n;
}

test("gateway publish with the node down queues the reading (exit 0); gateway flush sends it and says how many readings and records went to which stream", async () => {
  const port = await freePort();
  const url = `ws://127.0.0.1:${port}`;
  const outbox = path.join(tmp, "outbox");
  const common = ["--dev", "--outbox", outbox, "--node", url];
  const first = await tangle(["gateway", "publish", "--stream", "kerb-1", "--value", '{"free": true}', ...common]);
  expect(first.stderr).toBe("");
  expect(first).toMatchObject({ code: 0 });
  expect(first.stdout).toContain("queued, will be sent when the node is reachable");
  const second = await tangle(["gateway", "publish", "--stream", "kerb-2", "--value", "17", ...common, "--json"]);
  expect(second.code).toBe(0);
  const streamId = (name: string) => resolveStreamId(Wallet.dev().key(0).keyPair.publicKey, name);
  expect(JSON.parse(second.stdout)).toEqual({ streamId: streamId("kerb-2"), queued: true, waiting: 2 });
  await tangle(["gateway", "publish", "--stream", "kerb-2", "--value", "18", ...common]);

  // Still down: flush says so and keeps everything (exit 1).
  const down = await tangle(["gateway", "flush", ...common]);
  expect(down.code).toBe(1);
  expect(down.stderr).toMatch(/cannot reach a node/);

  await node("node", ["--network", "dev", "--coordinator-key", "dev", "--port", String(port)]);
  const flushed = await tangle(["gateway", "flush", ...common, "--json"]);
  expect(flushed.stderr).toBe("");
  expect(flushed.code).toBe(0);
  const report = JSON.parse(flushed.stdout);
  expect(report).toMatchObject({ readings: 3, records: 2 });
  expect(report.streams.sort((a: { streamId: string }, b: { streamId: string }) => a.streamId.localeCompare(b.streamId))).toEqual(
    [
      { streamId: streamId("kerb-1"), records: 1, readings: 1, fromSequence: 0, toSequence: 0 },
      { streamId: streamId("kerb-2"), records: 1, readings: 2, fromSequence: 0, toSequence: 0 },
    ].sort((a, b) => a.streamId.localeCompare(b.streamId)),
  );
  const client = await ApiClient.connect(url);
  try {
    const values = async (id: string) =>
      (await fetchStream(client, id)).flatMap((r) => {
        const d = decodeTransaction(r.bytes);
        return d.ok && d.value.tx.payload.type === "data" ? unpackReadings(d.value.tx.payload.data).map((x) => x.v) : [];
      });
    expect(await values(streamId("kerb-1"))).toEqual([{ free: true }]);
    expect(await values(streamId("kerb-2"))).toEqual([17, 18]);
  } finally {
    client.close();
  }
  // Nothing left: said plainly, exit 0.
  const empty = await tangle(["gateway", "flush", ...common]);
  expect(empty.code).toBe(0);
  expect(empty.stdout).toContain("nothing waiting");
  const text = await tangle(["gateway", "publish", "--stream", "kerb-1", "--value", "false", ...common]);
  expect(text.code).toBe(0);
}, 120_000);

test("a second process on a busy outbox exits 1 with ERR_OUTBOX_IN_USE", async () => {
  const outbox = path.join(tmp, "busy-outbox");
  const dist = path.join(__dirname, "..", "..", "dist", "client", "node.js");
  const holder = spawn(process.execPath, ["-e", `require(${JSON.stringify(dist)}).LmdbOutbox.open(${JSON.stringify(outbox)}); console.log("open"); setInterval(() => {}, 1000);`], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((r) => holder.on("exit", r));
  try {
    await new Promise<void>((resolve) => holder.stdout!.on("data", (d) => String(d).includes("open") && resolve()));
    const r = await tangle(["gateway", "publish", "--stream", "s", "--value", "1", "--dev", "--outbox", outbox, "--node", `ws://127.0.0.1:${await freePort()}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ERR_OUTBOX_IN_USE");
    expect(r.stderr).toContain(`process ${holder.pid}`);
  } finally {
    holder.kill("SIGKILL");
    await exited;
  }
}, 60_000);

test("tangle peers: the table and --json, with a configured peer's last error", async () => {
  const port = await freePort();
  const n = await node("peers-node", ["--network", "dev", "--peer", `ws://127.0.0.1:${port}`]);
  const peerUrl = `ws://127.0.0.1:${port}`;
  let json: { peers: { url: string; connected: boolean; lastError: { code: string } | null }[] } = { peers: [] };
  for (let i = 0; i < 50; i++) {
    const r = await tangle(["peers", "--node", n.url, "--json"]);
    expect(r.code).toBe(0);
    json = JSON.parse(r.stdout);
    if (json.peers.some((p) => p.lastError)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(json.peers).toEqual([expect.objectContaining({ url: peerUrl, connected: false, lastError: expect.objectContaining({ code: "ERR_PEER_REFUSED" }) })]);
  const table = await tangle(["peers", "--node", n.url]);
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(/peer\s+dir\s+connected/);
  expect(table.stdout).toContain(peerUrl);
  expect(table.stdout).toContain("ERR_PEER_REFUSED");
  const usage = await tangle(["peers", "--bogus"]);
  expect(usage.code).toBe(2);
}, 60_000);
