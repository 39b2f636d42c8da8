/**
 * The gateway's outbox across tangles and processes, with real LMDB in temp directories and real
 * node processes: a node whose data directory was wiped (same dev genesis, another tangle) does not
 * inherit the old tangle's sequence numbers; readings published while no node is reachable go out
 * when one is; a record sealed for one network waits for a node of that network; one process per
 * outbox directory.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ApiClient, fetchStream, Gateway, generateMnemonic, LmdbOutbox, unpackReadings, verifyStream, Wallet } from "../../../client/node";
import { decodeTransaction } from "../../../client/protocol/codec";
import { startNode, NodeProcess } from "../../node/api/_process";

const NODE_ARGS = ["--network", "dev", "--coordinator-key", "dev", "--milestone-interval-ms", "100"];
let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-outbox-"));
});

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function node(dataDir: string, port = 0): Promise<NodeProcess> {
  const n = await startNode([...NODE_ARGS, "--data", dataDir, ...(port ? ["--port", String(port)] : [])]);
  cleanup.push(() => (n.child.exitCode === null && n.child.signalCode === null ? n.stop("SIGTERM") : undefined));
  return n;
}

const keyPair = () => Wallet.fromMnemonic(generateMnemonic()).key(0).keyPair;

async function storedValues(client: ApiClient, streamId: string): Promise<{ sequences: number[]; values: unknown[] }> {
  const records = await fetchStream(client, streamId);
  const values = records.flatMap((r) => {
    const d = decodeTransaction(r.bytes);
    if (!d.ok || d.value.tx.payload.type !== "data") throw new Error("not a data record");
    return unpackReadings(d.value.tx.payload.data).map((x) => x.v);
  });
  return { sequences: records.map((r) => r.sequence), values };
}

test("a node whose data directory was wiped is another tangle: the stream starts again at sequence 0, without a gap", async () => {
  const dataDir = path.join(tmp, "wiped-node");
  const outboxDir = path.join(tmp, "wiped-outbox");
  const kp = keyPair();
  let n = await node(dataDir);
  const port = n.port;
  const client = new ApiClient(n.url, { backoff: { initialMs: 50, maxMs: 200 }, requestTimeoutMs: 3000 });
  cleanup.push(() => client.close());
  await client.ready();
  const first = new Gateway({ client, keyPair: kp, outbox: LmdbOutbox.open(outboxDir), maxDelayMs: 10 });
  for (const v of [1, 2, 3]) {
    await first.publish("river-level", v);
    await first.flush(10_000);
  }
  await first.close();
  // rm -rf data: a fresh dev node, same genesis, same port.
  await n.stop("SIGTERM");
  fs.rmSync(dataDir, { recursive: true, force: true });
  n = await node(dataDir, port);
  await client.ready(10_000);
  const second = new Gateway({ client, keyPair: kp, outbox: LmdbOutbox.open(outboxDir), maxDelayMs: 10 });
  cleanup.push(() => second.close());
  const acks: number[] = [];
  second.on("ack", (a) => acks.push(a.sequence));
  await second.publish("river-level", 4);
  await second.flush(10_000);
  await second.publish("river-level", 5);
  await second.flush(10_000);
  const streamId = second.streamId("river-level");
  expect(acks).toEqual([0, 1]);
  expect(await storedValues(client, streamId)).toEqual({ sequences: [0, 1], values: [4, 5] });
  expect((await verifyStream(client, streamId, { issuer: kp.publicKey })).problems).toEqual([]);
}, 60_000);
