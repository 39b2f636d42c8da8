/**
 * Network benchmark: five real node processes in a line (A–B–C–D–E, A the coordinator with 250 ms
 * milestones). Data records are signed before the timed part (the signature does not cover the
 * parents); each is attached to fresh parents from `selectParents` and stamped (~0.1 ms at the
 * dev difficulty) as it is sent, as a gateway does, so none is lazy when it arrives (TIP-3). They are submitted to E at a steady offered
 * rate; we measure propagation latency (submit at E → announced on A's
 * `transactions` topic, four hops away) and confirmation latency (submit at E → E's `confirmed`
 * topic names it). Checked: every record reaches A and is confirmed. Then committees of 1, 4 and 7
 * members (./committee.ts): confirmation latency, the time to switch proposer when one is killed,
 * and the cost of signing and checking a milestone.
 */
import { randomBytes } from "node:crypto";
import { attach, signTransaction, stampSync } from "../../client/protocol/build";
import { fromHex, toHex } from "../../client/protocol/bytes";
import { transactionId } from "../../client/protocol/codec";
import { keyPairFromSeed } from "../../client/protocol/keys";
import { devGenesis } from "../../node/networks/dev";
import { requiredDifficulty } from "../../node/validation/pipeline";
import { BenchResult, median, percentile, SuiteOptions } from "../lib/report";
import { BenchNode, startBenchNode } from "../lib/processes";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";
import { runCommitteeSuite } from "./committee";

const MILESTONE_MS = 250;

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!(await fn().catch(() => false))) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`network bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function runNetworkSuite(opts: SuiteOptions = {}): Promise<BenchResult[]> {
  const quick = Boolean(opts.quick);
  const rate = quick ? 20 : 100; // offered transactions per second
  const count = quick ? 60 : 1000;
  const progress = opts.progress ?? (() => {});
  const nodes: BenchNode[] = [];
  try {
    progress(0, 4, "starting 5 nodes");
    nodes.push(await startBenchNode(["--network", "dev", "--coordinator-key", "dev", "--milestone-interval-ms", String(MILESTONE_MS), "--no-remote-pow"]));
    for (let i = 1; i < 5; i++) nodes.push(await startBenchNode(["--network", "dev", "--peer", nodes[i - 1].url, "--no-remote-pow"]));
    const [A, , , , E] = nodes;
    await until("the far end to sync", async () => {
      const a = await A.client.request<any>("getNodeInfo");
      const e = await E.client.request<any>("getNodeInfo");
      return e.synced && e.confirmedMilestoneIndex >= 2 && e.confirmedMilestoneIndex + 2 >= a.confirmedMilestoneIndex;
    });

    progress(1, 4, `signing ${count} records`);
    // Independent records (one stream per record), so each can be attached whenever it is sent.
    // Ten gateways share the load, each well inside the adaptive-PoW allowance.
    const keys = Array.from({ length: 10 }, () => keyPairFromSeed(randomBytes(32)));
    const signedAll = Array.from({ length: count }, (_, i) => keys[i % keys.length]).map((key, i) =>
      signTransaction(
        { version: PROTOCOL_VERSION, networkId: devGenesis().networkId, issuer: key.publicKey, payload: { type: "data", streamId: randomBytes(32), sequence: 0, prevRecordId: new Uint8Array(32), contentType: "application/json", data: new TextEncoder().encode(`{"t":${20 + (i % 10)}}`) } },
        key.secretKey,
      ),
    );
    const txs: { id: string; bytes: Uint8Array }[] = [];

    progress(2, 4, `submitting at ${rate}/s to E`);
    const sentAt = new Map<string, number>();
    const seenAtA = new Map<string, number>();
    const confirmedAtE = new Map<string, number>();
    A.client.on("push", ({ topic, data }: { topic: string; data: any }) => {
      if (topic === "transactions" && sentAt.has(data.id) && !seenAtA.has(data.id)) seenAtA.set(data.id, performance.now());
    });
    E.client.on("push", ({ topic, data }: { topic: string; data: any }) => {
      if (topic !== "confirmed") return;
      const t = performance.now();
      for (const id of data.ids as string[]) if (sentAt.has(id) && !confirmedAtE.has(id)) confirmedAtE.set(id, t);
    });
    await A.client.request<any>("subscribe", { topics: ["transactions"] });
    await E.client.request<any>("subscribe", { topics: ["confirmed"] });
    const t0 = performance.now();
    const acks: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      // Fresh tips for every record, as a gateway would ask for them (one round trip).
      const parents: string[] = (await E.client.request<any>("selectParents", { count: 2 })).parents;
      const bytes = attach(signedAll[i], parents.map((p) => fromHex(p)), Date.now());
      stampSync(bytes, requiredDifficulty(bytes.length, devGenesis().baseDifficulty));
      const id = toHex(transactionId(bytes));
      txs.push({ id, bytes });
      sentAt.set(id, performance.now());
      acks.push(E.client.request<any>("submitTransaction", { bytes }));
    }
    await Promise.all(acks);
    progress(3, 4, "waiting for propagation and confirmation");
    await until("every record seen on A and confirmed on E", async () => seenAtA.size === count && confirmedAtE.size === count, 60_000).catch(async (err) => {
      const infos = await Promise.all(nodes.map((n) => n.client.request<any>("getNodeInfo")));
      throw new Error(`${(err as Error).message}: seen on A ${seenAtA.size}/${count}, confirmed on E ${confirmedAtE.size}/${count}; milestones ${infos.map((i) => i.confirmedMilestoneIndex).join(",")}; stored ${infos.map((i) => i.storedTransactions).join(",")}`);
    });

    const prop = txs.map((t) => seenAtA.get(t.id)! - sentAt.get(t.id)!);
    const conf = txs.map((t) => confirmedAtE.get(t.id)! - sentAt.get(t.id)!);
    const params = { nodes: 5, topology: "line", hops: 4, offeredPerSecond: rate, transactions: count, milestoneIntervalMs: MILESTONE_MS };
    await Promise.all(nodes.splice(0).map((n) => n.stop().catch(() => undefined)));
    const committees = await runCommitteeSuite(quick, (label) => progress(3, 4, label));
    progress(4, 4, "done");
    return [
      ...committees,
      { name: "propagation", params, metric: "latency-p50", value: Number(median(prop).toFixed(2)), unit: "ms" },
      { name: "propagation", params, metric: "latency-p99", value: Number(percentile(prop, 99).toFixed(2)), unit: "ms" },
      { name: "confirmation", params, metric: "latency-p50", value: Number(median(conf).toFixed(1)), unit: "ms" },
      { name: "confirmation", params, metric: "latency-p99", value: Number(percentile(conf, 99).toFixed(1)), unit: "ms" },
      { name: "confirmation", params, metric: "p50-in-milestone-intervals", value: Number((median(conf) / MILESTONE_MS).toFixed(2)), unit: "x" },
    ];
  } finally {
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
  }
}
