/**
 * The gateway's outbox across tangles and processes, with real LMDB in temp directories and real
 * nodes started in this process (startTestNode): a node whose data directory was wiped (same dev
 * genesis, another tangle) does not inherit the old tangle's sequence numbers; readings published
 * while no node is reachable go out when one is; a record sealed for one network waits for a node
 * of that network; one process per outbox directory (a real second process holds the lock).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ApiClient, fetchStream, Gateway, generateMnemonic, LmdbOutbox, unpackReadings, verifyStream, Wallet } from "../../../client/node";
import { decodeTransaction } from "../../../client/protocol/codec";
import { startTestNode, TestNode, TestNodeOptions } from "../../support/node";
import { OTHER_NETWORK_ID, otherNetworkArgs } from "../../node/peering/_networks";

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

/** A node on `dataDir` (dev network and coordinator, 100 ms milestones unless `options` say otherwise), closed after the test. */
async function node(dataDir: string, port = 0, options: TestNodeOptions = {}): Promise<TestNode> {
  const n = await startTestNode({ milestoneIntervalMs: 100, data: dataDir, ...(port ? { port } : {}), ...options });
  cleanup.push(() => n.close());
  return n;
}

const keyPair = () => Wallet.fromMnemonic(generateMnemonic()).key(0).keyPair;

/**
 * A dev node with a client that reconnects quickly, a gateway key and an outbox directory;
 * `wipe()` stops the node, deletes its data directory and starts a fresh node on the same port.
 */
async function wipeableNode(name: string) {
  const dataDir = path.join(tmp, `${name}-node`);
  let n = await node(dataDir);
  const port = n.port;
  const client = new ApiClient(n.url, { backoff: { initialMs: 50, maxMs: 200 }, requestTimeoutMs: 3000 });
  cleanup.push(() => client.close());
  await client.ready();
  return {
    client,
    kp: keyPair(),
    outboxDir: path.join(tmp, `${name}-outbox`),
    async wipe(): Promise<void> {
      await n.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
      n = await node(dataDir, port);
      await client.ready(10_000);
    },
  };
}

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
  const { client, kp, outboxDir, wipe } = await wipeableNode("wiped");
  const first = new Gateway({ client, keyPair: kp, outbox: LmdbOutbox.open(outboxDir), maxDelayMs: 10 });
  for (const v of [1, 2, 3]) {
    await first.publish("river-level", v);
    await first.flush(10_000);
  }
  await first.close();
  // rm -rf data: a fresh dev node, same genesis, same port.
  await wipe();
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

test("a record sealed and stored on the old tangle, never acknowledged, is unsealed after a wipe: its readings go out again from sequence 0", async () => {
  const { client, kp, outboxDir, wipe } = await wipeableNode("unseal");
  const first = new Gateway({ client, keyPair: kp, outbox: LmdbOutbox.open(outboxDir), maxDelayMs: 10 });
  await first.publish("bin-12", "empty");
  await first.flush(10_000);
  await first.close();
  // The second run dies between the node's acknowledgement of record 1 and the outbox write.
  const disk = LmdbOutbox.open(outboxDir);
  const crashing = Object.create(disk) as LmdbOutbox;
  crashing.ack = async () => {
    throw new Error("power cut before the outbox write");
  };
  crashing.close = async () => undefined;
  const second = new Gateway({ client, keyPair: kp, outbox: crashing, maxDelayMs: 10 });
  const failed = new Promise((r) => second.once("error", r));
  await second.publishMany("bin-12", [
    { t: Date.now(), v: "half" },
    { t: Date.now(), v: "full" },
  ]);
  await failed;
  await second.close();
  await disk.close();
  await wipe();
  const third = new Gateway({ client, keyPair: kp, outbox: LmdbOutbox.open(outboxDir), maxDelayMs: 10 });
  cleanup.push(() => third.close());
  const rebases: { unsealed: number; from: { nextSequence: number }; to: { nextSequence: number } }[] = [];
  third.on("rebase", (r) => rebases.push(r));
  await third.publish("bin-12", "emptied");
  await third.flush(10_000);
  const streamId = third.streamId("bin-12");
  expect(rebases).toEqual([expect.objectContaining({ unsealed: 2, from: expect.objectContaining({ nextSequence: 1 }), to: expect.objectContaining({ nextSequence: 0 }) })]);
  const stored = await storedValues(client, streamId);
  expect(stored.values).toEqual(["half", "full", "emptied"]);
  expect(stored.sequences[0]).toBe(0);
  expect((await verifyStream(client, streamId, { issuer: kp.publicKey })).problems).toEqual([]);
}, 60_000);

test("readings published while no node is reachable wait in the outbox and go out when a node is up", async () => {
  const dataDir = path.join(tmp, "offline-node");
  const outboxDir = path.join(tmp, "offline-outbox");
  const kp = keyPair();
  // Find a free port by starting a node once, then stop it: nobody listens there now.
  const probe = await node(dataDir);
  const port = probe.port;
  await probe.close();
  const client = new ApiClient(`ws://127.0.0.1:${port}`, { backoff: { initialMs: 50, maxMs: 200 }, requestTimeoutMs: 3000 });
  cleanup.push(() => client.close());
  const gw = new Gateway({ client, keyPair: kp, outbox: LmdbOutbox.open(outboxDir), maxDelayMs: 10 });
  cleanup.push(() => gw.close());
  for (const v of [10, 11, 12]) await gw.publish("offline-meter", v);
  await new Promise((r) => setTimeout(r, 200));
  expect(gw.stats()).toMatchObject({ waitingReadings: 3, unackedRecords: 0, ackedReadings: 0, stoppedStreams: 0 });
  await node(dataDir, port);
  await gw.flush(15_000);
  expect(gw.stats()).toMatchObject({ waitingReadings: 0, unackedRecords: 0, ackedReadings: 3 });
  const streamId = gw.streamId("offline-meter");
  expect((await storedValues(client, streamId)).values).toEqual([10, 11, 12]);
}, 60_000);

test("a record sealed for one network waits for a node of that network: ERR_GATEWAY_WRONG_NETWORK, nothing sent, readings kept", async () => {
  const outboxDir = path.join(tmp, "network-outbox");
  const kp = keyPair();
  const dev = await node(path.join(tmp, "network-dev"));
  const devClient = await ApiClient.connect(dev.url);
  cleanup.push(() => devClient.close());
  // Leave a sealed, unacknowledged record of the dev network in the outbox.
  const disk = LmdbOutbox.open(outboxDir);
  const crashing = Object.create(disk) as LmdbOutbox;
  crashing.ack = async () => {
    throw new Error("power cut before the outbox write");
  };
  crashing.close = async () => undefined;
  const first = new Gateway({ client: devClient, keyPair: kp, outbox: crashing, maxDelayMs: 10 });
  const failed = new Promise((r) => first.once("error", r));
  await first.publish("tide-1", 1.5);
  await failed;
  await first.close();
  await disk.close();
  const [, network, , coordinatorKey] = otherNetworkArgs(path.join(tmp, "network-files")); // --network FILE --coordinator-key FILE
  const other = await node(path.join(tmp, "network-other"), 0, { network, coordinatorKey });
  const otherClient = await ApiClient.connect(other.url);
  cleanup.push(() => otherClient.close());
  expect((await otherClient.getNodeInfo()).networkId).toBe(OTHER_NETWORK_ID);
  const gw = new Gateway({ client: otherClient, keyPair: kp, outbox: LmdbOutbox.open(outboxDir), maxDelayMs: 10 });
  cleanup.push(() => gw.close());
  const streamId = gw.streamId("tide-1");
  await expect(gw.flush(10_000)).rejects.toMatchObject({ code: "ERR_GATEWAY_WRONG_NETWORK", streamId });
  expect(gw.stats()).toMatchObject({ unackedRecords: 1, ackedRecords: 0 });
  expect((await otherClient.getStream(streamId)).records).toEqual([]);
}, 60_000);

test("one process per outbox directory: a second opener gets ERR_OUTBOX_IN_USE naming the holder; a lock left by a killed process is taken over", async () => {
  const dir = path.join(tmp, "locked-outbox");
  const a = LmdbOutbox.open(dir);
  expect(() => LmdbOutbox.open(dir)).toThrow(expect.objectContaining({ code: "ERR_OUTBOX_IN_USE", message: expect.stringContaining(`process ${process.pid} (this one)`) }));
  await a.close();
  LmdbOutbox.open(dir).close();
  // Another process (the compiled library) holds it.
  const dist = path.join(__dirname, "..", "..", "..", "dist", "client", "node.js");
  const child = spawn(process.execPath, ["-e", `require(${JSON.stringify(dist)}).LmdbOutbox.open(${JSON.stringify(dir)}); console.log("open"); setInterval(() => {}, 1000);`], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((r) => child.on("exit", r));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (d) => String(d).includes("open") && resolve());
      child.on("exit", (code) => reject(new Error(`holder exited with ${code}`)));
    });
    expect(() => LmdbOutbox.open(dir)).toThrow(expect.objectContaining({ code: "ERR_OUTBOX_IN_USE", message: expect.stringContaining(`process ${child.pid}`) }));
  } finally {
    child.kill("SIGKILL");
    await exited;
  }
  const b = LmdbOutbox.open(dir);
  await b.close();
});

test("a node of the same tangle that lacks the head record (milestone 1 matches) is trusted: the stream goes on, no sequence issued twice", async () => {
  const a = await node(path.join(tmp, "same-a"));
  const bDir = path.join(tmp, "same-b");
  let b = await node(bDir, 0, { coordinator: false, peer: [a.url] });
  const aClient = await ApiClient.connect(a.url);
  cleanup.push(() => aClient.close());
  // B has A's milestones 1 and 2, then goes offline.
  for (let bClient = await ApiClient.connect(b.url); ; await new Promise((r) => setTimeout(r, 100))) {
    if ((await bClient.getNodeInfo()).confirmedMilestoneIndex >= 2) {
      expect((await bClient.getMilestone(1)).id).toBe((await aClient.getMilestone(1)).id);
      bClient.close();
      break;
    }
  }
  await b.close();
  const outboxDir = path.join(tmp, "same-outbox");
  const kp = keyPair();
  const first = new Gateway({ client: aClient, keyPair: kp, outbox: LmdbOutbox.open(outboxDir), maxDelayMs: 10 });
  await first.publish("well-3", "a");
  await first.flush(10_000);
  await first.publish("well-3", "b");
  await first.flush(10_000);
  await first.close();
  // B comes back without peers: synced (nobody is ahead), same milestone 1, but without the stream.
  b = await node(bDir, 0, { coordinator: false });
  const bClient = await ApiClient.connect(b.url);
  cleanup.push(() => bClient.close());
  const streamId = first.streamId("well-3");
  expect((await bClient.getStream(streamId)).records).toEqual([]);
  const second = new Gateway({ client: bClient, keyPair: kp, outbox: LmdbOutbox.open(outboxDir), maxDelayMs: 10 });
  cleanup.push(() => second.close());
  const rebases: unknown[] = [];
  const acks: number[] = [];
  second.on("rebase", (r) => rebases.push(r));
  second.on("ack", (x) => acks.push(x.sequence));
  await second.publish("well-3", "c");
  await second.flush(10_000);
  expect(rebases).toEqual([]);
  expect(acks).toEqual([2]);
  expect((await bClient.getStream(streamId)).records.map((r) => r.sequence)).toEqual([2]);
}, 60_000);
