/**
 * Confirmation benchmark (issue 16, "every accepted transaction confirmed"): real node processes
 * on the dev network (a milestone every 250 ms) take four traffic patterns, and for each the suite
 * reports which share of the acknowledged transactions a milestone confirmed within two milestone
 * intervals of the acknowledgement, within 10 s, and never (still unconfirmed after a settle time),
 * and the confirmation latency p50/p99.
 *
 * - burst: 520 data records sent in 0.4 s, all attached to the same two parents;
 * - lone: one sensor sends one record every T (60 s; 3 s with --quick), parents asked for each;
 * - steady: 1,000 records/s for 20 s (5 s with --quick), each on four parents asked of the node for it;
 * - steady-shared-parents: the same, but parents asked every 25 ms and shared by the records sent
 *   meanwhile (two of eight picks each), as a gateway that batches its requests attaches;
 * - non-member: the burst, sent to a follower node peered with the coordinating node.
 *
 * The network is the dev network's one coordinator unless BENCH_CONFIRMATION_COMMITTEE=N: then it
 * is made by `tangle network init --committee N` (k = ⌊2N/3⌋ + 1, 250 ms milestones, the dev
 * difficulty), its N members are node processes in a ring, the patterns go to member 1, the
 * non-member burst to a follower peered with member 1, and the milestones are signed in rounds,
 * the round's proposer sweeping the checkpoints (docs/committee.md). BENCH_CONFIRMATION_INTERVAL_MS
 * sets another milestone interval (default 250 ms; "within two intervals" is of that interval).
 *
 * Latency runs from the acknowledgement (read here) to the moment the node that took the record
 * stored the milestone that confirmed it: that milestone's `receivedMs` (getTransactionMetadata),
 * on the same machine clock. Which milestone confirmed a record comes from the `confirmed` topic;
 * after the settle time every record not seen there is asked for (getTransactionMetadata), so
 * "never" is the node's own answer. Checked: every acknowledged record is stored, and a sample
 * confirmed by push has the same `confirmedBy` in its metadata.
 *
 * The cost of checkpoints (docs/checkpoints.md): per pattern, how many transactions other than
 * its own the milestones that confirmed its records confirmed (nothing else sends here, so those
 * are the issuing node's checkpoints), mean and max per milestone; and the proof of work of one
 * checkpoint, timed in this process as the node does it.
 *
 * BENCH_CONFIRMATION_PATTERNS (comma separated) runs some patterns only (the full lone run takes
 * five minutes).
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { attach, signTransaction, SignedEssence, stampSync } from "../../client/protocol/build";
import { fromHex } from "../../client/protocol/bytes";
import { powRoot } from "../../client/protocol/codec";
import { keyPairFromSeed } from "../../client/protocol/keys";
import { validatePow } from "../../core-wasm/src/pow";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";
import { devGenesis } from "../../node/networks/dev";
import { defaultThreshold, parseGenesis } from "../../node/ledger/genesis";
import { requiredDifficulty } from "../../node/validation/pipeline";
import { ApiClient } from "../../client/node";
import { isTransient } from "../../client/api/errors";
import { BenchResult, median, percentile, SuiteOptions } from "../lib/report";
import { BenchNode, startBenchNode } from "../lib/processes";

export const MILESTONE_MS = 250;
export const BURST_RECORDS = 520;
export const BURST_MS = 400;
const STEADY_RATE = 1000;
/** Issuers for the burst and the steady load: each stays inside the adaptive-PoW allowance (50/s over 10 s). */
const ISSUERS = 100;
/** In this order: the follower of the non-member burst syncs the history before it, so it comes before the steady loads. */
const PATTERNS = ["burst", "non-member", "lone", "steady", "steady-shared-parents"] as const;
type Pattern = (typeof PATTERNS)[number];

interface Ack {
  id: string;
  ackMs: number;
}

/** What one pattern produced: acknowledgements, and refusals by code. */
interface Sent {
  acks: Ack[];
  rejected: Record<string, number>;
  /** Transient refusals, retried (by code). */
  retried: Record<string, number>;
  lastAckMs: number;
}

/** Keeps this process's queries under the node's request rate limit (2,000/s per connection): at most 1,000/s. */
function pacer(): () => Promise<void> {
  let n = 0;
  let t0 = performance.now();
  return async () => {
    if (++n < 100) return;
    const wait = t0 + 100 - performance.now();
    if (wait > 0) await sleep(wait);
    n = 0;
    t0 = performance.now();
  };
}

const wallMs = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What records are signed and stamped for: the network's id and base difficulty. */
interface NetParams {
  networkId: number;
  baseDifficulty: number;
}

/** Signed data records (one fresh stream each), spread over `ISSUERS` keys; parents come later. */
function signRecords(net: NetParams, count: number): SignedEssence[] {
  const { networkId } = net;
  const keys = Array.from({ length: Math.min(ISSUERS, count) }, () => keyPairFromSeed(randomBytes(32)));
  return Array.from({ length: count }, (_, i) => {
    const k = keys[i % keys.length];
    return signTransaction(
      { version: PROTOCOL_VERSION, networkId, issuer: k.publicKey, payload: { type: "data", streamId: randomBytes(32), sequence: 0, prevRecordId: new Uint8Array(32), contentType: "application/octet-stream", data: randomBytes(64) } },
      k.secretKey,
    );
  });
}

function stamped(net: NetParams, signed: SignedEssence, parents: readonly string[]): Uint8Array {
  const bytes = attach(signed, parents.map((p) => fromHex(p)), Date.now());
  return stampSync(bytes, requiredDifficulty(bytes.length, net.baseDifficulty));
}

/**
 * Submits one transaction; counts the acknowledgement or the refusal (by code). A refusal the
 * client library would retry (isTransient: the node briefly busy) is retried the same way, with
 * the same bytes, up to 20 times, and counted in `retried`.
 */
async function submitOne(client: ApiClient, bytes: Uint8Array, out: Sent): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await client.submitTransaction(bytes);
      const ackMs = wallMs();
      if (!r.duplicate) out.acks.push({ id: r.id, ackMs });
      out.lastAckMs = Math.max(out.lastAckMs, ackMs);
      return;
    } catch (err) {
      const code = String((err as { code?: unknown }).code ?? "no code");
      if (isTransient(err) && attempt < 20) {
        out.retried[code] = (out.retried[code] ?? 0) + 1;
        await sleep(10 * attempt);
        continue;
      }
      out.rejected[code] = (out.rejected[code] ?? 0) + 1;
      return;
    }
  }
}

/** `BURST_RECORDS` records on the same two parents (asked once), stamped first, sent evenly over `BURST_MS`. */
async function burst(net: NetParams, client: ApiClient): Promise<Sent> {
  const parents = await client.selectParents(2);
  const txs = signRecords(net, BURST_RECORDS).map((s) => stamped(net, s, parents));
  const out: Sent = { acks: [], rejected: {}, retried: {}, lastAckMs: 0 };
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  let i = 0;
  while (i < txs.length) {
    const due = Math.min(txs.length, Math.ceil(((performance.now() - t0) / BURST_MS) * txs.length));
    while (i < due) pending.push(submitOne(client, txs[i++], out));
    await sleep(2);
  }
  await Promise.all(pending);
  return out;
}

/**
 * One record every `everyMs` (plus up to one milestone interval at random, so that the records do
 * not all land at one phase of the milestone timer), `count` times; parents asked right before each.
 */
async function lone(net: NetParams, client: ApiClient, count: number, everyMs: number, intervalMs: number): Promise<Sent> {
  const out: Sent = { acks: [], rejected: {}, retried: {}, lastAckMs: 0 };
  const signed = signRecords(net, count);
  for (let i = 0; i < count; i++) {
    if (i > 0) await sleep(everyMs + Math.random() * intervalMs);
    await submitOne(client, stamped(net, signed[i], await client.selectParents(2)), out);
  }
  return out;
}

/**
 * `STEADY_RATE` records per second for `durationMs`, each attached as the client library attaches
 * (client/attach.ts): four parents asked of the node for it, then stamped and submitted; over four
 * connections, at most 48 records under way on each (one that would exceed that is not sent, and
 * counted as skipped). With `shared`, parents are asked every 25 ms instead (eight URTS picks)
 * and each record takes two of the latest picks, as a gateway that batches its requests does.
 */
async function steady(net: NetParams, clients: ApiClient[], durationMs: number, shared = false): Promise<Sent & { skipped: number }> {
  const signed = signRecords(net, Math.ceil((STEADY_RATE * durationMs) / 1000));
  const out: Sent & { skipped: number } = { acks: [], rejected: {}, retried: {}, lastAckMs: 0, skipped: 0 };
  const inFlight = clients.map(() => 0);
  const pending: Promise<void>[] = [];
  let picks = shared ? await clients[0].selectParents(8) : [];
  let refreshing = false;
  const refresh = shared
    ? setInterval(() => {
        if (refreshing) return;
        refreshing = true;
        void clients[0].selectParents(8).then((p) => (picks = p), () => undefined).finally(() => (refreshing = false));
      }, 25)
    : undefined;
  const twoPicks = () => {
    const a = picks[Math.floor(Math.random() * picks.length)];
    const rest = picks.filter((p) => p !== a);
    return rest.length ? [a, rest[Math.floor(Math.random() * rest.length)]] : [a];
  };
  const one = async (c: ApiClient, s: SignedEssence) => {
    let parents: string[];
    try {
      parents = shared ? twoPicks() : await c.selectParents(4);
    } catch (err) {
      const code = String((err as { code?: unknown }).code ?? "no code");
      out.rejected[code] = (out.rejected[code] ?? 0) + 1;
      return;
    }
    await submitOne(c, stamped(net, s, parents), out);
  };
  const t0 = performance.now();
  let i = 0;
  while (i < signed.length) {
    const due = Math.min(signed.length, Math.floor(((performance.now() - t0) * STEADY_RATE) / 1000));
    while (i < due) {
      const c = i % clients.length;
      const s = signed[i++];
      if (inFlight[c] >= 48) {
        out.skipped++;
        continue;
      }
      inFlight[c]++;
      pending.push(one(clients[c], s).finally(() => inFlight[c]--));
    }
    await sleep(2);
  }
  await Promise.all(pending);
  clearInterval(refresh);
  return out;
}

/** What the `confirmed` topic said, from the moment of subscribing. */
interface Confirmations {
  /** Transaction id -> index of the milestone that confirmed it. */
  by: Map<string, number>;
  /** Milestone index -> the ids it confirmed. */
  ids: Map<number, string[]>;
}

/** The node's own record of which milestone confirmed what (the `confirmed` topic), from now on. */
function watchConfirmations(client: ApiClient): Confirmations {
  const c: Confirmations = { by: new Map(), ids: new Map() };
  client.on("push", ({ topic, data }: { topic: string; data: any }) => {
    if (topic !== "confirmed") return;
    c.ids.set(data.milestoneIndex, data.ids);
    for (const id of data.ids as string[]) if (!c.by.has(id)) c.by.set(id, data.milestoneIndex);
  });
  return c;
}

/**
 * After `settleMs`: the share of acknowledged records confirmed within two milestone intervals,
 * within 10 s, and not at all, and latency p50/p99, as results; checks the node's answers.
 */
async function evaluate(client: ApiClient, pattern: Pattern, sent: Sent, confirmations: Confirmations, settleMs: number, params: Record<string, unknown>): Promise<BenchResult[]> {
  await sleep(settleMs);
  const confirmedBy = confirmations.by;
  const n = sent.acks.length;
  if (n === 0) throw new Error(`confirmation bench (${pattern}): nothing was acknowledged (${JSON.stringify(sent.rejected)})`);
  // Records the topic did not name: the node's metadata says whether they were confirmed since.
  const pace = pacer();
  let never = 0;
  for (const a of sent.acks) {
    if (confirmedBy.has(a.id)) continue;
    await pace();
    const m = await client.getTransactionMetadata(a.id);
    if (m.confirmedBy === null || m.confirmedBy === undefined) never++;
    else confirmedBy.set(a.id, m.confirmedBy);
  }
  // When each confirming milestone was stored on this node.
  const storedAt = new Map<number, number>();
  for (const index of new Set(sent.acks.map((a) => confirmedBy.get(a.id)).filter((x): x is number => x !== undefined))) {
    await pace();
    const ms = await client.getMilestone(index);
    storedAt.set(index, (await client.getTransactionMetadata(ms.id)).receivedMs);
  }
  // Checks: every acknowledged record is stored; a sample's metadata agrees with the topic.
  const step = Math.max(1, Math.floor(n / 100));
  for (let k = 0; k < n; k += step) {
    const a = sent.acks[k];
    await pace();
    await client.getTransaction(a.id);
    const m = await client.getTransactionMetadata(a.id);
    const want = confirmedBy.get(a.id) ?? null;
    if ((m.confirmedBy ?? null) !== want) throw new Error(`confirmation bench (${pattern}): ${a.id} confirmedBy ${m.confirmedBy} on the node, ${want} by the confirmed topic`);
  }
  // An acknowledgement read after the milestone was stored counts as latency 0.
  const latency = sent.acks.filter((a) => confirmedBy.has(a.id)).map((a) => Math.max(0, storedAt.get(confirmedBy.get(a.id)!)! - a.ackMs));
  const within = (ms: number) => latency.filter((l) => l <= ms).length / n;
  const p = { pattern, ...params, acknowledged: n, settleSeconds: settleMs / 1000 };
  const out: BenchResult[] = [
    { name: "confirmation-share", params: p, metric: "within-2-intervals", value: Number(within(2 * Number(params.milestoneIntervalMs)).toFixed(4)), unit: "ratio" },
    { name: "confirmation-share", params: p, metric: "within-10s", value: Number(within(10_000).toFixed(4)), unit: "ratio" },
    { name: "confirmation-share", params: p, metric: "never", value: Number((never / n).toFixed(4)), unit: "ratio" },
    { name: "confirmation-count", params: p, metric: "never", value: never, unit: "tx" },
  ];
  if (latency.length) {
    out.push({ name: "confirmation-latency", params: p, metric: "latency-p50", value: Number(median(latency).toFixed(1)), unit: "ms" });
    out.push({ name: "confirmation-latency", params: p, metric: "latency-p99", value: Number(percentile(latency, 99).toFixed(1)), unit: "ms" });
  }
  // What else the milestones that confirmed these records confirmed: nothing but this suite sends
  // transactions, so those are the issuing node's checkpoints (none before checkpoints existed).
  const mine = new Set(sent.acks.map((a) => a.id));
  const others = [...storedAt.keys()].map((index) => (confirmations.ids.get(index) ?? []).filter((id) => !mine.has(id)).length);
  if (others.length) {
    out.push({ name: "confirmation-checkpoints", params: p, metric: "per-milestone-mean", value: Number((others.reduce((a, b) => a + b, 0) / others.length).toFixed(1)), unit: "tx" });
    out.push({ name: "confirmation-checkpoints", params: p, metric: "per-milestone-max", value: Math.max(...others), unit: "tx" });
    out.push({ name: "confirmation-checkpoints", params: p, metric: "milestones", value: others.length, unit: "milestones" });
  }
  for (const [code, count] of Object.entries(sent.rejected)) out.push({ name: "confirmation-rejected", params: { ...p, code }, metric: "count", value: count, unit: "tx" });
  for (const [code, count] of Object.entries(sent.retried)) out.push({ name: "confirmation-retried", params: { ...p, code }, metric: "count", value: count, unit: "tx" });
  return out;
}

/**
 * The proof of work of one checkpoint as the issuing node does it (node/checkpoints.ts: eight
 * parents, the network's base difficulty, stampSync), timed here on 500 of them; checked valid.
 */
function checkpointPow(): BenchResult[] {
  const { networkId, baseDifficulty } = devGenesis();
  const k = keyPairFromSeed(randomBytes(32));
  const signed = signTransaction({ version: PROTOCOL_VERSION, networkId, issuer: k.publicKey, payload: { type: "checkpoint", milestoneIndex: 1 } }, k.secretKey);
  const parents = Array.from({ length: 8 }, () => randomBytes(32));
  const times: number[] = [];
  let size = 0;
  for (let i = 0; i < 500; i++) {
    const bytes = attach(signed, parents, Date.now() + i);
    size = bytes.length;
    const difficulty = requiredDifficulty(bytes.length, baseDifficulty);
    const t0 = performance.now();
    stampSync(bytes, difficulty, BigInt(i) << 32n);
    times.push((performance.now() - t0) * 1000);
    const nonce = new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getBigUint64(bytes.length - 8, true);
    if (!validatePow(powRoot(bytes), nonce, difficulty)) throw new Error("confirmation bench: a stamped checkpoint misses its difficulty");
  }
  const params = { bytes: size, parents: 8, difficulty: requiredDifficulty(size, baseDifficulty), samples: times.length };
  return [
    { name: "checkpoint-pow", params, metric: "mean", value: Number((times.reduce((a, b) => a + b, 0) / times.length).toFixed(1)), unit: "µs" },
    { name: "checkpoint-pow", params, metric: "latency-p50", value: Number(median(times).toFixed(1)), unit: "µs" },
    { name: "checkpoint-pow", params, metric: "latency-p99", value: Number(percentile(times, 99).toFixed(1)), unit: "µs" },
  ];
}

const coordinatorArgs = (intervalMs: number) => ["--network", "dev", "--coordinator-key", "dev", "--milestone-interval-ms", String(intervalMs), "--no-remote-pow"];

const BIN = [path.join(__dirname, "..", "..", "..", "bin", "tangle.js"), path.join(__dirname, "..", "..", "bin", "tangle.js")].find((p) => fs.existsSync(p))!;

/** The network under test: the node the patterns go to, every node started, and how a follower joins. */
interface Network {
  entry: BenchNode;
  nodes: BenchNode[];
  net: NetParams;
  followerArgs: string[];
  /** In every result's params. */
  params: Record<string, unknown>;
  dir?: string;
}

/**
 * The dev network's coordinator, or (committee = N) a network of N members with k = ⌊2N/3⌋ + 1
 * made by `tangle network init`, the members in a ring (each peers with the one before it, the
 * last with the first too).
 */
async function startNetwork(committee: number | undefined, intervalMs: number, nodes: BenchNode[]): Promise<Network> {
  if (committee === undefined) {
    const coordinator = await startBenchNode(coordinatorArgs(intervalMs));
    nodes.push(coordinator);
    return { entry: coordinator, nodes, net: devGenesis(), followerArgs: ["--network", "dev", "--peer", coordinator.url, "--no-remote-pow"], params: { committee: 1, threshold: 1, milestoneIntervalMs: intervalMs } };
  }
  const k = defaultThreshold(committee);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tangle-confirmation-${committee}-`));
  execFileSync(process.execPath, [BIN, "network", "init", "--out", dir, "--name", `confirm${committee}`, "--committee", String(committee), "--threshold", String(k), "--interval-ms", String(intervalMs), "--json"], { stdio: "pipe" });
  const genesisFile = path.join(dir, "genesis.json");
  const genesis = parseGenesis(fs.readFileSync(genesisFile, "utf8"));
  for (let i = 1; i <= committee; i++) {
    const peers = i === 1 ? [] : [nodes[i - 2].url, ...(i === committee && committee > 2 ? [nodes[0].url] : [])];
    nodes.push(await startBenchNode(["--network", genesisFile, "--coordinator-key", path.join(dir, `committee-${i}.key`), "--no-remote-pow", ...peers.flatMap((p) => ["--peer", p])], { dir: path.join(dir, `data-${i}`) }));
  }
  return { entry: nodes[0], nodes, net: genesis, followerArgs: ["--network", genesisFile, "--peer", nodes[0].url, "--no-remote-pow"], params: { committee, threshold: k, milestoneIntervalMs: intervalMs }, dir };
}

async function waitFor(client: ApiClient, ok: (info: any) => boolean, what: string, withinMs = 20_000): Promise<void> {
  for (const t0 = Date.now(); Date.now() - t0 < withinMs; await sleep(50)) if (ok(await client.getNodeInfo())) return;
  throw new Error(`confirmation bench: ${what} within ${withinMs / 1000} s`);
}

export async function runConfirmationSuite(opts: SuiteOptions = {}): Promise<BenchResult[]> {
  const quick = Boolean(opts.quick);
  const progress = opts.progress ?? (() => {});
  const only = (process.env.BENCH_CONFIRMATION_PATTERNS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  for (const o of only) if (!(PATTERNS as readonly string[]).includes(o)) throw new Error(`BENCH_CONFIRMATION_PATTERNS: unknown pattern ${o} (${PATTERNS.join(", ")})`);
  const committeeEnv = process.env.BENCH_CONFIRMATION_COMMITTEE;
  const committee = committeeEnv ? Number(committeeEnv) : undefined;
  if (committee !== undefined && !(Number.isInteger(committee) && committee >= 2 && committee <= 10)) throw new Error(`BENCH_CONFIRMATION_COMMITTEE: ${committeeEnv} is not a committee size of 2..10`);
  const intervalEnv = process.env.BENCH_CONFIRMATION_INTERVAL_MS;
  const intervalMs = intervalEnv ? Number(intervalEnv) : MILESTONE_MS;
  if (!(Number.isInteger(intervalMs) && intervalMs >= 100 && intervalMs <= 10_000)) throw new Error(`BENCH_CONFIRMATION_INTERVAL_MS: ${intervalEnv} is not a milestone interval of 100..10000 ms`);
  const patterns = PATTERNS.filter((x) => only.length === 0 || only.includes(x));
  const settleMs = quick ? 5000 : 10_000;
  const loneEveryMs = quick ? 3000 : 60_000;
  const loneCount = quick ? 6 : 5;
  const steadyMs = quick ? 5000 : 20_000;
  const all: BenchResult[] = [];
  const nodes: BenchNode[] = [];
  let dir: string | undefined;
  let step = 0;
  try {
    progress(step, patterns.length, committee ? `starting ${committee} committee members` : "starting the coordinating node");
    const network = await startNetwork(committee, intervalMs, nodes);
    dir = network.dir;
    const { entry, net } = network;
    for (const node of network.nodes) await waitFor(node.client, (i) => i.confirmedMilestoneIndex >= 2, "no milestone");
    await entry.client.request("subscribe", { topics: ["confirmed"] });
    const confirmed = watchConfirmations(entry.client);
    for (const pattern of patterns) {
      progress(step++, patterns.length, pattern);
      if (pattern === "burst") {
        const sent = await burst(net, entry.client);
        all.push(...(await evaluate(entry.client, pattern, sent, confirmed, settleMs, { ...network.params, records: BURST_RECORDS, burstMs: BURST_MS, parents: "same two" })));
      } else if (pattern === "lone") {
        const sent = await lone(net, entry.client, loneCount, loneEveryMs, intervalMs);
        all.push(...(await evaluate(entry.client, pattern, sent, confirmed, settleMs, { ...network.params, records: loneCount, everySeconds: loneEveryMs / 1000 })));
      } else if (pattern === "steady" || pattern === "steady-shared-parents") {
        const extra = await Promise.all([0, 1, 2].map(() => ApiClient.connect(entry.url, { reconnect: false, requestTimeoutMs: 600_000 })));
        try {
          const t0 = performance.now();
          const sent = await steady(net, [entry.client, ...extra], steadyMs, pattern === "steady-shared-parents");
          const seconds = (performance.now() - t0) / 1000;
          const results = await evaluate(entry.client, pattern, sent, confirmed, settleMs, { ...network.params, offeredPerSecond: STEADY_RATE, seconds: steadyMs / 1000 });
          const p = results[0].params;
          results.push({ name: "confirmation-steady-accepted", params: p, metric: "transactions-per-second", value: Math.round(sent.acks.length / seconds), unit: "tx/s" });
          results.push({ name: "confirmation-steady-skipped", params: p, metric: "count", value: sent.skipped, unit: "tx" });
          all.push(...results);
        } finally {
          extra.forEach((c) => c.close());
        }
      } else {
        const follower = await startBenchNode(network.followerArgs);
        nodes.push(follower);
        await waitFor(follower.client, (i) => i.synced && i.peers >= 1 && i.confirmedMilestoneIndex >= 2, "the follower did not sync", 180_000);
        await follower.client.request("subscribe", { topics: ["confirmed"] });
        const seen = watchConfirmations(follower.client);
        const sent = await burst(net, follower.client);
        all.push(...(await evaluate(follower.client, pattern, sent, seen, settleMs, { ...network.params, records: BURST_RECORDS, burstMs: BURST_MS, parents: "same two", submittedTo: "follower" })));
      }
    }
  } finally {
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
  all.push(...checkpointPow());
  progress(patterns.length, patterns.length, "done");
  return all;
}
