/**
 * Committees in `tangle bench network`: confirmation with a committee of 1, of 4 (k = 3) and of 7
 * (k = 5), every member a real node process on this machine, peered in a ring, the network made by
 * `tangle network init --committee N --threshold K` (250 ms milestones, the dev difficulty). Data
 * records go to member 1 at a steady offered rate, each attached to fresh parents and stamped as
 * it is sent; confirmation latency is submit → member 1's `confirmed` topic naming it. Then, for
 * committees larger than one, the member that proposes the next index is killed and the gap
 * between the milestone before and the one after is timed: how long the network takes to switch
 * proposer (a round timeout and the gathering time, docs/committee.md). Besides, in this process:
 * the cost of signing and of checking one milestone (k signatures over its essence; the node's
 * check is validation/committee.ts), median of many. Checked: every record confirmed; every
 * milestone after the kill has at least k signatures of distinct members.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { attach, milestoneSigningHash, signMilestone, signTransaction, stampSync } from "../../client/protocol/build";
import { fromHex, toHex } from "../../client/protocol/bytes";
import { decodeTransaction, transactionId } from "../../client/protocol/codec";
import { keyPairFromSeed } from "../../client/protocol/keys";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";
import type { MilestoneFields, MilestonePayload } from "../../client/protocol/payloads";
import { sortSignatures } from "../../client/protocol/payloads";
import { parseGenesis } from "../../node/ledger/genesis";
import { proposerOf } from "../../node/committee/rounds";
import { verifyEd25519 } from "../../node/crypto/ed25519";
import { CommitteeChain } from "../../node/validation/committee";
import { requiredDifficulty } from "../../node/validation/pipeline";
import { BenchResult, median, percentile } from "../lib/report";
import { BenchNode, startBenchNode } from "../lib/processes";

const MILESTONE_MS = 250;
export const COMMITTEES: readonly { n: number; k: number }[] = [
  { n: 1, k: 1 },
  { n: 4, k: 3 },
  { n: 7, k: 5 },
];

const BIN = [path.join(__dirname, "..", "..", "..", "bin", "tangle.js"), path.join(__dirname, "..", "..", "bin", "tangle.js")].find((p) => fs.existsSync(p))!;

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!(await fn().catch(() => false))) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`network bench (committee): timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Median µs of signing (k members) and of checking (k-of-n) one milestone, over `reps` milestones. */
export function signAndCheckCost(n: number, k: number, reps: number): { signUs: number; checkUs: number } {
  const keys = Array.from({ length: n }, () => keyPairFromSeed(randomBytes(32)));
  const chain = new CommitteeChain({ members: keys.map((x) => toHex(x.publicKey)), threshold: k });
  const networkId = 7;
  const sign: number[] = [];
  const check: number[] = [];
  for (let r = 0; r < reps; r++) {
    const parents = [randomBytes(32), randomBytes(32), randomBytes(32)].sort(Buffer.compare);
    const fields: MilestoneFields = { type: "milestone", index: 2 + r, timestamp: Date.now(), previousMilestoneId: randomBytes(32), confirmedMerkleRoot: randomBytes(32), ledgerStateHash: randomBytes(32), ledgerRoot: randomBytes(32) };
    let t = performance.now();
    const signatures = sortSignatures(keys.slice(0, k).map((x) => signMilestone(networkId, parents, fields, x.publicKey, x.secretKey)));
    sign.push((performance.now() - t) * 1000);
    const payload: MilestonePayload = { ...fields, signatures };
    t = performance.now();
    const verdict = chain.verify(payload, milestoneSigningHash(networkId, parents, fields), verifyEd25519);
    check.push((performance.now() - t) * 1000);
    if (!verdict.ok) throw new Error(`network bench (committee): a ${k}-of-${n} milestone signed here does not check: ${verdict.message}`);
  }
  return { signUs: median(sign), checkUs: median(check) };
}

/** One committee: its network, its members in a ring, the load, the kill. */
async function runCommittee(n: number, k: number, quick: boolean, progress: (label: string) => void): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tangle-committee-${n}-`));
  const nodes: (BenchNode | undefined)[] = [];
  try {
    execFileSync(process.execPath, [BIN, "network", "init", "--out", dir, "--name", `bench${n}`, "--committee", String(n), "--threshold", String(k), "--interval-ms", String(MILESTONE_MS), "--json"], { stdio: "pipe" });
    const genesis = parseGenesis(fs.readFileSync(path.join(dir, "genesis.json"), "utf8"));
    progress(`committee ${k} of ${n}: starting ${n} member nodes`);
    for (let i = 1; i <= n; i++) {
      const peers = i === 1 ? [] : [nodes[i - 2]!.url, ...(i === n && n > 2 ? [nodes[0]!.url] : [])];
      nodes.push(await startBenchNode(["--network", path.join(dir, "genesis.json"), "--coordinator-key", path.join(dir, `committee-${i}.key`), "--no-remote-pow", ...peers.flatMap((p) => ["--peer", p])], { dir: path.join(dir, `data-${i}`) }));
    }
    const A = nodes[0]!;
    await until("milestone 3 on every member", async () => {
      for (const node of nodes) if ((await node!.client.request<any>("getNodeInfo")).confirmedMilestoneIndex < 3) return false;
      return true;
    });

    // The load: records to member 1.
    const rate = quick ? 20 : 50;
    const count = quick ? 40 : 500;
    progress(`committee ${k} of ${n}: ${count} records at ${rate}/s`);
    const key = keyPairFromSeed(randomBytes(32));
    const sentAt = new Map<string, number>();
    const confirmedAt = new Map<string, number>();
    A.client.on("push", ({ topic, data }: { topic: string; data: any }) => {
      if (topic !== "confirmed") return;
      const t = performance.now();
      for (const id of data.ids as string[]) if (sentAt.has(id) && !confirmedAt.has(id)) confirmedAt.set(id, t);
    });
    await A.client.request<any>("subscribe", { topics: ["confirmed"] });
    const msBefore = (await A.client.request<any>("getNodeInfo")).confirmedMilestoneIndex as number;
    const t0 = performance.now();
    const acks: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) {
      const wait = t0 + (i * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const parents: string[] = (await A.client.request<any>("selectParents", { count: 2 })).parents;
      const signed = signTransaction({ version: PROTOCOL_VERSION, networkId: genesis.networkId, issuer: key.publicKey, payload: { type: "data", streamId: randomBytes(32), sequence: 0, prevRecordId: new Uint8Array(32), contentType: "application/json", data: new TextEncoder().encode(`{"i":${i}}`) } }, key.secretKey);
      const bytes = attach(signed, parents.map((p) => fromHex(p)), Date.now());
      stampSync(bytes, requiredDifficulty(bytes.length, genesis.baseDifficulty));
      const id = toHex(transactionId(bytes));
      sentAt.set(id, performance.now());
      acks.push(A.client.request<any>("submitTransaction", { bytes }));
    }
    await Promise.all(acks);
    await until(`all ${count} records confirmed`, async () => confirmedAt.size === count, 60_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${confirmedAt.size} of ${count}`);
    });
    const seconds = (performance.now() - t0) / 1000;
    const msAfter = (await A.client.request<any>("getNodeInfo")).confirmedMilestoneIndex as number;
    const conf = [...sentAt].map(([id, t]) => confirmedAt.get(id)! - t);
    const params = { committee: n, threshold: k, topology: n > 2 ? "ring" : "line", offeredPerSecond: rate, transactions: count, milestoneIntervalMs: MILESTONE_MS };
    const out: BenchResult[] = [
      { name: "committee-confirmation", params, metric: "latency-p50", value: Number(median(conf).toFixed(1)), unit: "ms" },
      { name: "committee-confirmation", params, metric: "latency-p99", value: Number(percentile(conf, 99).toFixed(1)), unit: "ms" },
      { name: "committee-milestones", params, metric: "per-second", value: Number(((msAfter - msBefore) / seconds).toFixed(2)), unit: "milestones/s" },
    ];

    if (n > 1) {
      // Kill the member that proposes the index after the next one (so the kill lands before its round).
      progress(`committee ${k} of ${n}: killing the next proposer`);
      const at = (await A.client.request<any>("getNodeInfo")).confirmedMilestoneIndex as number;
      const victim = proposerOf(at + 2, 0, n);
      const survivor = nodes[victim === 0 ? 1 : 0]!;
      await until(`milestone ${at + 1}`, async () => (await survivor.client.request<any>("getNodeInfo")).confirmedMilestoneIndex >= at + 1, 10_000);
      const gone = nodes[victim]!;
      nodes[victim] = undefined;
      gone.child.kill("SIGKILL");
      await until(`milestone ${at + 3} without member ${victim + 1}`, async () => (await survivor.client.request<any>("getNodeInfo")).confirmedMilestoneIndex >= at + 3, 30_000);
      const ts = async (index: number) => {
        const m = await survivor.client.request<any>("getMilestone", { index });
        const tx = await survivor.client.request<any>("getTransaction", { id: m.id });
        const d = decodeTransaction(tx.bytes);
        if (!d.ok || d.value.tx.payload.type !== "milestone") throw new Error(`network bench (committee): milestone ${index} does not decode`);
        if (new Set(d.value.tx.payload.signatures.map((s) => toHex(s.publicKey))).size < k) throw new Error(`network bench (committee): milestone ${index} has fewer than ${k} signers`);
        return d.value.tx.payload.timestamp;
      };
      const gap = (await ts(at + 2)) - (await ts(at + 1));
      out.push({ name: "committee-proposer-switch", params: { ...params, killedMember: victim + 1 }, metric: "milestone-gap", value: gap, unit: "ms" });
    }
    return out;
  } finally {
    await Promise.all(nodes.map((x) => x?.stop().catch(() => undefined)));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function runCommitteeSuite(quick: boolean, progress: (label: string) => void): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const { n, k } of COMMITTEES) {
    const cost = signAndCheckCost(n, k, quick ? 50 : 500);
    const params = { committee: n, threshold: k };
    out.push({ name: "committee-milestone-cost", params, metric: "sign", value: Number(cost.signUs.toFixed(1)), unit: "µs" });
    out.push({ name: "committee-milestone-cost", params, metric: "check", value: Number(cost.checkUs.toFixed(1)), unit: "µs" });
    out.push(...(await runCommittee(n, k, quick, progress)));
  }
  return out;
}
