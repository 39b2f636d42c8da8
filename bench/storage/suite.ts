/**
 * Storage benchmark against a real node process (dev network, its own coordinator, 250 ms
 * milestones), pruned at a small depth (default) or as an archive (`--pruning off`): does the cost
 * of the node stay flat as the stored history grows? Four gateway threads send signed, stamped
 * data records (each sensor publishing its own stream; the same 200 sensors for the whole run,
 * each going on with its stream from chunk to chunk) with every tenth a value transfer, at an
 * offered rate, attached to fresh tips, in chunks of at most 100,000 transactions; each chunk's
 * gateways are funded from the dev wallet and chain their transfers for the whole chunk (each moves
 * its whole amount on, so the unspent set does not grow with the run).
 *
 * At evenly spaced checkpoints (`--checkpoints K`, the last at `--transactions N`): the throughput
 * over the interval (acknowledged tx/s over the seconds of load) with its acknowledgement latency;
 * the database's pages in use and its file (getNodeInfo.database); memory from the node's /metrics
 * (the resident set, split into anonymous and file-backed, and the V8 heap); the pruning and ledger
 * indexes; then a restart (stop, start on the same data) timed from spawn until the node answers.
 * Where /proc is, the resident set is also sampled every 50 ms, and the kernel's high-water mark
 * of each node process (VmHWM) is kept, which nothing between samples escapes. With a memory limit
 * (`--memory-limit MiB`) the node runs in a memory cgroup where this machine allows one, and the
 * run fails if the node is killed for memory.
 *
 * Checks, at every checkpoint: a sample of the records acknowledged last, and the sample taken at
 * the first checkpoint, are each stored or, on a pruned node, answer ERR_PRUNED with a pruning index
 * at or above the milestone that confirmed them (recorded before the restart) — never ERR_NOT_FOUND;
 * the ledger and pruning indexes never move back, across restarts too; every gateway's transfer
 * chain moved on and was confirmed. A pruned run long enough to prune (the node keeps its recent
 * window of 65,536 arrivals whatever the depth) must have pruned, and its pruning index must advance
 * between every two checkpoints after the first prune. Summary: each figure's ratio of the last
 * checkpoint to the first checkpoint after the first prune (archive: to the first checkpoint).
 * The results so far are handed to `opts.partial` after each checkpoint.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { hasCode, NodeApiError } from "../../client/api/errors";
import { fromHex, toHex } from "../../client/protocol/bytes";
import { Code } from "../../client/protocol/codes";
import { addressOf, keyPairFromSeed } from "../../client/protocol/keys";
import { BenchResult, median, percentile, SuiteOptions } from "../lib/report";
import { BenchNode, startBenchNode } from "../lib/processes";
import { fund, runLoad } from "../node/suite";
import { IDENTITIES, newSensor, SensorState } from "../node/sensors";

const GATEWAYS = 4;
const NODE_ARGS = ["--network", "dev", "--coordinator-key", "dev", "--milestone-interval-ms", "250", "--no-remote-pow"];
/** Transactions per load run (one set of funded gateway threads): about half a minute at 3,000/s. */
const CHUNK = 100_000;
/** The node's recent window (node/node-types.ts): nothing is pruned until this many later arrivals. */
const WINDOW = 65_536;
/** Records sampled at each checkpoint for the stored-or-pruned check. */
const SAMPLE = 100;
export const STORAGE_DEFAULTS = { transactions: 1_000_000, checkpoints: 10, rate: 3000, pruningDepth: 50 };
export const STORAGE_QUICK = { transactions: 20_000, checkpoints: 2, rate: 2000 };

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
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const thousands = (n: number) => n.toLocaleString("en");

/** An acknowledged record and the milestone that confirmed it. */
interface Tracked {
  id: string;
  milestoneIndex: number;
}

/** What a checkpoint measured (the flatness summary compares these). */
export interface Figures {
  stored: number;
  throughput: number;
  pagesInUse: number;
  fileBytes: number;
  rss: number;
  heap: number;
  restartMs: number;
  pruningIndex: number;
  /** The confirmed milestone index at the checkpoint. */
  ledgerIndex?: number;
  /** Pages in use by table (getNodeInfo.database.tables; absent from a node that does not report it). */
  tables?: Record<string, number>;
  pageSize?: number;
}

/**
 * The milestone that confirmed each id, waiting up to `waitMs` in all; those still unconfirmed are
 * returned apart (the newest records of a chunk wait for the load to go on: nothing approves them).
 */
async function track(node: BenchNode, ids: string[], waitMs = 5000): Promise<{ confirmed: Tracked[]; unconfirmed: string[] }> {
  const confirmed: Tracked[] = [];
  let pending = ids;
  for (const t = Date.now(); pending.length; await sleep(250)) {
    const still: string[] = [];
    for (const id of pending) {
      const m = await node.client.request<any>("getTransactionMetadata", { id });
      if (typeof m.confirmedBy === "number") confirmed.push({ id, milestoneIndex: m.confirmedBy });
      else still.push(id);
    }
    pending = still;
    if (Date.now() - t > waitMs) break;
  }
  return { confirmed, unconfirmed: pending };
}

/**
 * Each tracked record is stored, or (pruned node) answers ERR_PRUNED with a pruning index at or
 * above its milestone. Anything else (ERR_NOT_FOUND, ERR_PRUNED above the index) is a lost record.
 */
async function verify(node: BenchNode, sample: Tracked[], what: string): Promise<{ stored: number; pruned: number }> {
  let stored = 0;
  let pruned = 0;
  for (const t of sample) {
    try {
      const tx = await node.client.request<any>("getTransaction", { id: t.id });
      if (tx.id !== t.id) throw new Error(`storage bench: getTransaction ${t.id} answered ${tx.id}`);
      stored++;
    } catch (err) {
      const index = err instanceof NodeApiError ? Number(err.data?.pruningIndex) : NaN;
      if (hasCode(err, Code.ERR_PRUNED) && index >= t.milestoneIndex) {
        pruned++;
        continue;
      }
      const code = (err as { code?: string }).code ?? String(err);
      throw new Error(`storage bench: ${what}: acknowledged ${t.id}, confirmed at milestone ${t.milestoneIndex}, answers ${code}${Number.isFinite(index) ? ` (pruning index ${index})` : ""}`);
    }
  }
  return { stored, pruned };
}

/** Ids spread evenly over the records acknowledged last (the newest 2,000 of a chunk). */
function newest(acks: { id: string; ackMs: number }[]): string[] {
  const last = [...acks].sort((a, b) => a.ackMs - b.ackMs).slice(-2000);
  const step = Math.max(1, Math.floor(last.length / SAMPLE));
  return last.filter((_, i) => i % step === 0).slice(0, SAMPLE).map((a) => a.id);
}

export async function runStorageSuite(opts: SuiteOptions = {}): Promise<BenchResult[]> {
  const quick = Boolean(opts.quick);
  const o = opts.storage ?? {};
  const total = o.transactions ?? (quick ? STORAGE_QUICK.transactions : STORAGE_DEFAULTS.transactions);
  const count = Math.min(o.checkpoints ?? (quick ? STORAGE_QUICK.checkpoints : STORAGE_DEFAULTS.checkpoints), Math.max(1, Math.floor(total / 1000)));
  const rate = o.rate ?? (quick ? STORAGE_QUICK.rate : STORAGE_DEFAULTS.rate);
  const prunes = (o.pruning ?? "on") === "on";
  const depth = o.pruningDepth ?? STORAGE_DEFAULTS.pruningDepth;
  const pruning: number | "off" = prunes ? depth : "off";
  const checkpoints = Array.from({ length: count }, (_, k) => Math.round((total * (k + 1)) / count));
  const limitMiB = opts.memoryLimitMiB ?? 0;
  const progress = opts.progress ?? (() => {});
  const log = opts.log ?? (() => {});
  const nodeArgs = [...NODE_ARGS, "--pruning", prunes ? "on" : "off", ...(prunes ? ["--pruning-depth", String(depth)] : [])];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-storage-"));
  // A run stopped by a signal (`tangle bench` exits on SIGINT and SIGTERM; the node processes are
  // killed at exit by ../lib/processes.ts) leaves no data behind: at 10 M that is gigabytes.
  const removeDir = () => {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // the node was still writing: a later run's temporary directory is its own
    }
  };
  process.once("exit", removeDir);
  const nodeOpts = { dir, keep: true, memoryLimitBytes: limitMiB ? limitMiB * 2 ** 20 : undefined };
  const results: BenchResult[] = [];
  const started = Date.now();
  log(`storage: ${thousands(total)} transactions at ${thousands(rate)} offered/s, ${prunes ? `pruning at depth ${depth}` : "archive (pruning off)"}, checkpoints at ${checkpoints.map(thousands).join(", ")}; data in ${dir}`);
  let node = await startBenchNode(nodeArgs, nodeOpts);
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
  let ledgerIndex = 0;
  let pruningIndex = 0;
  let firstSample: Tracked[] = [];
  let managed = rate; // acknowledged per second in the last chunk
  const figures: Figures[] = [];
  try {
    for (let k = 0; k < 100 && (await node.client.request<any>("getNodeInfo")).confirmedMilestoneIndex < 1; k++) await sleep(50);
    // The city's sensors: the same for the whole run, each going on with its stream from chunk to
    // chunk (new sensors in every chunk left each one's newest record behind as a stream head,
    // which pruning keeps: a growth no steady city has).
    let sensors: SensorState[][] = Array.from({ length: GATEWAYS }, () => Array.from({ length: IDENTITIES }, newSensor));
    for (const [c, target] of checkpoints.entries()) {
      let acked = 0;
      let seconds = 0;
      const ackLatency: number[] = [];
      let lastAcks: { id: string; ackMs: number }[] = [];
      while (stored < target) {
        // A chunk lasts what the node needs for the rest of the interval at the rate it managed
        // last (a node slower than offered otherwise ends each interval in ever smaller chunks),
        // and at least 5 s, so the start-up of its gateways stays a small part of it.
        const n = Math.min(CHUNK, Math.max(target - stored, Math.round(5 * Math.min(rate, managed))));
        const seeds = Array.from({ length: GATEWAYS }, () => randomBytes(32).toString("hex"));
        const funding = await fund(node, seeds);
        // Confirmed before the load (fund waits 10 s at most): the next chunk's funding spends the
        // dev wallet's change of this one, which an unconfirmed funding would leave unknown.
        const funded = toHex(addressOf(keyPairFromSeed(fromHex(seeds[0])).publicKey));
        for (const t = Date.now(); !(await node.client.request<any>("getOutputs", { address: funded })).outputs.length; await sleep(250)) {
          if (Date.now() - t > 60_000) throw new Error("storage bench: the gateways' funding was not confirmed within 60 s");
        }
        const r = await runLoad([node], "storage", rate, (n / Math.min(rate, managed)) * 1000, funding, seeds, undefined, "move", sensors);
        sensors = r.sensors;
        const rejected = r.results.filter((x) => x.name === "node-rejected").reduce((a, x) => a + x.value, 0);
        if (rejected > n / 100) {
          const codes = r.results.filter((x) => x.name === "node-rejected").map((x) => `${x.params.code} ${x.value}`);
          throw new Error(`storage bench: ${rejected} of ${n} transactions refused (${codes.join(", ")})`);
        }
        // Every gateway's transfer chain moved on from its funding, and a later link was confirmed.
        for (const [g, seed] of seeds.entries()) {
          const address = toHex(addressOf(keyPairFromSeed(fromHex(seed)).publicKey));
          for (const t = Date.now(); ; await sleep(250)) {
            const outs = (await node.client.request<any>("getOutputs", { address })).outputs as { txId: string }[];
            if (outs.length === 1 && outs[0].txId !== funding[g].txId) break;
            if (Date.now() - t > 10_000) throw new Error(`storage bench: gateway ${g}'s transfers were not confirmed within 10 s of its load (its outputs: ${JSON.stringify(outs)})`);
          }
        }
        const chunkSeconds = Number(r.results.find((x) => x.name === "node-accepted")?.params.seconds ?? 0);
        if (r.acks.length > 0 && chunkSeconds > 0) managed = Math.max(100, r.acks.length / chunkSeconds);
        acked += r.acks.length;
        seconds += chunkSeconds;
        for (const a of r.acks) ackLatency.push(a.ackMs - a.sentMs);
        lastAcks = r.acks;
        const info = await node.client.request<any>("getNodeInfo");
        stored = info.storedTransactions;
        const elapsed = (Date.now() - started) / 1000;
        const eta = stored > 0 ? Math.max(0, (elapsed * (total - stored)) / stored) : NaN;
        log(
          `storage: ${thousands(stored)} of ${thousands(total)} stored, ${thousands(Math.round(r.acks.length / Math.max(0.001, chunkSeconds)))} tx/s, ` +
            `pruning index ${info.pruning.index}, milestone ${info.confirmedMilestoneIndex}, ${MiB(info.database.pagesInUse * info.database.pageSize)} MiB in use of a ${MiB(info.database.fileBytes)} MiB file, ` +
            `${Math.round(elapsed)} s elapsed${Number.isFinite(eta) ? `, about ${Math.round(eta / 60)} min left` : ""}`,
        );
        progress(Math.min(stored, total), total, `stored ${stored}`);
      }
      // Checkpoint: figures now, a sample to check, then a restart.
      const m = await metrics(node);
      hwm = Math.max(hwm, m.peak || 0); // the true peak of this process, restart included
      const { confirmed: latest, unconfirmed } = await track(node, newest(lastAcks));
      if (c === 0) firstSample = latest;
      const before = await node.client.request<any>("getNodeInfo");
      kills += node.cgroup?.oomKills() ?? 0;
      cgroupPeak = Math.max(cgroupPeak, node.cgroup?.peakBytes() ?? 0);
      const tStop = performance.now();
      await node.stop();
      const stopMs = performance.now() - tStop;
      const tStart = performance.now();
      node = await startBenchNode(nodeArgs, nodeOpts);
      const after = await node.client.request<any>("getNodeInfo");
      const restartMs = performance.now() - tStart;
      const opened = await metrics(node);

      // Checks: nothing moved back, nothing acknowledged is lost.
      if (after.confirmedMilestoneIndex < before.confirmedMilestoneIndex || after.storedTransactions < before.storedTransactions) {
        throw new Error(`storage bench: the node restarted into an earlier state (milestone ${after.confirmedMilestoneIndex} < ${before.confirmedMilestoneIndex} or stored ${after.storedTransactions} < ${before.storedTransactions})`);
      }
      if (before.confirmedMilestoneIndex < ledgerIndex) throw new Error(`storage bench: the ledger index moved back from ${ledgerIndex} to ${before.confirmedMilestoneIndex}`);
      if (after.pruning.index < before.pruning.index || before.pruning.index < pruningIndex) {
        throw new Error(`storage bench: the pruning index moved back (${pruningIndex} → ${before.pruning.index} → ${after.pruning.index} after the restart)`);
      }
      if (!prunes && after.pruning.index !== 0) throw new Error(`storage bench: an archive node pruned (pruning index ${after.pruning.index})`);
      const newSample = await verify(node, latest, `checkpoint ${c + 1}, its newest records`);
      // Not confirmed yet, so not prunable: stored, whatever the pruning index.
      for (const id of unconfirmed) {
        if (!(await node.client.request<any>("getTransaction", { id }).catch(() => undefined))) throw new Error(`storage bench: acknowledged ${id}, unconfirmed, is not stored after the restart`);
      }
      const oldSample = c === 0 ? newSample : await verify(node, firstSample, `checkpoint ${c + 1}, the first checkpoint's records`);
      if (!prunes && oldSample.pruned + newSample.pruned > 0) throw new Error("storage bench: an archive node answered ERR_PRUNED");
      const wasPruned = figures.length > 0 && figures[figures.length - 1].pruningIndex > 0;
      if (prunes && wasPruned && before.pruning.index <= pruningIndex) {
        throw new Error(`storage bench: pruning stopped: the pruning index stayed at ${pruningIndex} from ${thousands(figures[figures.length - 1].stored)} to ${thousands(before.storedTransactions)} stored`);
      }
      ledgerIndex = after.confirmedMilestoneIndex;
      pruningIndex = after.pruning.index;

      const db = before.database as { pagesInUse: number; pageSize: number; fileBytes: number; tables?: Record<string, number> };
      const fig: Figures = {
        stored: before.storedTransactions,
        throughput: Math.round(acked / Math.max(0.001, seconds)),
        pagesInUse: db.pagesInUse,
        fileBytes: db.fileBytes,
        rss: m.rss,
        heap: m.heap,
        restartMs: Math.round(restartMs),
        pruningIndex: before.pruning.index,
        ledgerIndex: before.confirmedMilestoneIndex,
        tables: db.tables,
        pageSize: db.pageSize,
      };
      figures.push(fig);
      const params = { storedTransactions: fig.stored, pruning, memoryLimit: limit };
      results.push({ name: "storage-throughput", params: { ...params, seconds: Number(seconds.toFixed(1)), offeredPerSecond: rate }, metric: "acknowledged", value: fig.throughput, unit: "tx/s" });
      results.push({ name: "storage-ack-latency", params, metric: "latency-p50", value: Number(median(ackLatency).toFixed(2)), unit: "ms" });
      results.push({ name: "storage-ack-latency", params, metric: "latency-p99", value: Number(percentile(ackLatency, 99).toFixed(2)), unit: "ms" });
      results.push({ name: "database", params: { ...params, pageSize: db.pageSize }, metric: "pages-in-use", value: db.pagesInUse, unit: "pages" });
      results.push({ name: "database", params, metric: "in-use", value: MiB(db.pagesInUse * db.pageSize), unit: "MiB" });
      results.push({ name: "database", params, metric: "file", value: MiB(db.fileBytes), unit: "MiB" });
      for (const [table, pages] of Object.entries(db.tables ?? {})) results.push({ name: "database-table", params: { ...params, table }, metric: "pages-in-use", value: pages, unit: "pages" });
      // The sensors go on with their streams: as many as at the start, each one's sequence grown.
      const nexts = sensors.flat().map((x) => x.next);
      results.push({ name: "sensors", params, metric: "streams", value: nexts.length, unit: "streams" });
      results.push({ name: "sensors", params, metric: "records-per-stream-max", value: Math.max(...nexts), unit: "records" });
      results.push({ name: "db-size", params, metric: "bytes-per-transaction", value: Math.round(m.db / fig.stored), unit: "B" });
      results.push({ name: "pruning", params, metric: "pruning-index", value: fig.pruningIndex, unit: "milestone" });
      results.push({ name: "pruning", params, metric: "ledger-index", value: before.confirmedMilestoneIndex, unit: "milestone" });
      results.push({ name: "node-memory", params, metric: "rss", value: MiB(m.rss), unit: "MiB" });
      results.push({ name: "node-memory", params, metric: "anonymous", value: MiB(m.anon), unit: "MiB" });
      results.push({ name: "node-memory", params, metric: "file-backed", value: MiB(m.file), unit: "MiB" });
      results.push({ name: "node-memory", params, metric: "heap-used", value: MiB(m.heap), unit: "MiB" });
      results.push({ name: "node-memory", params, metric: "rss-peak-so-far", value: MiB(peak.rss), unit: "MiB" });
      if (hwm) results.push({ name: "node-memory", params, metric: "rss-high-water-so-far", value: MiB(hwm), unit: "MiB" });
      results.push({ name: "node-memory", params, metric: "anonymous-peak-so-far", value: MiB(peak.anon), unit: "MiB" });
      results.push({ name: "restart", params, metric: "until-answering", value: fig.restartMs, unit: "ms" });
      results.push({ name: "restart", params, metric: "open-time", value: node.startupMs, unit: "ms" });
      results.push({ name: "restart", params, metric: "until-listening", value: Math.round(node.readyMs), unit: "ms" });
      results.push({ name: "restart", params, metric: "stop", value: Math.round(stopMs), unit: "ms" });
      if (opened.peak) results.push({ name: "restart", params, metric: "rss-high-water", value: MiB(opened.peak), unit: "MiB" });
      results.push({ name: "sample-newest", params: { ...params, sampled: latest.length }, metric: "stored", value: newSample.stored, unit: "tx" });
      results.push({ name: "sample-newest", params: { ...params, sampled: latest.length }, metric: "pruned", value: newSample.pruned, unit: "tx" });
      results.push({ name: "sample-newest", params: { ...params, sampled: latest.length + unconfirmed.length }, metric: "unconfirmed-stored", value: unconfirmed.length, unit: "tx" });
      results.push({ name: "sample-first", params: { ...params, sampled: firstSample.length }, metric: "stored", value: oldSample.stored, unit: "tx" });
      results.push({ name: "sample-first", params: { ...params, sampled: firstSample.length }, metric: "pruned", value: oldSample.pruned, unit: "tx" });
      log(
        `storage: checkpoint ${c + 1} of ${checkpoints.length} at ${thousands(fig.stored)}: ${thousands(fig.throughput)} tx/s over ${seconds.toFixed(0)} s, ` +
          `${thousands(db.pagesInUse)} pages in use (${MiB(db.pagesInUse * db.pageSize)} MiB; file ${MiB(db.fileBytes)} MiB), RSS ${MiB(m.rss)} MiB, heap ${MiB(m.heap)} MiB, ` +
          `pruning index ${fig.pruningIndex} of ${before.confirmedMilestoneIndex}, restart ${(restartMs / 1000).toFixed(1)} s; ` +
          `newest sample ${newSample.stored} stored / ${newSample.pruned} pruned (${unconfirmed.length} not confirmed after 5 s, stored), first sample ${oldSample.stored} / ${oldSample.pruned}`,
      );
      await opts.partial?.([...results, ...flatness(figures, pruning)]);
    }
    // A pruned run long enough to prune has pruned (the window, then the depth, hold back the rest).
    if (prunes && pruningIndex === 0 && stored > 2 * WINDOW + depth * (rate / 4)) {
      throw new Error(`storage bench: nothing was pruned in ${thousands(stored)} transactions at depth ${depth}`);
    }
    if (prunes && pruningIndex === 0) log(`storage: nothing pruned yet: the node keeps its recent window of ${thousands(WINDOW)} arrivals whatever the depth; run longer to see pruning`);
    const last = await metrics(node);
    hwm = Math.max(hwm, last.peak || 0);
    const whole = { storedTransactions: stored, pruning, memoryLimit: limit };
    results.push({ name: "node-memory", params: whole, metric: "rss-peak-sampled", value: MiB(peak.rss), unit: "MiB" });
    if (hwm) results.push({ name: "node-memory", params: whole, metric: "rss-high-water", value: MiB(hwm), unit: "MiB" });
    kills += node.cgroup?.oomKills() ?? 0;
    // Memory charged to the group: the node's own plus the page cache of the database it wrote.
    if (node.cgroup) results.push({ name: "memory-limit", params: { limit }, metric: "cgroup-peak", value: MiB(Math.max(cgroupPeak, node.cgroup.peakBytes())), unit: "MiB" });
    results.push({ name: "memory-limit", params: { limit }, metric: "oom-kills", value: kills, unit: "count" });
    if (kills) throw new Error(`storage bench: the node was killed for memory ${kills} time(s) under a ${limit} limit`);
    const summary = flatness(figures, pruning);
    results.push(...summary);
    for (const s of summary) {
      if (s.name === "storage-flatness") log(`storage: flatness ${s.metric}: ${s.value.toFixed(2)} x (${thousands(Number(s.params.from))} → ${thousands(Number(s.params.to))} stored)`);
      else log(`storage: growth ${s.metric}${s.params.table ? ` (${s.params.table})` : ""}: ${thousands(s.value)} ${s.unit} (${thousands(Number(s.params.from))} → ${thousands(Number(s.params.to))} stored)`);
    }
    if (!summary.length) log(`storage: no flatness summary: ${prunes ? "fewer than two checkpoints after the first prune" : "fewer than two checkpoints"}`);
    return results;
  } finally {
    clearInterval(sampler);
    await node.stop();
    process.off("exit", removeDir);
    removeDir();
  }
}

/**
 * Each figure's ratio of the last checkpoint to the base: the first checkpoint after the first prune
 * (pruned: the cost before it grows with nothing deleted yet), or the first checkpoint (archive).
 * Nothing when there is no later checkpoint than the base.
 */
export function flatness(figures: readonly Figures[], pruning: number | "off"): BenchResult[] {
  const base = pruning === "off" ? figures[0] : figures.find((f) => f.pruningIndex > 0);
  const last = figures[figures.length - 1];
  if (!base || !last || base === last) return [];
  const params = { pruning, from: base.stored, to: last.stored };
  const ratio = (a: number, b: number) => Number((a / b).toFixed(3));
  return [
    { name: "storage-flatness", params, metric: "throughput", value: ratio(last.throughput, base.throughput), unit: "x" },
    { name: "storage-flatness", params, metric: "pages-in-use", value: ratio(last.pagesInUse, base.pagesInUse), unit: "x" },
    { name: "storage-flatness", params, metric: "file-bytes", value: ratio(last.fileBytes, base.fileBytes), unit: "x" },
    { name: "storage-flatness", params, metric: "rss", value: ratio(last.rss, base.rss), unit: "x" },
    { name: "storage-flatness", params, metric: "heap", value: ratio(last.heap, base.heap), unit: "x" },
    { name: "storage-flatness", params, metric: "restart", value: ratio(last.restartMs, base.restartMs), unit: "x" },
    ...growth(base, last, params),
  ];
}

/**
 * What the pages in use grew by between two checkpoints, per transaction stored and per milestone
 * confirmed in between, and by table (the tables that grew, largest first): on a pruned node, what
 * it keeps forever (milestones, stream heads, the ledger) against an archive node's whole history.
 */
export function growth(base: Figures, last: Figures, params: Record<string, unknown>): BenchResult[] {
  const pageSize = last.pageSize ?? 4096;
  const grown = (last.pagesInUse - base.pagesInUse) * pageSize;
  const out: BenchResult[] = [];
  const stored = last.stored - base.stored;
  if (stored > 0) out.push({ name: "storage-growth", params, metric: "bytes-per-transaction", value: Math.round(grown / stored), unit: "B" });
  const milestones = (last.ledgerIndex ?? 0) - (base.ledgerIndex ?? 0);
  if (base.ledgerIndex !== undefined && last.ledgerIndex !== undefined && milestones > 0) {
    out.push({ name: "storage-growth", params, metric: "bytes-per-milestone", value: Math.round(grown / milestones), unit: "B" });
  }
  if (base.tables && last.tables) {
    const rows = Object.keys(last.tables)
      .map((table) => ({ table, pages: last.tables![table] - (base.tables![table] ?? 0) }))
      .filter((r) => r.pages !== 0)
      .sort((a, b) => b.pages - a.pages);
    for (const r of rows) out.push({ name: "storage-growth", params: { ...params, table: r.table }, metric: "table-pages", value: r.pages, unit: "pages" });
  }
  return out;
}
