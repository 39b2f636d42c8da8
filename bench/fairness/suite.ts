/**
 * Fairness under a flood: does one gateway that floods the node slow down an honest one?
 *
 * One real node process (dev network, its own coordinator, 250 ms milestones). An honest gateway on
 * one connection submits one data record at a time at a modest rate (default 20/s), each attached
 * to fresh URTS parents and stamped just before it is sent, and measures the time to its
 * acknowledgement. Phase 1 (quiet): the honest gateway alone. Phase 2 (flood-paced): a flooder on
 * four more connections (./flood-worker.ts threads, 50 sensor keys each, so the adaptive PoW
 * allowance does not stop it by itself) sends records signed, attached and stamped before the timed
 * part at 660 a second in all, the rate the flood of issue 15's report got acknowledged. Phase 3
 * (flood): the same keys, pipelined as fast as the node answers (the node saturated). Phase 4
 * (flood-one-key): the same with one key for all four connections (the node's per-issuer bound and the adaptive PoW refuse most of it). Reported per
 * phase: the honest ack latency p50/p99 and its flood/quiet ratios, the flooder's accepted rate and
 * its refusals by code, the CPU each side used. Checked: every honest record was acknowledged (none
 * refused) and is stored on the node afterwards.
 *
 * The node, the flooder's threads and the honest gateway share the machine's cores. With
 * BENCH_PIN=1 (and `taskset` on the machine) the node is pinned to core 0 and this process (the
 * honest gateway and the flooder) to the other cores, so the generator cannot take the node's core.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { Worker } from "node:worker_threads";
import { attach, signTransaction, stampSync } from "../../client/protocol/build";
import { fromHex, toHex } from "../../client/protocol/bytes";
import { transactionId } from "../../client/protocol/codec";
import { keyPairFromSeed } from "../../client/protocol/keys";
import { devGenesis } from "../../node/networks/dev";
import { requiredDifficulty } from "../../node/validation/pipeline";
import { BenchResult, median, percentile, SuiteOptions } from "../lib/report";
import { BenchNode, startBenchNode } from "../lib/processes";
import { openRawClient } from "../lib/raw-client";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";

const MILESTONE_MS = 250;
const FLOOD_CONNECTIONS = 4;
/** Records the flooder prepares per connection and second of flood (it starts over when through). */
const FLOOD_PREPARED_PER_SECOND = 1500;
/** Sensor keys per flooding connection in the flood phase (one key for all in flood-one-key). */
const FLOOD_KEYS_PER_CONNECTION = 50;
/** The paced flood's rate over all its connections: what the flood of issue 15's report got acknowledged. */
const FLOOD_PACED_PER_SECOND = 660;

/** Durations and rates of one run; `tangle bench fairness` uses the defaults (--quick: shorter). */
export interface FairnessOptions {
  quietMs: number;
  floodMs: number;
  honestPerSecond: number;
  /** Requests the flooder keeps in flight on each connection (the node allows 64). */
  floodInFlight: number;
}

export const FAIRNESS_DEFAULTS: FairnessOptions = { quietMs: 8000, floodMs: 7000, honestPerSecond: 20, floodInFlight: 60 };
export const FAIRNESS_QUICK: FairnessOptions = { quietMs: 3000, floodMs: 3000, honestPerSecond: 20, floodInFlight: 60 };

function procCpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(stat[11]) + Number(stat[12])) / 100;
}

/** Pins every thread of `pid` to `cpus` (taskset -a); false where that is not possible. */
function pin(pid: number, cpus: string): boolean {
  try {
    execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

type Phase = "quiet" | "flood-paced" | "flood" | "flood-one-key";

interface HonestSample {
  id: string;
  phase: Phase;
  latencyMs: number;
}

/**
 * The honest gateway: one sensor key, one stream, one record at a time at `perSecond`, parents
 * asked of the node before each record (not timed), stamped just before it is sent; the time from
 * send to answer is the sample. Runs until `stop()` says so.
 */
async function honestGateway(url: string, perSecond: number, phase: () => Phase | "stop"): Promise<{ samples: HonestSample[]; refused: Record<string, number> }> {
  const conn = await openRawClient(url);
  const key = keyPairFromSeed(randomBytes(32));
  const streamId = randomBytes(32);
  const samples: HonestSample[] = [];
  const refused: Record<string, number> = {};
  const genesis = devGenesis();
  let prev: Uint8Array = new Uint8Array(32);
  const t0 = performance.now();
  try {
    for (let sequence = 0; ; sequence++) {
      // Paced by a schedule, not by the answers: a slow answer does not lower the offered rate.
      const due = t0 + (sequence * 1000) / perSecond;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const p = phase();
      if (p === "stop") break;
      const { result } = await conn.call("selectParents", { count: 2 });
      const parents = (result?.parents ?? []).map((x: string) => fromHex(x));
      const signed = signTransaction(
        { version: PROTOCOL_VERSION, networkId: genesis.networkId, issuer: key.publicKey, payload: { type: "data", streamId, sequence, prevRecordId: prev, contentType: "application/json", data: new TextEncoder().encode(JSON.stringify({ t: Date.now(), sequence })) } },
        key.secretKey,
      );
      const unstamped = attach(signed, parents, Date.now());
      const bytes = stampSync(unstamped, requiredDifficulty(unstamped.length, genesis.baseDifficulty));
      const sent = performance.now();
      const m = await conn.call("submitTransaction", { bytes });
      const latencyMs = performance.now() - sent;
      if (m.error) refused[m.error.code] = (refused[m.error.code] ?? 0) + 1;
      else {
        samples.push({ id: m.result.id, phase: p, latencyMs });
        prev = transactionId(bytes);
      }
    }
  } finally {
    conn.close();
  }
  return { samples, refused };
}

interface FloodResult {
  accepted: number;
  duplicates: number;
  refused: Record<string, number>;
}

/** Starts FLOOD_CONNECTIONS flood-worker threads and waits until they have prepared their records. */
async function prepareFlood(node: BenchNode, o: FairnessOptions, identities: number, keySeeds?: string[], totalPerSecond?: number): Promise<{ start: () => Promise<FloodResult[]>; stop: () => Promise<void> }> {
  const genesis = devGenesis();
  const perSecond = totalPerSecond === undefined ? undefined : totalPerSecond / FLOOD_CONNECTIONS;
  const count = Math.ceil(((perSecond ?? FLOOD_PREPARED_PER_SECOND) * o.floodMs) / 1000);
  const workerFile = path.join(__dirname, "flood-worker.js");
  const workers = Array.from({ length: FLOOD_CONNECTIONS }, () =>
    new Worker(workerFile, { workerData: { url: node.url, networkId: genesis.networkId, baseDifficulty: genesis.baseDifficulty, count, identities, keySeeds, maxInFlight: o.floodInFlight, durationMs: o.floodMs, perSecond } }),
  );
  const done = workers.map((w) => new Promise<FloodResult>((resolve, reject) => {
    w.on("message", (m) => m.type === "done" && resolve(m));
    w.on("message", (m) => m.type === "error" && reject(new Error(m.message)));
    w.once("error", reject);
  }));
  await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
    w.once("error", reject);
    w.on("message", (m) => {
      if (m.type === "ready") resolve();
      if (m.type === "error") reject(new Error(m.message));
    });
  })));
  return {
    start: () => {
      workers.forEach((w) => w.postMessage("start"));
      return Promise.all(done);
    },
    stop: async () => void (await Promise.all(workers.map((w) => w.terminate()))),
  };
}

export async function runFairness(node: BenchNode, o: FairnessOptions, progress: (label: string) => void): Promise<BenchResult[]> {
  progress("preparing the flood");
  // Both floods are prepared (signed, attached, stamped) before anything is timed.
  const floods: [Phase, Awaited<ReturnType<typeof prepareFlood>>][] = [
    ["flood-paced", await prepareFlood(node, o, FLOOD_KEYS_PER_CONNECTION, undefined, FLOOD_PACED_PER_SECOND)],
    ["flood", await prepareFlood(node, o, FLOOD_KEYS_PER_CONNECTION)],
    ["flood-one-key", await prepareFlood(node, o, 1, [toHex(randomBytes(32))])],
  ];
  let phase: Phase | "stop" = "quiet";
  progress("quiet");
  const honest = honestGateway(node.url, o.honestPerSecond, () => phase);
  const cpu: Partial<Record<Phase, number>> = {};
  const seconds: Partial<Record<Phase, number>> = { quiet: o.quietMs / 1000 };
  const generator: Partial<Record<Phase, number>> = {};
  const flooded: Partial<Record<Phase, FloodResult[]>> = {};
  let cpu0 = procCpuSeconds(node.child.pid!);
  await new Promise((r) => setTimeout(r, o.quietMs));
  cpu.quiet = procCpuSeconds(node.child.pid!) - cpu0;
  try {
    for (const [p, flood] of floods) {
      progress(p);
      phase = p;
      cpu0 = procCpuSeconds(node.child.pid!);
      const gen0 = process.cpuUsage();
      const t0 = performance.now();
      flooded[p] = await flood.start();
      seconds[p] = (performance.now() - t0) / 1000;
      cpu[p] = procCpuSeconds(node.child.pid!) - cpu0;
      const gen = process.cpuUsage(gen0);
      generator[p] = (gen.user + gen.system) / 1e6;
    }
  } finally {
    phase = "stop";
    for (const [, flood] of floods) await flood.stop();
  }
  const h = await honest;

  // Checks: no honest record refused, every one stored.
  const honestRefused = Object.values(h.refused).reduce((a, b) => a + b, 0);
  if (honestRefused > 0) throw new Error(`fairness bench: the node refused ${honestRefused} honest records: ${JSON.stringify(h.refused)}`);
  const check = await openRawClient(node.url);
  try {
    for (const s of h.samples) {
      const m = await check.call("getTransaction", { id: s.id });
      if (!m.result || toHex(transactionId(m.result.bytes)) !== s.id) throw new Error(`fairness bench: acknowledged honest record ${s.id} is not stored`);
    }
  } finally {
    check.close();
  }

  const base = { honestPerSecond: o.honestPerSecond, floodConnections: FLOOD_CONNECTIONS, floodInFlight: o.floodInFlight };
  const r2 = (x: number) => Number(x.toFixed(2));
  const out: BenchResult[] = [];
  const latencies = (p: Phase) => h.samples.filter((s) => s.phase === p).map((s) => s.latencyMs);
  const quiet = latencies("quiet");
  for (const p of ["quiet", "flood-paced", "flood", "flood-one-key"] as const) {
    const xs = latencies(p);
    if (!xs.length) throw new Error(`fairness bench: no honest samples in phase ${p}`);
    const params = { ...base, phase: p, seconds: r2(seconds[p]!), ...(p === "quiet" ? {} : { floodKeys: p === "flood-one-key" ? 1 : FLOOD_CONNECTIONS * FLOOD_KEYS_PER_CONNECTION, ...(p === "flood-paced" ? { floodOffered: FLOOD_PACED_PER_SECOND } : {}) }) };
    out.push({ name: "fairness-honest-ack-latency", params: { ...params, samples: xs.length }, metric: "latency-p50", value: r2(median(xs)), unit: "ms" });
    out.push({ name: "fairness-honest-ack-latency", params: { ...params, samples: xs.length }, metric: "latency-p99", value: r2(percentile(xs, 99)), unit: "ms" });
    out.push({ name: "fairness-node-cpu", params, metric: "cores", value: r2(cpu[p]! / seconds[p]!), unit: "cores" });
    if (p === "quiet") continue;
    out.push({ name: "fairness-honest-p99-ratio", params, metric: "flood-over-quiet", value: r2(percentile(xs, 99) / percentile(quiet, 99)), unit: "x" });
    out.push({ name: "fairness-honest-p50-ratio", params, metric: "flood-over-quiet", value: r2(median(xs) / median(quiet)), unit: "x" });
    const f = flooded[p]!;
    out.push({ name: "fairness-flooder-accepted", params, metric: "transactions-per-second", value: Math.round(f.reduce((a, r) => a + r.accepted, 0) / seconds[p]!), unit: "tx/s" });
    out.push({ name: "fairness-flooder-duplicates", params, metric: "count", value: f.reduce((a, r) => a + r.duplicates, 0), unit: "tx" });
    const refused: Record<string, number> = {};
    for (const r of f) for (const [k, v] of Object.entries(r.refused)) refused[k] = (refused[k] ?? 0) + v;
    for (const [code, n] of Object.entries(refused)) out.push({ name: "fairness-flooder-refused", params: { ...params, code }, metric: "count", value: n, unit: "tx" });
    // This process: the honest gateway and the flooder's threads, on the same machine.
    out.push({ name: "fairness-generator-cpu", params, metric: "cores", value: r2(generator[p]! / seconds[p]!), unit: "cores" });
  }
  return out;
}

export async function runFairnessSuite(opts: SuiteOptions = {}): Promise<BenchResult[]> {
  const o = opts.quick ? FAIRNESS_QUICK : FAIRNESS_DEFAULTS;
  const progress = opts.progress ?? (() => {});
  const steps = ["starting the node", "preparing the flood", "quiet", "flood-paced", "flood", "flood-one-key"];
  const say = (label: string) => progress(Math.max(0, steps.indexOf(label)), steps.length, label);
  say("starting the node");
  const node = await startBenchNode(["--network", "dev", "--coordinator-key", "dev", "--milestone-interval-ms", String(MILESTONE_MS), "--no-remote-pow"], { memoryLimitBytes: opts.memoryLimitMiB ? opts.memoryLimitMiB * 2 ** 20 : undefined });
  const pinned = process.env.BENCH_PIN === "1" && os.cpus().length >= 2 && pin(node.child.pid!, "0") && pin(process.pid, `1-${os.cpus().length - 1}`);
  try {
    for (let k = 0; k < 100 && (await node.client.request<any>("getNodeInfo")).confirmedMilestoneIndex < 1; k++) await new Promise((r) => setTimeout(r, 50));
    const results = await runFairness(node, o, say);
    for (const r of results) r.params.pinned = pinned;
    progress(steps.length, steps.length, "done");
    return results;
  } finally {
    await node.stop();
  }
}
