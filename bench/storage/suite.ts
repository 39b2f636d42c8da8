/**
 * Storage benchmark against a real node process (dev network, its own coordinator, 250 ms
 * milestones): four gateway threads send signed, stamped data records (each sensor publishing its
 * own stream) at an offered rate, attached to fresh tips, in chunks. Memory from the node's
 * /metrics: the resident set, split into anonymous (JS heap, WASM, buffers) and file-backed (mapped
 * database pages and code). Where /proc is, the resident set is also sampled every 50 ms, and the
 * kernel's high-water mark of each node process (VmHWM) is kept, which nothing between samples
 * escapes. At checkpoints: database bytes per stored transaction, and a restart (stop, start on the
 * same data) with its time.
 *
 * Full run: a million transactions; quick: 20,000. With a memory limit (`--memory-limit MiB`) the
 * node runs in a memory cgroup where this machine allows one (charged for its anonymous memory and
 * the page cache it brings in, which the kernel reclaims at the limit), and the run fails if the
 * node is killed for memory. Checks: every acknowledged record of a sample is stored after each
 * restart, and the ledger never moves back.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { BenchResult, SuiteOptions } from "../lib/report";
import { BenchNode, startBenchNode } from "../lib/processes";
import { runLoad } from "../node/suite";

const GATEWAYS = 4;
const NODE_ARGS = ["--network", "dev", "--coordinator-key", "dev", "--milestone-interval-ms", "250", "--no-remote-pow"];

interface Memory {
  rss: number;
  /** The kernel's high-water mark of this node process's resident set (VmHWM). */
  peak: number;
  anon: number;
  file: number;
  heap: number;
  db: number;
  stored: number;
}

function metrics(node: BenchNode): Promise<Memory> {
  return new Promise((resolve, reject) => {
    http
      .get(`http://127.0.0.1:${node.port}/metrics`, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => {
          const pick = (name: string) => Number(new RegExp(`^${name} (\\S+)`, "m").exec(body)?.[1] ?? NaN);
          resolve({
            rss: pick("process_resident_memory_bytes"),
            peak: pick("process_resident_memory_peak_bytes"),
            anon: pick("tangle_resident_anonymous_bytes"),
            file: pick("tangle_resident_file_bytes"),
            heap: pick("nodejs_heap_used_bytes"),
            db: pick("tangle_database_bytes"),
            stored: pick("tangle_stored_transactions"),
          });
        });
      })
      .on("error", reject);
  });
}

const MiB = (b: number) => Math.round(b / 2 ** 20);

export async function runStorageSuite(opts: SuiteOptions = {}): Promise<BenchResult[]> {
  const quick = Boolean(opts.quick);
  const total = quick ? 20_000 : 1_000_000;
  const checkpoints = quick ? [10_000, 20_000] : [100_000, 300_000, 600_000, 1_000_000];
  const rate = quick ? 2000 : 3000;
  const chunk = quick ? 10_000 : 100_000;
  const limitMiB = opts.memoryLimitMiB ?? 0;
  const progress = opts.progress ?? (() => {});
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-storage-"));
  const nodeOpts = { dir, keep: true, memoryLimitBytes: limitMiB ? limitMiB * 2 ** 20 : undefined };
  const results: BenchResult[] = [];
  let node = await startBenchNode(NODE_ARGS, nodeOpts);
  const limit = node.cgroup ? `${limitMiB} MiB` : "none";
  // Sampled every 50 ms from /proc/<pid>/status where there is one (the node's own /metrics each
  // second elsewhere); the kernel's high-water mark comes from /metrics at each checkpoint.
  const peak = { rss: 0, anon: 0, file: 0 };
  let hwm = 0;
  const sample = (m: { rss: number; anon: number; file: number }) => {
    peak.rss = Math.max(peak.rss, m.rss);
    peak.anon = Math.max(peak.anon, m.anon);
    peak.file = Math.max(peak.file, m.file);
  };
  const fromProc = () => {
    try {
      const s = fs.readFileSync(`/proc/${node.child.pid}/status`, "utf8");
      const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? NaN) * 1024;
      const m = { rss: kb("VmRSS"), anon: kb("RssAnon"), file: kb("RssFile") };
      return Number.isFinite(m.rss + m.anon + m.file) ? m : null; // null: exiting (a zombie has no memory lines)
    } catch {
      return undefined;
    }
  };
  const viaProc = Boolean(fromProc());
  const sampler = setInterval(
    () => {
      const m = viaProc ? fromProc() : undefined;
      if (m) sample(m);
      else if (!viaProc) void metrics(node).then(sample, () => undefined);
    },
    viaProc ? 50 : 1000,
  );
  let stored = 0;
  let kills = 0;
  let cgroupPeak = 0;
  try {
    for (const target of checkpoints) {
      while (stored < target) {
        const n = Math.max(1000, Math.min(chunk, target - stored));
        const seeds = Array.from({ length: GATEWAYS }, () => randomBytes(32).toString("hex"));
        const r = await runLoad([node], "storage", rate, (n / rate) * 1000, [], seeds);
        const rejected = r.results.filter((x) => x.name === "node-rejected").reduce((a, x) => a + x.value, 0);
        if (rejected > n / 100) throw new Error(`storage bench: ${rejected} of ${n} records rejected`);
        stored = (await node.client.request<any>("getNodeInfo")).storedTransactions;
        progress(Math.min(stored, total), total, `stored ${stored}`);
        if (stored >= target) {
          // Checkpoint: memory and size now, then a restart.
          const m = await metrics(node);
          hwm = Math.max(hwm, m.peak || 0); // the true peak of this process, restart included
          const before = await node.client.request<any>("getNodeInfo");
          const sample = r.acks.filter((_, i) => i % Math.max(1, Math.floor(r.acks.length / 100)) === 0).map((a) => a.id);
          kills += node.cgroup?.oomKills() ?? 0;
          cgroupPeak = Math.max(cgroupPeak, node.cgroup?.peakBytes() ?? 0);
          await node.stop();
          const params = { storedTransactions: before.storedTransactions, memoryLimit: limit };
          results.push({ name: "db-size", params, metric: "bytes-per-transaction", value: Math.round(m.db / before.storedTransactions), unit: "B" });
          results.push({ name: "node-memory", params, metric: "rss", value: MiB(m.rss), unit: "MiB" });
          results.push({ name: "node-memory", params, metric: "anonymous", value: MiB(m.anon), unit: "MiB" });
          results.push({ name: "node-memory", params, metric: "file-backed", value: MiB(m.file), unit: "MiB" });
          results.push({ name: "node-memory", params, metric: "rss-peak-so-far", value: MiB(peak.rss), unit: "MiB" });
          if (hwm) results.push({ name: "node-memory", params, metric: "rss-high-water-so-far", value: MiB(hwm), unit: "MiB" });
          results.push({ name: "node-memory", params, metric: "anonymous-peak-so-far", value: MiB(peak.anon), unit: "MiB" });
          node = await startBenchNode(NODE_ARGS, nodeOpts);
          results.push({ name: "restart", params, metric: "open-time", value: node.startupMs, unit: "ms" });
          results.push({ name: "restart", params, metric: "until-listening", value: Math.round(node.readyMs), unit: "ms" });
          const opened = await metrics(node);
          if (opened.peak) results.push({ name: "restart", params, metric: "rss-high-water", value: MiB(opened.peak), unit: "MiB" });
          const after = await node.client.request<any>("getNodeInfo");
          if (after.confirmedMilestoneIndex < before.confirmedMilestoneIndex || after.storedTransactions < before.storedTransactions) {
            throw new Error("storage bench: the node restarted into an earlier state");
          }
          for (const id of sample) {
            if (!(await node.client.request<any>("getTransaction", { id }).catch(() => undefined))) throw new Error(`storage bench: acknowledged ${id} is missing after a restart`);
          }
        }
      }
    }
    const last = await metrics(node);
    hwm = Math.max(hwm, last.peak || 0);
    const whole = { storedTransactions: stored, memoryLimit: limit };
    results.push({ name: "node-memory", params: whole, metric: "rss-peak-sampled", value: MiB(peak.rss), unit: "MiB" });
    if (hwm) results.push({ name: "node-memory", params: whole, metric: "rss-high-water", value: MiB(hwm), unit: "MiB" });
    kills += node.cgroup?.oomKills() ?? 0;
    // Memory charged to the group: the node's own plus the page cache of the database it wrote.
    if (node.cgroup) results.push({ name: "memory-limit", params: { limit }, metric: "cgroup-peak", value: MiB(Math.max(cgroupPeak, node.cgroup.peakBytes())), unit: "MiB" });
    results.push({ name: "memory-limit", params: { limit }, metric: "oom-kills", value: kills, unit: "count" });
    if (kills) throw new Error(`storage bench: the node was killed for memory ${kills} time(s) under a ${limit} limit`);
    return results;
  } finally {
    clearInterval(sampler);
    await node.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
