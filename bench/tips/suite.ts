/**
 * `tangle bench tips`: URTS picks, MCMC walks and exact-weight upkeep on a realistic tangle, WASM
 * core (core-wasm/src/tangle.ts) against the same algorithms in plain TypeScript (./plain.ts).
 *
 * Input: a simulated tangle per window size (simulate.ts: Poisson issue, URTS parents, network
 * delay, a coordinator), generated once, then replayed into each implementation (replay.ts), so
 * both hold identical graphs.
 *
 * Measured: per-append cost with weight upkeep on and off (their difference is the cost of keeping
 * weights exact; also with the coordinator silent), URTS pick of 8 parents, and the MCMC walk from
 * milestone latest-3 and from the oldest milestone of the window (the whole window's height), plus
 * the same walk with weights counted on demand instead of kept (IRI's way) where that finishes.
 * Checked: both implementations agree on every weight, and every walk ends on a tip (H = 1).
 * WASM and TypeScript are timed alternately (chunks of appends, single walks, batches of picks)
 * after a common warm-up, so both see the same machine load and an optimised JIT.
 */
import { TangleGraph } from "../../core-wasm/src/tangle";
import { type BenchResult, type SuiteOptions, median, nowNs, percentile } from "../lib/report";
import { PlainTangle } from "./plain";
import { buildObjectGraph, walkObjects } from "./idiomatic";
import { plainAppender, pow2AtLeast, replayInterleaved, timePair, wasmAppender } from "./replay";
import { simRandom, simulateTangle } from "./simulate";

export { simulateTangle } from "./simulate";

const ALPHA = 0.001;
const WALK_DEPTH = 3;
const PICK_BATCH = 32; // URTS picks per timed batch

/**
 * Runs every measured operation of both implementations untimed on a small tangle, so that V8 has
 * optimised the TypeScript (and compiled the WASM) before anything is measured. Without it the
 * first window's TypeScript figures include JIT warm-up and flatter the WASM ratios.
 */
function warmUp(): void {
  const window = 2000;
  const stream = simulateTangle(window, 6000, 99);
  const g = new TangleGraph({ window, capacity: 2048 });
  const p = new PlainTangle(2048, window);
  replayInterleaved(stream, window, [wasmAppender(g, stream), plainAppender(p, stream)]);
  const out = new Uint32Array(8);
  for (let i = 0; i < 2000; i++) {
    g.selectTipsInto(out, 8);
    p.select(8);
  }
  for (const depth of [WALK_DEPTH, 0xffffffff]) {
    const entry = g.entryPoint(depth);
    for (let i = 0; i < 300; i++) {
      g.walk(ALPHA, entry);
      p.walk(entry, ALPHA);
    }
    for (let i = 0; i < 3; i++) p.walkOnDemand(entry, ALPHA);
  }
}

export async function runTipsSuite(opts: SuiteOptions): Promise<BenchResult[]> {
  const quick = opts.quick ?? false;
  const windows = quick ? [1000, 10000] : [1000, 10000, 50000, 100000];
  const walkSamples = quick ? 40 : 500;
  const pickBatches = quick ? 200 : 2000;
  const results: BenchResult[] = [];
  const stepsPerWindow = 5;
  const total = windows.length * stepsPerWindow;
  let done = 0;
  const progress = (label: string): void => {
    done++;
    opts.progress?.(done, total, label);
  };
  const add = (name: string, params: Record<string, unknown>, metric: string, value: number, unit: string): void => {
    results.push({ name, params, metric, value: Number(value.toPrecision(4)), unit });
  };
  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  warmUp();
  for (const window of windows) {
    // Ingest beyond the window so eviction is part of every timed append.
    const appends = window + Math.max(Math.floor(window / 2), quick ? 2000 : 5000);
    const stream = simulateTangle(window, appends, 1000 + window);
    progress(`tips ${window}: simulated ${appends} transactions`);
    await tick();

    const capacity = pow2AtLeast(window);
    const wasm = new TangleGraph({ window, capacity, seed: 7 });
    const wasmOffGraph = new TangleGraph({ window, capacity });
    wasmOffGraph.disableWeights();
    const plain = new PlainTangle(capacity, window);
    plain.seed(7, 0);
    const plainOff = new PlainTangle(capacity, window);
    plainOff.weightsOn = false;
    const [wasmOn, wasmOff, tsOn, tsOff] = replayInterleaved(stream, window, [
      wasmAppender(wasm, stream),
      wasmAppender(wasmOffGraph, stream),
      plainAppender(plain, stream),
      plainAppender(plainOff, stream),
    ]);
    const visitsPerAppend = wasm.weightVisits / appends;
    progress(`tips ${window}: ingest (WASM and TS, weights on and off)`);
    await tick();

    // Check: identical graphs, identical exact weights.
    const first = wasm.nextSeq - wasm.size;
    for (let s = first; s < wasm.nextSeq; s++) {
      if (wasm.weight(s) !== plain.weight(s)) {
        throw new Error(`tips bench: weight of ${s} differs: wasm ${wasm.weight(s)}, ts ${plain.weight(s)}`);
      }
    }
    for (const [impl, on, off] of [["wasm", wasmOn, wasmOff], ["ts", tsOn, tsOff]] as const) {
      add("append", { impl, window, weights: "on" }, "latency-median", median(on), "us");
      add("append", { impl, window, weights: "off" }, "latency-median", median(off), "us");
      add("weight-upkeep", { impl, window }, "latency-median", Math.max(0, median(on) - median(off)), "us/append");
    }
    add("weight-upkeep", { impl: "wasm", window }, "explicit-credits-per-append", visitsPerAppend, "nodes");
    // The same ingest with the coordinator silent (no milestone after genesis): weight upkeep must
    // not depend on milestones (see docs/tip-selection.md, weight checkpoints).
    {
      const quiet = simulateTangle(window, appends, 2000 + window, Infinity);
      const on = new TangleGraph({ window, capacity });
      const off = new TangleGraph({ window, capacity });
      off.disableWeights();
      const [qOn, qOff] = replayInterleaved(quiet, window, [wasmAppender(on, quiet), wasmAppender(off, quiet)]);
      add("weight-upkeep", { impl: "wasm", window, milestones: "none" }, "latency-median",
        Math.max(0, median(qOn) - median(qOff)), "us/append");
      add("weight-upkeep", { impl: "wasm", window, milestones: "none" }, "explicit-credits-per-append",
        on.weightVisits / appends, "nodes");
    }
    add("weight-upkeep", { window }, "speedup-vs-ts",
      Math.max(0, median(tsOn) - median(tsOff)) / Math.max(1e-9, median(wasmOn) - median(wasmOff)), "x");

    // URTS: batches of picks of 8 parents from the live pool (picking does not change membership).
    const out = new Uint32Array(8);
    const [pickW, pickT] = timePair(
      pickBatches,
      () => {
        for (let k = 0; k < PICK_BATCH; k++) wasm.selectTipsInto(out, 8);
      },
      () => {
        for (let k = 0; k < PICK_BATCH; k++) plain.select(8);
      },
    ).map((xs) => xs.map((us) => us / PICK_BATCH));
    if (wasm.selectTipsInto(out, 8) === 0) throw new Error("tips bench: empty URTS pool");
    for (const [impl, xs] of [["wasm", pickW], ["ts", pickT]] as const) {
      add("urts-pick", { impl, window, count: 8, pool: wasm.nonLazyTipCount }, "latency-median", median(xs), "us");
      add("urts-pick", { impl, window, count: 8, pool: wasm.nonLazyTipCount }, "latency-p99", percentile(xs, 99), "us");
    }
    add("urts-pick", { window, count: 8 }, "speedup-vs-ts", median(pickT) / median(pickW), "x");
    progress(`tips ${window}: URTS`);
    await tick();

    // MCMC walks.
    for (const entryKind of ["depth-3", "window"] as const) {
      const depth = entryKind === "depth-3" ? WALK_DEPTH : 0xffffffff;
      const entry = wasm.entryPoint(depth);
      if (plain.entryPoint(depth) !== entry) throw new Error("tips bench: entry points differ");
      // Results are kept and checked after timing, so checks do not count against either side.
      const tipsW = new Float64Array(walkSamples + 20);
      const tipsT = new Float64Array(walkSamples + 20);
      const steps = new Float64Array(walkSamples + 20);
      let iw = 0;
      let it = 0;
      const [wMs, tMs] = timePair(
        walkSamples,
        () => {
          tipsW[iw++] = wasm.walk(ALPHA, entry);
        },
        () => {
          tipsT[it] = plain.walk(entry, ALPHA);
          steps[it++] = plain.lastSteps;
        },
      ).map((xs) => xs.map((us) => us / 1000));
      for (const tip of tipsW) {
        if (wasm.weight(tip) !== 1) throw new Error(`tips bench: wasm walk ended on ${tip}, not a tip`);
      }
      for (const tip of tipsT) {
        if (plain.weight(tip) !== 1) throw new Error(`tips bench: ts walk ended on ${tip}, not a tip`);
      }
      // For contrast, the same walk without weight upkeep (weights counted on demand), where it
      // finishes in reasonable time: deep walks over large windows take seconds each.
      if (entryKind === "depth-3" || window <= 10000) {
        const od: number[] = [];
        const odSamples = quick ? 5 : 20;
        for (let k = 0; k < odSamples; k++) {
          const t0 = nowNs();
          const tip = plain.walkOnDemand(entry, ALPHA);
          od.push((nowNs() - t0) / 1e6);
          if (plain.weight(tip) !== 1) throw new Error(`tips bench: on-demand walk ended on ${tip}`);
        }
        add("mcmc-walk", { impl: "ts-on-demand", window, alpha: ALPHA, entry: entryKind }, "latency-median",
          median(od), "ms");
      }
      // The everyday TypeScript walk (objects, arrays per step) on the same graph and weights.
      const objects = buildObjectGraph(wasm);
      const entryNode = objects.get(entry)!;
      const rand = simRandom(99 + window);
      const tipsI: number[] = [];
      const [wMs2, iMs] = timePair(
        walkSamples,
        () => {
          wasm.walk(ALPHA, entry);
        },
        () => {
          tipsI.push(walkObjects(entryNode, ALPHA, rand).seq);
        },
      ).map((xs) => xs.map((us) => us / 1000));
      for (const tip of tipsI) {
        if (wasm.weight(tip) !== 1) throw new Error(`tips bench: idiomatic walk ended on ${tip}, not a tip`);
      }
      const params = { window, alpha: ALPHA, entry: entryKind };
      add("mcmc-walk", { impl: "ts-idiomatic", ...params }, "latency-median", median(iMs), "ms");
      add("mcmc-walk", { impl: "ts-idiomatic", ...params }, "latency-p99", percentile(iMs, 99), "ms");
      add("mcmc-walk", params, "speedup-vs-ts-idiomatic", median(iMs) / median(wMs2), "x");
      for (const [impl, xs] of [["wasm", wMs], ["ts", tMs]] as const) {
        add("mcmc-walk", { impl, ...params }, "latency-median", median(xs), "ms");
        add("mcmc-walk", { impl, ...params }, "latency-p99", percentile(xs, 99), "ms");
      }
      add("mcmc-walk", params, "steps-median", median(Array.from(steps)), "steps");
      add("mcmc-walk", params, "speedup-vs-ts", median(tMs) / median(wMs), "x");
      progress(`tips ${window}: walk from ${entryKind}`);
      await tick();
    }
  }
  return results;
}
