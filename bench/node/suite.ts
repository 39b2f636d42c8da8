/**
 * Node load test: K simulated gateways (worker threads, each with its own WebSocket connection and
 * key) send signed, stamped transactions — data records with every tenth a transfer — to a real
 * node process (and to a 3-node network, gateways spread over its nodes) at offered rates (attached to fresh tips as they are sent, so they confirm) and as
 * fast as accepted (attached and stamped before the timed part, so the generator is not the
 * bottleneck; those attach to tips of preparation time and mostly stay unconfirmed). Measured: accepted transactions per
 * second, acknowledgement latency (p50, p99), confirmation latency (p50, p99; from the `confirmed`
 * topic), rejections by code, and the node's RSS and CPU (from /proc). Checked: every acknowledged
 * id of the as-fast-as-accepted run is stored on the node.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { Worker } from "node:worker_threads";
import { attach, signTransaction, stampSync } from "../../client/protocol/build";
import { fromHex, toHex } from "../../client/protocol/bytes";
import { transactionId } from "../../client/protocol/codec";
import { addressOf, keyPairFromSeed } from "../../client/protocol/keys";
import { devGenesis, devWalletSeed } from "../../node/networks/dev";
import { requiredDifficulty } from "../../node/validation/pipeline";
import { BenchResult, median, percentile, SuiteOptions } from "../lib/report";
import { BenchNode, startBenchNode } from "../lib/processes";
import type { SensorState } from "./sensors";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";

const GATEWAYS = 4;
const MILESTONE_MS = 250;

interface Ack {
  id: string;
  sentMs: number;
  ackMs: number;
}

function procStats(pid: number): { rssBytes: number; cpuSeconds: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  const ticks = Number(stat[11]) + Number(stat[12]); // utime + stime (fields 14, 15)
  const rss = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return { rssBytes: rss ? Number(rss[1]) * 1024 : 0, cpuSeconds: ticks / 100 };
}

export async function fund(node: BenchNode, seeds: string[]): Promise<{ txId: string; index: number; amount: string }[]> {
  const dev = keyPairFromSeed(devWalletSeed());
  const outs = (await node.client.request<any>("getOutputs", { address: toHex(addressOf(dev.publicKey)) })).outputs;
  const input = outs[0];
  const each = 1_000_000n;
  const outputs = seeds.map((s) => ({ address: addressOf(keyPairFromSeed(fromHex(s)).publicKey), amount: each }));
  outputs.push({ address: addressOf(dev.publicKey), amount: BigInt(input.amount) - each * BigInt(seeds.length) });
  const { parents } = await node.client.request<any>("selectParents", { count: 2 });
  const signed = signTransaction({ version: PROTOCOL_VERSION, networkId: devGenesis().networkId, issuer: dev.publicKey, payload: { type: "transfer", inputs: [{ txId: fromHex(input.txId), index: input.index }], outputs } }, dev.secretKey);
  const bytes = stampSync(attach(signed, parents.map((p: string) => fromHex(p)), Date.now()), requiredDifficulty(400, devGenesis().baseDifficulty));
  const id = toHex(transactionId(bytes));
  await node.client.request<any>("submitTransaction", { bytes });
  for (let k = 0; k < 200; k++) {
    const m = await node.client.request<any>("getTransactionMetadata", { id });
    if (m.confirmed) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return seeds.map((_, index) => ({ txId: id, index, amount: each.toString() }));
}

/**
 * One timed run. Gateway g talks to nodes[g % nodes.length]; confirmations are observed on
 * nodes[0] (the coordinator); CPU is summed and RSS maxed over the nodes.
 */
export async function runLoad(nodes: BenchNode[], label: string, offered: number, durationMs: number, funding: { txId: string; index: number; amount: string }[], seeds: string[], maxPerGateway = 20_000, transfers: "split" | "move" = "split", sensors?: SensorState[][]) {
  const node = nodes[0];
  const confirmedAt = new Map<string, number>();
  node.client.on("push", ({ topic, data }: { topic: string; data: any }) => {
    if (topic !== "confirmed") return;
    const t = performance.timeOrigin + performance.now();
    for (const id of data.ids as string[]) if (!confirmedAt.has(id)) confirmedAt.set(id, t);
  });
  const workerFile = path.join(__dirname, "gateway-worker.js");
  const count = Math.ceil((offered * durationMs) / 1000 / GATEWAYS) + 10;
  const workers = seeds.map((seed, g) =>
    new Worker(workerFile, {
      workerData: {
        url: nodes[g % nodes.length].url,
        networkId: devGenesis().networkId,
        baseDifficulty: devGenesis().baseDifficulty,
        count: offered === 0 ? maxPerGateway : count,
        prestamp: offered === 0,
        rate: offered / GATEWAYS,
        // Below the server's 64 per connection: the parent refreshes share the connection.
        maxInFlight: 56,
        durationMs,
        funding: funding[g] ?? null,
        transfers,
        seed,
        sensors: sensors?.[g],
      },
    }),
  );
  await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
    w.once("error", reject);
    w.on("message", (m) => {
      if (m.type === "ready") resolve();
      if (m.type === "error") reject(new Error(m.message));
    });
  })));
  const stats = () => nodes.map((n) => procStats(n.child.pid!)).reduce((a, b) => ({ cpuSeconds: a.cpuSeconds + b.cpuSeconds, rssBytes: Math.max(a.rssBytes, b.rssBytes) }));
  const before = stats();
  const genBefore = process.cpuUsage();
  const t0 = performance.now();
  const rssSamples: number[] = [];
  const sampler = setInterval(() => rssSamples.push(stats().rssBytes), 250);
  const done = workers.map((w) => new Promise<{ acks: Ack[]; rejected: Record<string, number>; sent: number; sensors: SensorState[] }>((resolve, reject) => {
    w.on("message", (m) => m.type === "done" && resolve(m));
    w.on("message", (m) => m.type === "error" && reject(new Error(m.message)));
  }));
  workers.forEach((w) => w.postMessage("start"));
  const results = await Promise.all(done);
  const elapsed = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const after = stats();
  const gen = process.cpuUsage(genBefore);
  await Promise.all(workers.map((w) => w.terminate()));
  const acks = results.flatMap((r) => r.acks);
  // Give the last ones two milestone intervals to confirm.
  await new Promise((r) => setTimeout(r, 3 * MILESTONE_MS));
  const ackLat = acks.map((a) => a.ackMs - a.sentMs);
  const confLat = acks.filter((a) => confirmedAt.has(a.id)).map((a) => confirmedAt.get(a.id)! - a.sentMs);
  const rejected: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.rejected)) rejected[k] = (rejected[k] ?? 0) + v;
  const params = { mode: label, nodes: nodes.length, offeredPerSecond: offered || "max", gateways: GATEWAYS, seconds: Number(elapsed.toFixed(1)) };
  const out: BenchResult[] = [
    { name: "node-accepted", params, metric: "transactions-per-second", value: Math.round(acks.length / elapsed), unit: "tx/s" },
    { name: "node-ack-latency", params, metric: "latency-p50", value: Number(median(ackLat).toFixed(2)), unit: "ms" },
    { name: "node-ack-latency", params, metric: "latency-p99", value: Number(percentile(ackLat, 99).toFixed(2)), unit: "ms" },
    { name: "node-confirmed-share", params, metric: "share", value: Number((confLat.length / Math.max(1, acks.length)).toFixed(3)), unit: "ratio" },
    { name: "node-cpu", params, metric: nodes.length > 1 ? "cores-all-nodes" : "cores", value: Number(((after.cpuSeconds - before.cpuSeconds) / elapsed).toFixed(2)), unit: "cores" },
    { name: "node-rss", params, metric: "max", value: Math.round(Math.max(...rssSamples, after.rssBytes) / 2 ** 20), unit: "MiB" },
    // The load generator (this process and its gateway threads) shares the machine's cores.
    { name: "generator-cpu", params, metric: "cores", value: Number(((gen.user + gen.system) / 1e6 / elapsed).toFixed(2)), unit: "cores" },
  ];
  if (confLat.length) {
    out.push({ name: "node-confirmation-latency", params, metric: "latency-p50", value: Number(median(confLat).toFixed(1)), unit: "ms" });
    out.push({ name: "node-confirmation-latency", params, metric: "latency-p99", value: Number(percentile(confLat, 99).toFixed(1)), unit: "ms" });
  }
  for (const [code, n] of Object.entries(rejected)) out.push({ name: "node-rejected", params: { ...params, code }, metric: "count", value: n, unit: "tx" });
  // Throughput over time: acknowledgements per whole second of the run.
  if (acks.length) {
    const start = Math.min(...acks.map((a) => a.sentMs));
    const perSecond = new Map<number, number>();
    for (const a of acks) {
      const sec = Math.floor((a.ackMs - start) / 1000);
      perSecond.set(sec, (perSecond.get(sec) ?? 0) + 1);
    }
    const last = Math.floor(durationMs / 1000);
    for (let sec = 0; sec < last; sec++) {
      out.push({ name: "node-throughput-timeline", params: { ...params, second: sec + 1 }, metric: "acknowledged", value: perSecond.get(sec) ?? 0, unit: "tx/s" });
    }
  }
  // Each gateway's sensors with their next sequences, to go on with in a later run.
  return { results: out, acks, sensors: results.map((r) => r.sensors) };
}

export async function runNodeSuite(opts: SuiteOptions = {}): Promise<BenchResult[]> {
  const quick = Boolean(opts.quick);
  const levels = quick ? [200] : [250, 500, 1000, 2000];
  const durationMs = quick ? 3000 : 10_000;
  const progress = opts.progress ?? (() => {});
  const steps = levels.length + 2;
  const all: BenchResult[] = [];
  const node = await startBenchNode(["--network", "dev", "--coordinator-key", "dev", "--milestone-interval-ms", String(MILESTONE_MS), "--no-remote-pow"]);
  try {
    await node.client.request<any>("subscribe", { topics: ["confirmed"] });
    for (let k = 0; k < 100 && (await node.client.request<any>("getNodeInfo")).confirmedMilestoneIndex < 1; k++) await new Promise((r) => setTimeout(r, 50));
    const seeds = Array.from({ length: GATEWAYS }, () => toHex(randomBytes(32)));
    progress(0, steps, "funding gateways");
    let funding = await fund(node, seeds);
    let step = 1;
    for (const offered of levels) {
      progress(step++, steps, `offered ${offered}/s`);
      const r = await runLoad([node], "single-node", offered, durationMs, funding, seeds);
      all.push(...r.results);
      funding = []; // the transfer chains moved on; later runs send data records only
    }
    progress(step++, steps, "as fast as accepted");
    const max = await runLoad([node], "single-node", 0, durationMs, funding, seeds, quick ? 4000 : 15_000);
    all.push(...max.results);
    // Check: every acknowledged id is stored.
    for (const a of max.acks.slice(0, 2000)) {
      const t = await node.client.request<any>("getTransaction", { id: a.id }).catch(() => undefined);
      if (!t) throw new Error(`node bench: acknowledged ${a.id} is not stored`);
    }
  } finally {
    await node.stop();
  }
  progress(steps, steps, "done");
  return all;
}

/**
 * The same gateways spread over a 3-node network (A coordinates, B and C peer with A). Checked: a
 * sample of the acknowledged records reaches every node.
 */
export async function runNodeNetworkSuite(opts: SuiteOptions = {}): Promise<BenchResult[]> {
  const quick = Boolean(opts.quick);
  const durationMs = quick ? 3000 : 10_000;
  const progress = opts.progress ?? (() => {});
  const levels = quick ? [200] : [500, 1000];
  const steps = levels.length + 1;
  const all: BenchResult[] = [];
  progress(0, steps, "starting 3 nodes");
  const net: BenchNode[] = [];
  try {
    net.push(await startBenchNode(["--network", "dev", "--coordinator-key", "dev", "--milestone-interval-ms", String(MILESTONE_MS), "--no-remote-pow"]));
    for (let i = 0; i < 2; i++) net.push(await startBenchNode(["--network", "dev", "--peer", net[0].url, "--no-remote-pow"]));
    await net[0].client.request<any>("subscribe", { topics: ["confirmed"] });
    for (let k = 0; k < 200; k++) {
      const infos = await Promise.all(net.map((n) => n.client.request<any>("getNodeInfo")));
      if (infos.every((i) => i.synced && i.confirmedMilestoneIndex >= 2 && i.peers >= 1)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const seeds = Array.from({ length: GATEWAYS }, () => toHex(randomBytes(32)));
    let step = 1;
    let peerSentBefore = (await Promise.all(net.map((m) => m.client.request<any>("getPeers")))).flatMap((x) => x.peers).reduce((a: number, p: { sent: number }) => a + p.sent, 0);
    for (const offered of levels) {
      progress(step++, steps, `offered ${offered}/s`);
      const r = await runLoad(net, "three-nodes", offered, durationMs, [], seeds);
      all.push(...r.results);
      // Check: the records reached every node (gossip may still be draining a backlog).
      const sample = r.acks.filter((_, i) => i % Math.max(1, Math.floor(r.acks.length / 200)) === 0);
      const checkStart = Date.now();
      const deadline = checkStart + 60_000;
      for (const n of net) {
        let missing = sample.map((a) => a.id);
        while (missing.length && Date.now() < deadline) {
          const still: string[] = [];
          for (const id of missing) if (!(await n.client.request<any>("getTransaction", { id }).catch(() => undefined))) still.push(id);
          missing = still;
          if (missing.length) await new Promise((res) => setTimeout(res, 250));
        }
        if (missing.length) {
          const peers = await Promise.all(net.map((m) => m.client.request<any>("getPeers").then((x) => JSON.stringify(x.peers.map((p: Record<string, unknown>) => ({ url: p.url, sent: p.sent, received: p.received, queued: p.queued, queueDrops: p.queueDrops }))))));
          const logs = [...peers.map((p, i) => `node ${i} peers: ${p}`), ...net.flatMap((m, i) => m.warnings.slice(0, 3).map((w) => `node ${i}: ${w}`))].join("\n");
          throw new Error(`node bench: ${missing.length} of ${sample.length} sampled records did not reach node ${net.indexOf(n)} within 60 s\n${logs}`);
        }
      }
      const params = { mode: "three-nodes", nodes: net.length, offeredPerSecond: offered, sampled: sample.length };
      all.push({ name: "node-network-delivered", params, metric: "after-load-ms", value: Date.now() - checkStart, unit: "ms" });
      // Peer messages sent per accepted transaction, over all nodes and links (ideal gossip on this
      // hub of two links: each transaction crosses each link once, i.e. 2 per transaction).
      const sent = (await Promise.all(net.map((m) => m.client.request<any>("getPeers")))).flatMap((x) => x.peers).reduce((a: number, p: { sent: number }) => a + p.sent, 0) - peerSentBefore;
      peerSentBefore += sent;
      all.push({ name: "node-network-gossip", params, metric: "messages-per-transaction", value: Number((sent / Math.max(1, r.acks.length)).toFixed(2)), unit: "msg/tx" });
    }
  } finally {
    await Promise.all(net.map((n) => n.stop().catch(() => undefined)));
  }
  progress(steps, steps, "done");
  return all;
}
