/**
 * ledger-root: what the ledger root (docs/ledger.md, "Ledger root") costs a node per milestone as
 * the ledger grows. For ledgers of 10 k, 100 k and 1 M unspent outputs, a milestone that changes C
 * entries (C = 100 and 1,000: half spent outputs removed, half new outputs added, as transfers do)
 * is applied to the sparse merkle tree incrementally (entry hashes, re-linking, hashing the dirty
 * paths: node/ledger/ledger-tree.ts), against recomputing the whole tree from the entries, which is
 * what a node without the incremental tree would do each milestone (the peer baseline). Also: the
 * tree's memory per entry, the time to rebuild it at open (LedgerState.restore at that size, which
 * the node does at every start instead of persisting the tree), proof size and the client's
 * verify time (client/protocol/ledger-proof.ts).
 *
 * Last, on the restored LedgerState, the node's own path per milestone: the root predicted by the
 * proposer, predicted again by the node checking the milestone, then the result applied.
 *
 * Checked: after the timed milestones the incremental root equals the root recomputed from scratch
 * over the same entries (for the tree and for the LedgerState), predicted roots equal the applied
 * one, and every sampled proof verifies (the suite throws otherwise).
 */
import { encodeLedgerProof, verifyOutputInLedger } from "../../client/protocol/ledger-proof";
import { seededRandom } from "../../client/util/random";
import { LedgerState } from "../../node/ledger/ledger";
import { outputTree, outputTreeEntries, outputTreeKeys } from "../../node/ledger/ledger-tree";
import type { UnspentOutput } from "../../node/ledger/utxo";
import type { WhiteFlagResult } from "../../node/ledger/whiteflag";
import { BenchResult, median, nowNs, SuiteOptions } from "../lib/report";

const SIZES = [10_000, 100_000, 1_000_000];
const QUICK_SIZES = [10_000, 100_000];
const CHANGES = [100, 1_000];
/** Largest ledger restored whole (LedgerState.restore) in the suite. */
const RESTORE_MAX = 1_000_000;

function randomOutputs(n: number, seed: number): UnspentOutput[] {
  const r = seededRandom(seed);
  const out: UnspentOutput[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = { txId: r.bytes(32), index: r.int(4), address: r.bytes(32), amount: BigInt(1 + r.int(1_000_000)) };
  return out;
}

/**
 * A milestone's ledger root as a node handles it, by stage: the proposer predicts the root
 * (ledgerRootAfter), the node checks the milestone against its own prediction, then applies the
 * result (the whole LedgerState.apply: UTXO set, balances; LedgerState keeps the prediction, so
 * the last two stages add no tree work). 1,000 changed entries per milestone; measured on the
 * restored ledger, so with the whole UTXO set in memory.
 */
function nodeMilestones(ledger: LedgerState, outputs: UnspentOutput[], n: number, milestones: number, r: ReturnType<typeof seededRandom>): BenchResult[] {
  const live = outputs.slice();
  const stages = { propose: [] as number[], check: [] as number[], apply: [] as number[] };
  for (let m = 0; m < milestones; m++) {
    const consumed = [];
    const created = [];
    for (let i = 0; i < 500; i++) {
      const at = r.int(live.length);
      const o = live[at];
      live[at] = live[live.length - 1];
      live.pop();
      consumed.push({ ...o, spentBy: r.bytes(32) });
      // Ids apart from the random ones (the generator's stream may repeat them).
      const txId = r.bytes(32);
      txId.set([0x6e, 0x6f, 0x64, 0x65, m >> 8, m & 0xff, i >> 8, i & 0xff]);
      created.push({ txId, index: 0, address: o.address, amount: o.amount });
    }
    const result: WhiteFlagResult = {
      milestoneIndex: ledger.ledgerIndex + 1,
      prevStateHash: ledger.stateHash,
      included: [],
      applied: [],
      conflicts: [],
      consumed,
      created,
      mutationsDigest: new Uint8Array(32),
      merkleRoot: new Uint8Array(32),
      stateHash: r.bytes(32),
    };
    let t = nowNs();
    const proposed = ledger.ledgerRootAfter(result);
    stages.propose.push((nowNs() - t) / 1e3);
    // The checking node has its own result object (its own white flag), which it then applies.
    const own = { ...result };
    t = nowNs();
    const checked = ledger.ledgerRootAfter(own);
    stages.check.push((nowNs() - t) / 1e3);
    t = nowNs();
    ledger.apply(own);
    const applied = ledger.ledgerRoot();
    stages.apply.push((nowNs() - t) / 1e3);
    if (toHex(proposed) !== toHex(checked) || toHex(checked) !== toHex(applied)) throw new Error("ledger-root: predicted and applied roots differ");
    for (const o of created) live.push(o);
  }
  const full = outputTree(live).root();
  if (toHex(full) !== toHex(ledger.ledgerRoot())) throw new Error(`ledger-root: the ledger's root differs from the recomputed one at ${n} entries`);
  return (["propose", "check", "apply"] as const).map((stage) => ({
    name: "node-milestone",
    params: { entries: n, changed: 1000, stage, samples: milestones },
    metric: "us-median",
    value: median(stages[stage]),
    unit: "µs",
  }));
}

function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

export async function runLedgerRootSuite(opts: SuiteOptions = {}): Promise<BenchResult[]> {
  const quick = opts.quick === true;
  const sizes = quick ? QUICK_SIZES : SIZES;
  const milestones = quick ? 5 : 15;
  const results: BenchResult[] = [];
  const total = sizes.length * (4 + CHANGES.length);
  let step = 0;
  const progress = (label: string) => opts.progress?.(++step, total, label);

  for (const n of sizes) {
    const r = seededRandom(n);
    let outputs = randomOutputs(n, n);
    const initial = outputs;

    // Rebuilding at open: the tree alone, and the whole LedgerState.restore (UTXO set, balances and
    // the tree; at 1 M outputs to distinct addresses mostly garbage collection of the UTXO set's
    // maps: docs/ledger.md, Ledger root).
    let t0 = nowNs();
    const tree = outputTree(outputs);
    const firstRoot = tree.root();
    const fullMs = (nowNs() - t0) / 1e6;
    results.push({ name: "open-tree-build", params: { entries: n }, metric: "ms", value: fullMs, unit: "ms" });
    results.push({ name: "memory", params: { entries: n }, metric: "tree-bytes-per-entry", value: tree.usedBytes / n, unit: "B" });
    results.push({ name: "memory", params: { entries: n }, metric: "tree-bytes-per-entry-allocated", value: tree.arenaBytes / n, unit: "B" });
    progress(`${n}: open`);

    // Per milestone: C changed entries applied incrementally, root hashed.
    const live = outputs.slice();
    for (const c of CHANGES) {
      const times: number[] = [];
      for (let m = 0; m < milestones; m++) {
        const spent: UnspentOutput[] = [];
        for (let i = 0; i < c / 2; i++) {
          const at = r.int(live.length);
          spent.push(live[at]);
          live[at] = live[live.length - 1];
          live.pop();
        }
        const created = randomOutputs(c / 2, n * 1000 + c * 100 + m);
        const t = nowNs();
        for (const key of outputTreeKeys(spent)) if (!tree.delete(key)) throw new Error("ledger-root: a spent output was not in the tree");
        for (const e of outputTreeEntries(created)) tree.set(e.key, e.valueHash);
        tree.root();
        times.push((nowNs() - t) / 1e3);
        for (const o of created) live.push(o);
      }
      results.push({ name: "milestone-incremental", params: { entries: n, changed: c, samples: milestones }, metric: "us-median", value: median(times), unit: "µs" });
      progress(`${n}: ${c} changes`);
    }
    outputs = live;

    // The baseline: the whole tree from the entries, as each milestone would without the tree kept.
    const fullRuns = quick || n >= 1_000_000 ? 1 : 3;
    const fullTimes: number[] = [];
    let full: Uint8Array = new Uint8Array(32);
    for (let i = 0; i < fullRuns; i++) {
      const t = nowNs();
      full = outputTree(outputs).root();
      fullTimes.push((nowNs() - t) / 1e3);
    }
    results.push({ name: "milestone-full-recompute", params: { entries: n, samples: fullRuns }, metric: "us-median", value: median(fullTimes), unit: "µs" });
    if (toHex(full) !== toHex(tree.root())) throw new Error(`ledger-root: incremental root differs from the recomputed one at ${n} entries`);
    progress(`${n}: full recompute`);

    // Proofs: byte size and the client's verify time, for sampled unspent outputs.
    const root = tree.root();
    const sizesBytes: number[] = [];
    const verifyUs: number[] = [];
    const samples = quick ? 200 : 1000;
    for (let i = 0; i < samples; i++) {
      const o = outputs[r.int(outputs.length)];
      const key = outputTreeKeys([o])[0];
      const proof = tree.prove(key);
      sizesBytes.push(encodeLedgerProof(proof).length);
      const t = nowNs();
      const ok = verifyOutputInLedger(root, o, proof);
      verifyUs.push((nowNs() - t) / 1e3);
      if (!ok) throw new Error("ledger-root: a proof of an unspent output does not verify");
    }
    results.push({ name: "proof", params: { entries: n, samples }, metric: "bytes-median", value: median(sizesBytes), unit: "B" });
    results.push({ name: "proof", params: { entries: n, samples }, metric: "bytes-max", value: Math.max(...sizesBytes), unit: "B" });
    results.push({ name: "proof-verify", params: { entries: n, samples }, metric: "us-median", value: median(verifyUs), unit: "µs" });
    progress(`${n}: proofs`);
    // Last, as the whole UTXO set it builds weighs on the garbage collector afterwards.
    if (n <= RESTORE_MAX) {
      t0 = nowNs();
      const restored = LedgerState.restore({ networkId: 1, ledgerIndex: 0, stateHash: new Uint8Array(32), unspent: initial, spent: [] });
      const rootAtOpen = restored.ledgerRoot();
      const restoreTotalMs = (nowNs() - t0) / 1e6;
      if (toHex(rootAtOpen) !== toHex(firstRoot)) throw new Error(`ledger-root: the restored ledger's root differs from the tree's at ${n}`);
      results.push({ name: "open-restore", params: { entries: n }, metric: "ms", value: restoreTotalMs, unit: "ms" });
      results.push(...nodeMilestones(restored, initial, n, milestones, r));
    }
    progress(`${n}: whole ledger restored`);
  }
  return results;
}
