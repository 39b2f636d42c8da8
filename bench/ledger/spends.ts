/**
 * The node's memory as confirmed spends accumulate (issue 17: "memory does not grow with history";
 * bench/README.md, "Ledger memory"; docs/ledger.md, Memory). The confirmed ledger of a node, on
 * its own code path for applying a milestone and without the network: LMDB in a temporary folder
 * (Store), the ledger opened from it as a node opens it (openLedger), then per milestone white flag
 * over a cone of transfers (computeWhiteFlag), the milestone's ledger changes committed to LMDB
 * (Store.applyMilestone, durable) and applied to the ledger (LedgerState.apply), as
 * node/milestone-applier.ts does. What the applier does besides (transaction metadata, the window,
 * pending) is left out here: its memory is bounded by the window and the node's caches, not by the
 * ledger's history (`--node` below measures them too).
 *
 * The load: `--lanes` chains (default 16), each one output of the genesis split into 128, then
 * every milestone each lane's transfer spends its 128 outputs and creates 128 new ones (the
 * maximum a transfer holds), so the unspent set stays at lanes × 128 outputs while the spends
 * grow: 2,048 confirmed spends a milestone at 16 lanes. Every `--every` spends (default 100,000)
 * the heap in use after a full garbage collection, the heap committed and the RSS are sampled.
 * At the end the store is closed and opened again (openLedger, as a restarting node), timed and
 * sampled the same way.
 *
 * Checked: every milestone applies all its transfers (no conflicts); at the end the ledger index,
 * the unspent count and the owner's balance (the whole supply) are right; after the reopen the
 * state hash and ledger root are the ones before, the first spent output's record names the
 * transfer that spent it, and white flag marks a transfer that spends it again INPUT_SPENT and one
 * that spends an output that never existed INPUT_UNKNOWN.
 *
 *   node --max-old-space-size=256 --max-semi-space-size=8 dist/bench/ledger/spends.js \
 *     [--spends 1000000] [--lanes 16] [--every 100000] [--mapped-budget-mib 8]
 *     [--json bench/results/ledger-spends.json] [--node [--outputs 128]] (then ledger-spends-node.json)
 *
 * (the node's own heap bounds, NODE_RUNTIME_FLAGS; the heap limit in force is in the output).
 *
 * `--node [--outputs K]`: the whole node instead, in this process (TangleNode with its own
 * coordinator, every transfer signed, stamped and submitted, each milestone issued and applied by
 * MilestoneApplier), the lanes' transfers spending K outputs into K (default 128); sampled the
 * same way, checked at the end (every transfer confirmed, none conflicting, the balance, the first
 * spent output's record in the store). It runs until `--spends` or until the process runs out of
 * heap, which is a result too (bench/README.md, ledger memory).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { parseArgs } from "node:util";
import { attach, signTransaction } from "../../client/protocol/build";
import { equalBytes, toHex } from "../../client/protocol/bytes";
import { decodeTransaction, Transaction } from "../../client/protocol/codec";
import { addressOf, keyPairFromSeed } from "../../client/protocol/keys";
import { MAX_OUTPUTS, PROTOCOL_VERSION } from "../../client/protocol/limits";
import { blake2b256 } from "../../core-wasm/src/blake2b";
import { balanceChanges, newBalances } from "../../node/ledger/balance-changes";
import { Genesis, genesisTransactionId } from "../../node/ledger/genesis";
import type { LedgerState } from "../../node/ledger/ledger";
import { computeWhiteFlag, ConeEntry, ConeView, WhiteFlagResult } from "../../node/ledger/whiteflag";
import { openLedger } from "../../node/replay";
import { Store } from "../../node/storage/store";
import { TangleNode } from "../../node/tangle-node";
import { Coordinator } from "../../node/coordinator";
import { requiredDifficulty } from "../../node/validation/pipeline";
import { stampSync } from "../../client/protocol/build";
import { makeReport, writeReport, BenchResult } from "../lib/report";

const owner = keyPairFromSeed(new Uint8Array(32).fill(0x17));
const ownerAddress = addressOf(owner.publicKey);
/** Amount of each output the lanes pass on. */
const AMOUNT = 1000n;

export function spendsGenesis(lanes: number): Genesis {
  return {
    networkId: 1717,
    networkName: "ledger-spends",
    committee: { members: [toHex(keyPairFromSeed(new Uint8Array(32).fill(0xc0)).publicKey)], threshold: 1 },
    outputs: Array.from({ length: lanes }, () => ({ address: toHex(ownerAddress), amount: String(AMOUNT * BigInt(MAX_OUTPUTS)) })),
    milestoneIntervalMs: 1000,
    baseDifficulty: 4,
  };
}

interface OutputRef {
  txId: Uint8Array;
  index: number;
}

/** The cone of one milestone: this milestone's transfers; everything older counts as confirmed. */
class RoundCone implements ConeView {
  readonly entries = new Map<string, ConeEntry>();
  get(id: Uint8Array): ConeEntry | undefined {
    return this.entries.get(toHex(id));
  }
  isSolidEntryPoint(): boolean {
    return true;
  }
}

/** A ledger and its store, driven milestone by milestone through confirmed spends. */
export class SpendDriver {
  /** Confirmed spends so far. */
  spends = 0;
  /** The first output spent, and the transfer that spent it (checked at the end). */
  firstSpent?: OutputRef & { spentBy: Uint8Array };
  private lanes: OutputRef[][];

  private constructor(
    readonly dir: string,
    readonly genesis: Genesis,
    public store: Store,
    public ledger: LedgerState,
  ) {
    const g = genesisTransactionId(genesis);
    this.lanes = genesis.outputs.map((_, index) => [{ txId: g, index }]);
  }

  /**
   * A new ledger of `lanes` genesis outputs in `dir` (empty). `mappedBudgetBytes`: as the node's
   * --mapped-budget-mib (default 8), mapped database pages are released past it (0: never).
   */
  static async open(dir: string, lanes: number, mappedBudgetBytes = 0): Promise<SpendDriver> {
    const genesis = spendsGenesis(lanes);
    const store = await Store.open(dir);
    if (mappedBudgetBytes) store.watchMappedPages(mappedBudgetBytes);
    const d = new SpendDriver(dir, genesis, store, await openLedger(store, genesis, genesisTransactionId(genesis)));
    d.mappedBudgetBytes = mappedBudgetBytes;
    return d;
  }

  private mappedBudgetBytes = 0;

  /** A transfer by the owner spending `inputs` into `outputs` outputs of AMOUNT, attached to `parents`. */
  transfer(inputs: readonly OutputRef[], outputs: number, parents: Uint8Array[]): { id: Uint8Array; tx: Transaction } {
    const payload = { type: "transfer" as const, inputs: inputs.map((i) => ({ txId: i.txId, index: i.index })), outputs: Array.from({ length: outputs }, () => ({ address: ownerAddress, amount: AMOUNT })) };
    const signed = signTransaction({ version: PROTOCOL_VERSION, networkId: this.genesis.networkId, issuer: owner.publicKey, payload }, owner.secretKey);
    const bytes = attach(signed, [...parents].sort((a, b) => Buffer.compare(a, b)), 1_700_000_000_000 + this.ledger.ledgerIndex);
    const d = decodeTransaction(bytes);
    if (!d.ok) throw new Error(`a bench transfer does not decode: ${d.code}`);
    return { id: blake2b256(bytes), tx: d.value.tx };
  }

  /** White flag of one milestone whose cone is `txs` (chained: the last one approves the others). */
  whiteFlag(txs: { id: Uint8Array; tx: Transaction }[]): WhiteFlagResult {
    const cone = new RoundCone();
    for (const t of txs) cone.entries.set(toHex(t.id), { id: t.id, tx: t.tx, confirmed: false });
    const wf = computeWhiteFlag(this.ledger.ledgerIndex + 1, [txs[txs.length - 1].id], cone, this.ledger);
    if (!wf.ok) throw new Error(wf.message);
    return wf.value;
  }

  /** One milestone: every lane spends its outputs into MAX_OUTPUTS new ones. Resolves with the spends it confirmed. */
  async milestone(): Promise<number> {
    const index = this.ledger.ledgerIndex + 1;
    const previous = blake2b256(Uint8Array.of(index >>> 24, index >>> 16, index >>> 8, index)); // stands for the last milestone
    const txs: { id: Uint8Array; tx: Transaction }[] = [];
    for (const inputs of this.lanes) txs.push(this.transfer(inputs, MAX_OUTPUTS, [previous, txs.length ? txs[txs.length - 1].id : blake2b256(previous)]));
    const r = this.whiteFlag(txs);
    if (r.conflicts.length > 0 || r.applied.length !== txs.length) throw new Error(`milestone ${index}: ${r.conflicts.length} conflicting transfers`);
    await this.store.applyMilestone({
      record: { index, id: blake2b256(previous), timestamp: 1_700_000_000_000 + index, merkleRoot: r.merkleRoot, stateHash: r.stateHash, included: r.included },
      metaUpdates: [],
      consumed: r.consumed.map((c) => ({ txId: c.txId, index: c.index, address: c.address, amount: c.amount, spentBy: c.spentBy })),
      created: r.created.map((c) => ({ ...c, milestone: index })),
      balances: newBalances(balanceChanges(r), (a) => this.ledger.balanceOf(a)),
      ledgerIndex: index,
      stateHash: r.stateHash,
    });
    this.ledger.apply(r);
    this.firstSpent ??= r.consumed[0];
    this.lanes = txs.map((t) => Array.from({ length: MAX_OUTPUTS }, (_, i) => ({ txId: t.id, index: i })));
    this.spends += r.consumed.length;
    return r.consumed.length;
  }

  /** Closes the store and opens it again, as a restarting node: resolves with the time it took to open (ms). */
  async reopen(): Promise<number> {
    await this.store.close();
    const t = performance.now();
    this.store = await Store.open(this.dir);
    if (this.mappedBudgetBytes) this.store.watchMappedPages(this.mappedBudgetBytes);
    this.ledger = await openLedger(this.store, this.genesis, genesisTransactionId(this.genesis));
    return performance.now() - t;
  }

  /** Problems with the ledger after the spends (empty: every check passed). */
  check(milestones: number, before?: { stateHash: Uint8Array; ledgerRoot: Uint8Array }): string[] {
    const problems: string[] = [];
    const l = this.ledger;
    const lanes = this.genesis.outputs.length;
    if (l.ledgerIndex !== milestones) problems.push(`ledger index ${l.ledgerIndex}, ${milestones} milestones applied`);
    if (l.unspentCount !== lanes * MAX_OUTPUTS) problems.push(`${l.unspentCount} unspent outputs, ${lanes * MAX_OUTPUTS} expected`);
    if (l.balanceOf(ownerAddress) !== AMOUNT * BigInt(lanes * MAX_OUTPUTS)) problems.push(`owner balance ${l.balanceOf(ownerAddress)}`);
    if (before && !equalBytes(before.stateHash, l.stateHash)) problems.push("the state hash changed across the reopen");
    if (before && !equalBytes(before.ledgerRoot, l.ledgerRoot())) problems.push("the ledger root changed across the reopen");
    const first = this.firstSpent;
    if (first) {
      const s = l.getSpent(first.txId, first.index);
      if (!s || !equalBytes(s.spentBy, first.spentBy) || s.milestoneIndex !== 1) problems.push("the first spent output's record is missing or wrong");
      const previous = blake2b256(Uint8Array.of(0xff));
      const again = this.whiteFlag([this.transfer([first], 1, [previous, blake2b256(previous)])]);
      if (again.conflicts[0]?.reason !== "INPUT_SPENT") problems.push(`a second spend of the first spent output: ${again.conflicts[0]?.reason ?? "applied"}`);
      const unknown = this.whiteFlag([this.transfer([{ txId: blake2b256(previous), index: 0 }], 1, [previous, blake2b256(previous)])]);
      if (unknown.conflicts[0]?.reason !== "INPUT_UNKNOWN") problems.push(`a spend of an output that never existed: ${unknown.conflicts[0]?.reason ?? "applied"}`);
    }
    return problems;
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

/** A full garbage collection on demand (without starting node with --expose-gc). */
export function gcFunction(): () => void {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}

export interface MemorySample {
  spends: number;
  ledgerIndex: number;
  /** Heap in use after a full collection (MiB). */
  heapUsedMiB: number;
  /** Heap V8 holds from the system (MiB). */
  heapTotalMiB: number;
  rssMiB: number;
  /** Seconds since the first milestone. */
  s: number;
}

export function sampleMemory(gc: () => void, spends: number, ledgerIndex: number, t0: number): MemorySample {
  gc();
  const m = process.memoryUsage();
  const mib = (x: number) => +(x / 2 ** 20).toFixed(1);
  return { spends, ledgerIndex, heapUsedMiB: mib(m.heapUsed), heapTotalMiB: mib(m.heapTotal), rssMiB: mib(m.rss), s: +((performance.now() - t0) / 1000).toFixed(1) };
}

/** The whole node through confirmed spends (`--node`): samples as `main`, checks at the end. */
async function runNode(target: number, lanes: number, perTransfer: number, every: number, mappedBudgetBytes: number, gc: () => void): Promise<MemorySample[]> {
  const coordinatorSeed = new Uint8Array(32).fill(0xc0);
  const genesis = { ...spendsGenesis(lanes), outputs: Array.from({ length: lanes }, () => ({ address: toHex(ownerAddress), amount: String(AMOUNT * BigInt(perTransfer)) })) };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-bench-spends-node-"));
  const node = await TangleNode.open({ dataDir: dir, genesis, mappedBudgetBytes, verifyThreads: 0 });
  try {
    const coord = new Coordinator(node, coordinatorSeed, { intervalMs: 1e9 });
    const g = genesisTransactionId(genesis);
    let inputs: OutputRef[][] = genesis.outputs.map((_, index) => [{ txId: g, index }]);
    const t0 = performance.now();
    const samples: MemorySample[] = [sampleMemory(gc, 0, 0, t0)];
    let spends = 0;
    let nextSample = every;
    let firstTransfer: string | undefined;
    let last: string[] = [];
    while (spends < target) {
      last = await Promise.all(
        inputs.map(async (ins) => {
          const payload = { type: "transfer" as const, inputs: ins, outputs: Array.from({ length: perTransfer }, () => ({ address: ownerAddress, amount: AMOUNT })) };
          const signed = signTransaction({ version: PROTOCOL_VERSION, networkId: genesis.networkId, issuer: owner.publicKey, payload }, owner.secretKey);
          const bytes = attach(signed, node.selectParents(2).map((p) => Uint8Array.from(Buffer.from(p, "hex"))), node.now());
          return (await node.submit(stampSync(bytes, requiredDifficulty(bytes.length, genesis.baseDifficulty)))).id;
        }),
      );
      firstTransfer ??= last[0];
      await coord.issue();
      spends += inputs.reduce((n, ins) => n + ins.length, 0);
      inputs = last.map((id) => Array.from({ length: perTransfer }, (_, index) => ({ txId: Uint8Array.from(Buffer.from(id, "hex")), index })));
      if (spends >= nextSample || spends >= target) {
        samples.push(sampleMemory(gc, spends, node.ledgerIndex, t0));
        console.log(JSON.stringify(samples[samples.length - 1]));
        while (nextSample <= spends) nextSample += every;
      }
    }
    const problems: string[] = [];
    for (const id of last) if (node.getMetadata(id)?.confirmedBy !== node.ledgerIndex || node.getMetadata(id)?.conflict !== null) problems.push(`transfer ${id} not confirmed cleanly`);
    if (node.balance(ownerAddress).confirmed !== AMOUNT * BigInt(lanes * perTransfer)) problems.push(`owner balance ${node.balance(ownerAddress).confirmed}`);
    if (toHex(node.store.getSpentOutput(g, 0)?.spentBy ?? new Uint8Array(0)) !== firstTransfer) problems.push("the first spent output's record is missing or wrong");
    if (problems.length > 0) throw new Error(`wrong answers:\n${problems.join("\n")}`);
    return samples;
  } finally {
    await node.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { spends: { type: "string", default: "1000000" }, lanes: { type: "string", default: "16" }, every: { type: "string", default: "100000" }, "mapped-budget-mib": { type: "string", default: "8" }, node: { type: "boolean", default: false }, outputs: { type: "string", default: String(MAX_OUTPUTS) }, json: { type: "string" } },
  });
  const target = Number(values.spends);
  const lanes = Number(values.lanes);
  const every = Number(values.every);
  if (!Number.isInteger(target) || target < 1) throw new Error("--spends must be a positive integer");
  if (!Number.isInteger(lanes) || lanes < 1 || lanes > MAX_OUTPUTS) throw new Error(`--lanes must be an integer 1..${MAX_OUTPUTS}`);
  if (!Number.isInteger(every) || every < 1) throw new Error("--every must be a positive integer");
  const mappedBudgetMiB = Number(values["mapped-budget-mib"]);
  if (!Number.isInteger(mappedBudgetMiB) || mappedBudgetMiB < 0) throw new Error("--mapped-budget-mib must be an integer ≥ 0");
  const gc = gcFunction();
  const heapLimit = Math.round(v8.getHeapStatistics().heap_size_limit / 2 ** 20);
  if (values.node) {
    const perTransfer = Number(values.outputs);
    if (!Number.isInteger(perTransfer) || perTransfer < 1 || perTransfer > MAX_OUTPUTS) throw new Error(`--outputs must be an integer 1..${MAX_OUTPUTS}`);
    const samples = await runNode(target, lanes, perTransfer, every, mappedBudgetMiB * 2 ** 20, gc);
    console.table(samples);
    const params = { mode: "node", lanes, perTransfer, heapLimitMiB: heapLimit, mappedBudgetMiB };
    const results: BenchResult[] = samples.flatMap((x) => [
      { name: "node heap used after gc", params: { ...params, spends: x.spends }, metric: "heapUsed", value: x.heapUsedMiB, unit: "MiB" },
      { name: "node rss", params: { ...params, spends: x.spends }, metric: "rss", value: x.rssMiB, unit: "MiB" },
    ]);
    writeReport(values.json ?? "bench/results/ledger-spends-node.json", makeReport("ledger-spends-node", results));
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-bench-spends-"));
  const heapLimitMiB = Math.round(v8.getHeapStatistics().heap_size_limit / 2 ** 20);
  const d = await SpendDriver.open(dir, lanes, mappedBudgetMiB * 2 ** 20);
  try {
    const t0 = performance.now();
    const samples: MemorySample[] = [sampleMemory(gc, 0, 0, t0)];
    let nextSample = every;
    while (d.spends < target) {
      await d.milestone();
      if (d.spends >= nextSample || d.spends >= target) {
        samples.push(sampleMemory(gc, d.spends, d.ledger.ledgerIndex, t0));
        console.log(JSON.stringify(samples[samples.length - 1]));
        while (nextSample <= d.spends) nextSample += every;
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const milestones = d.ledger.ledgerIndex;
    const problems = d.check(milestones);
    const before = { stateHash: d.ledger.stateHash, ledgerRoot: d.ledger.ledgerRoot() };
    const mappedReleases = d.store.mappedReleases;
    const openMs = await d.reopen();
    const reopened = sampleMemory(gc, d.spends, d.ledger.ledgerIndex, t0);
    problems.push(...d.check(milestones, before));
    if (problems.length > 0) throw new Error(`wrong answers:\n${problems.join("\n")}`);
    const databaseMiB = +(fs.statSync(path.join(dir, "data.mdb")).size / 2 ** 20).toFixed(1);
    const summary = { spends: d.spends, milestones, lanes, mappedBudgetMiB, mappedReleases, unspent: d.ledger.unspentCount, seconds: +seconds.toFixed(1), spendsPerSecond: Math.round(d.spends / seconds), heapLimitMiB, reopenMs: Math.round(openMs), reopened, databaseMiB };
    console.table(samples);
    console.log(JSON.stringify(summary));
    const params = { lanes, unspent: d.ledger.unspentCount, heapLimitMiB, mappedBudgetMiB };
    const results: BenchResult[] = [
      ...samples.flatMap((s) => [
        { name: "heap used after gc", params: { ...params, spends: s.spends }, metric: "heapUsed", value: s.heapUsedMiB, unit: "MiB" },
        { name: "rss", params: { ...params, spends: s.spends }, metric: "rss", value: s.rssMiB, unit: "MiB" },
      ]),
      { name: "confirmed spends per second", params: { ...params, spends: d.spends }, metric: "rate", value: summary.spendsPerSecond, unit: "spends/s" },
      { name: "reopen (openLedger)", params: { ...params, spends: d.spends }, metric: "openMs", value: summary.reopenMs, unit: "ms" },
      { name: "heap used after gc, reopened", params: { ...params, spends: d.spends }, metric: "heapUsed", value: reopened.heapUsedMiB, unit: "MiB" },
      { name: "rss, reopened", params: { ...params, spends: d.spends }, metric: "rss", value: reopened.rssMiB, unit: "MiB" },
      { name: "database file", params: { ...params, spends: d.spends }, metric: "fileSize", value: databaseMiB, unit: "MiB" },
    ];
    writeReport(values.json ?? "bench/results/ledger-spends.json", makeReport("ledger-spends", results));
  } finally {
    await d.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
