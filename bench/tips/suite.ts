/**
 * `tangle bench tips`: URTS picks, MCMC walks and exact-weight upkeep on a realistic tangle, WASM
 * core (core-wasm/src/tangle.ts) against the same algorithms in plain TypeScript (./plain.ts).
 *
 * Input: a simulated tangle per window size. Transactions are issued as a Poisson process
 * (RATE_TPS), each approving 2..8 tips picked by URTS at issue time and arriving
 * NET_DELAY_MS later (proof of work and gossip), which is what keeps the tangle wide; a
 * coordinator milestone every MILESTONE_MS approves the previous milestone and up to 7 tips. The
 * stream is generated once, then replayed into each implementation, so both hold identical graphs.
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
import { seededRandom } from "../../client/util/random";
import { PlainTangle } from "./plain";
import { buildObjectGraph, walkObjects } from "./idiomatic";

const RATE_TPS = 500;
const MILESTONE_MS = 250;
const NET_DELAY_MS = [50, 150] as const;
const PARENTS = [2, 8] as const;
const ALPHA = 0.001;
const WALK_DEPTH = 3;
const CHUNK = 64; // appends per timed chunk
const PICK_BATCH = 32; // URTS picks per timed batch

/** A recorded ingest stream: appends in arrival order with parent seqs (seq = index). */
interface Stream {
  count: number;
  parentCount: Uint8Array;
  parents: Uint32Array; // 8 per append
  timestampSec: Uint32Array;
  clockMs: Uint32Array;
  msIndex: Uint32Array; // 0 = not a milestone
}

/** Deterministic uniform [0, 1) for the simulation. */
const simRandom = (seed: number): (() => number) => seededRandom(seed).next;

/** Issued transactions waiting for their arrival time (a binary min-heap on arrival time). */
class Arrivals {
  private at: number[] = [];
  private par: number[][] = [];
  get size(): number {
    return this.at.length;
  }
  peek(): number {
    return this.at[0];
  }
  push(t: number, parents: number[]): void {
    const at = this.at;
    const par = this.par;
    let i = at.length;
    at.push(t);
    par.push(parents);
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (at[up] <= at[i]) break;
      [at[up], at[i]] = [at[i], at[up]];
      [par[up], par[i]] = [par[i], par[up]];
      i = up;
    }
  }
  pop(): number[] {
    const at = this.at;
    const par = this.par;
    const top = par[0];
    const lastT = at.pop()!;
    const lastP = par.pop()!;
    if (at.length > 0) {
      at[0] = lastT;
      par[0] = lastP;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < at.length && at[l] < at[m]) m = l;
        if (r < at.length && at[r] < at[m]) m = r;
        if (m === i) break;
        [at[m], at[i]] = [at[i], at[m]];
        [par[m], par[i]] = [par[i], par[m]];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Simulates `appends` arrivals on a WASM graph of `window` and records them. `milestoneMs` is the
 * coordinator interval (Infinity: no milestones after the genesis one).
 */
export function simulateTangle(window: number, appends: number, seed = 1, milestoneMs = MILESTONE_MS): Stream {
  const rand = simRandom(seed);
  const g = new TangleGraph({ window, seed });
  const s: Stream = {
    count: 0,
    parentCount: new Uint8Array(appends),
    parents: new Uint32Array(appends * 8),
    timestampSec: new Uint32Array(appends),
    clockMs: new Uint32Array(appends),
    msIndex: new Uint32Array(appends),
  };
  const pending = new Arrivals();
  const pick = new Uint32Array(8);
  let now = 0;
  let nextIssue = 0;
  let nextMilestone = milestoneMs;
  let lastMs = -1;
  let lastSeq = -1;
  const record = (parents: ArrayLike<number>, n: number, msIndex: number): void => {
    g.setClockMs(now);
    const seq = msIndex ? g.appendMilestone(Array.from(parents).slice(0, n), now / 1000, msIndex)
      : g.append(Array.from(parents).slice(0, n), now / 1000);
    const i = s.count++;
    s.parentCount[i] = n;
    for (let k = 0; k < n; k++) s.parents[i * 8 + k] = parents[k];
    s.timestampSec[i] = Math.floor(now / 1000);
    s.clockMs[i] = now;
    s.msIndex[i] = msIndex;
    lastSeq = seq;
    if (msIndex) lastMs = seq;
  };
  record([], 0, 1); // genesis milestone
  while (s.count < appends) {
    const tArrive = pending.size > 0 ? pending.peek() : Infinity;
    now = Math.min(nextIssue, nextMilestone, tArrive);
    g.setClockMs(now);
    if (now === tArrive) {
      const parents = pending.pop().filter((p) => g.inWindow(p));
      if (parents.length === 0) parents.push(lastSeq);
      record(parents, parents.length, 0);
    } else if (now === nextMilestone) {
      const n = g.selectTipsInto(pick, 7);
      const parents = [lastMs, ...Array.from(pick.subarray(0, n)).filter((p) => p !== lastMs)];
      record(parents, parents.length, g.latestMilestone + 1);
      nextMilestone += milestoneMs;
    } else {
      const want = PARENTS[0] + Math.floor(rand() * (PARENTS[1] - PARENTS[0] + 1));
      const n = g.selectTipsInto(pick, want);
      const parents = n > 0 ? Array.from(pick.subarray(0, n)) : [lastSeq];
      const delay = NET_DELAY_MS[0] + rand() * (NET_DELAY_MS[1] - NET_DELAY_MS[0]);
      pending.push(now + delay, parents);
      nextIssue = now - (Math.log(1 - rand()) * 1000) / RATE_TPS;
    }
  }
  return s;
}

interface Appender {
  setClock(ms: number): void;
  append(i: number): void;
}

/**
 * Replays the stream into every appender, CHUNK appends at a time in rotation, so all of them see
 * the same machine conditions (the machine is shared; load comes and goes). Returns, per appender,
 * the per-append microseconds of each chunk appended after the window had filled.
 */
function replayInterleaved(stream: Stream, window: number, appenders: Appender[]): number[][] {
  const perAppendUs: number[][] = appenders.map(() => []);
  const fill = Math.min(window, stream.count);
  for (const a of appenders) {
    for (let i = 0; i < fill; i++) {
      a.setClock(stream.clockMs[i]);
      a.append(i);
    }
  }
  let i = fill;
  for (; i + CHUNK <= stream.count; i += CHUNK) {
    appenders.forEach((a, k) => {
      const t0 = nowNs();
      for (let j = i; j < i + CHUNK; j++) {
        a.setClock(stream.clockMs[j]);
        a.append(j);
      }
      perAppendUs[k].push((nowNs() - t0) / 1000 / CHUNK);
    });
  }
  for (const a of appenders) {
    for (let j = i; j < stream.count; j++) {
      a.setClock(stream.clockMs[j]);
      a.append(j);
    }
  }
  return perAppendUs;
}

function wasmAppender(g: TangleGraph, s: Stream): Appender {
  const parents: number[][] = [[], [], [], [], [], [], [], [], []].map((_, n) => new Array(n).fill(0));
  return {
    setClock: (ms) => g.setClockMs(ms),
    append: (i) => {
      const n = s.parentCount[i];
      const p = parents[n];
      for (let k = 0; k < n; k++) p[k] = s.parents[i * 8 + k];
      if (s.msIndex[i]) g.appendMilestone(p, s.timestampSec[i], s.msIndex[i]);
      else g.append(p, s.timestampSec[i]);
    },
  };
}

function plainAppender(t: PlainTangle, s: Stream): Appender {
  return {
    setClock: (ms) => t.setClock(ms),
    append: (i) => {
      t.append(s.parents.subarray(i * 8, i * 8 + 8), s.parentCount[i], s.timestampSec[i], 1, s.msIndex[i]);
    },
  };
}

function pow2AtLeast(n: number): number {
  let c = 16;
  while (c < n) c *= 2;
  return c;
}

/**
 * Times `a` and `b` per call in microseconds, `samples` times each, alternating which goes first,
 * after a short warm-up of both.
 */
function timePair(samples: number, a: () => void, b: () => void): [number[], number[]] {
  for (let i = 0; i < Math.min(20, samples); i++) {
    a();
    b();
  }
  const ta: number[] = [];
  const tb: number[] = [];
  const one = (fn: () => void, out: number[]): void => {
    const t0 = nowNs();
    fn();
    out.push((nowNs() - t0) / 1000);
  };
  for (let i = 0; i < samples; i++) {
    if (i & 1) {
      one(b, tb);
      one(a, ta);
    } else {
      one(a, ta);
      one(b, tb);
    }
  }
  return [ta, tb];
}

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
