/**
 * The gateway across a node killed while it publishes: a real node process (the crash is the
 * point), stopped with SIGKILL in the middle of the traffic and restarted on the same data
 * directory and port, then the gateway itself restarted with readings still in its on-disk outbox.
 * Every reading must reach the node exactly once, in order, and every stream must verify.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ApiClient, Gateway, LmdbOutbox, verifyStream } from "../../../client/node";
import { startNodeProcess, NodeProcess } from "../../node/api/_process";
import { gatewayKey, storedReadings } from "./_gateway";

const NODE_ARGS = ["--network", "dev", "--coordinator-key", "dev", "--milestone-interval-ms", "100"];
let dataDir: string;
let tmp: string;
let node: NodeProcess | undefined;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-gateway-crash-"));
  dataDir = path.join(tmp, "node");
  await start();
}, 30_000);

afterAll(async () => {
  await node?.stop("SIGTERM");
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The node always listens on the same port, so clients reconnect to it after a restart. */
let port = 0;
async function start(): Promise<NodeProcess> {
  node = await startNodeProcess([...NODE_ARGS, "--data", dataDir, ...(port ? ["--port", String(port)] : [])]);
  port = node.port;
  return node;
}

test("node stopped and restarted while publishing, then the gateway restarted: every reading exactly once, in order", async () => {
  const outboxDir = path.join(tmp, "outbox");
  const keyPair = gatewayKey();
  const client = new ApiClient(node!.url, { backoff: { initialMs: 50, maxMs: 200 }, requestTimeoutMs: 2000 });
  let gw: Gateway | undefined;
  try {
    await client.ready();
    const drops: number[] = [];
    client.on("disconnect", (d) => drops.push(d.code));
    gw = new Gateway({ client, keyPair, outbox: LmdbOutbox.open(outboxDir), maxDelayMs: 30, maxReadingsPerRecord: 8 });
    const sensors = ["temp-a", "temp-b", "parking-c"];
    const published = new Map<string, number[]>(sensors.map((s) => [gw!.streamId(s), []]));
    let n = 0;
    const publishSome = async (count: number, g: Gateway) => {
      for (let i = 0; i < count; i++, n++) {
        const s = sensors[n % sensors.length];
        await g.publish(s, n, { timestamp: 1_700_000_000_000 + n });
        published.get(g.streamId(s))!.push(n);
        if (i % 10 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    };
    await publishSome(60, gw);
    // Stop the node in the middle of the traffic; keep publishing while it is down.
    const stopping = node!.stop("SIGKILL");
    await publishSome(60, gw);
    await stopping;
    await publishSome(30, gw);
    for (let i = 0; i < 100 && drops.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(drops.length).toBe(1);
    expect(gw.stats().waitingReadings + gw.stats().unackedRecords).toBeGreaterThan(0);
    // Restart on the same data directory and port: the client reconnects, the outbox drains.
    await start();
    await publishSome(30, gw);
    // Restart the gateway itself with readings still in its outbox.
    await gw.close();
    gw = new Gateway({ client, keyPair, outbox: LmdbOutbox.open(outboxDir), maxDelayMs: 30, maxReadingsPerRecord: 8 });
    await publishSome(30, gw);
    await gw.flush(20_000);
    expect(gw.stats()).toMatchObject({ waitingReadings: 0, unackedRecords: 0, stoppedStreams: 0 });
    for (const [streamId, values] of published) {
      const readings = await storedReadings(client, streamId);
      expect(readings.map((r) => r.v)).toEqual(values);
      const report = await verifyStream(client, streamId, { issuer: keyPair.publicKey });
      expect(report.problems).toEqual([]);
    }
  } finally {
    await gw?.close();
    client.close();
    if (node!.child.exitCode !== null || node!.child.signalCode !== null) await start();
  }
}, 40_000);
