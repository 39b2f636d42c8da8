/**
 * Seeded random tangles driven into the WASM graph and the brute-force reference in lockstep.
 */
import { TangleGraph, TxFlags } from "../../core-wasm/src/tangle";
import { RefTangle, mulberry32 } from "./_tangle-reference";

export interface ScenarioOptions {
  seed: number;
  window: number;
  capacity?: number;
  appends: number;
  /** Chance that an append is a milestone. */
  milestoneRate: number;
  /** Chance that a milestone skips its predecessor (breaks the chain). */
  skipRate?: number;
  /** Chance that a transaction is flagged INVALID. */
  invalidRate?: number;
  /** Weight checkpoint policy [interval, lag] (default: the graph's). */
  checkpoints?: [number, number];
  /** Called after every append. */
  after?: (g: TangleGraph, ref: RefTangle, seq: number) => void;
}

export function pickParents(rand: () => number, next: number, window: number): number[] {
  if (next === 0) return [];
  const r = rand();
  // Mostly 1..8 parents; now and then none (a new root).
  const count = r < 0.03 ? 0 : 1 + Math.floor(rand() * 8);
  const out = new Set<number>();
  for (let tries = 0; out.size < count && tries < 40; tries++) {
    const kind = rand();
    let p: number;
    if (kind < 0.5) p = next - 1 - Math.floor(rand() * Math.min(next, 6)); // recent: diamonds
    else if (kind < 0.85) p = next - 1 - Math.floor(rand() * Math.min(next, window)); // anywhere
    else p = next - 1 - Math.floor(rand() * Math.min(next, 2 * window)); // maybe evicted
    if (p >= 0) out.add(p);
  }
  return [...out];
}

/** Runs one scenario; returns the graph and reference (the graph is reset, not created, if given). */
export function runScenario(o: ScenarioOptions, g: TangleGraph): { g: TangleGraph; ref: RefTangle } {
  const rand = mulberry32(o.seed);
  g.reset({ window: o.window, capacity: o.capacity });
  if (o.checkpoints) g.setWeightCheckpointPolicy(...o.checkpoints);
  const ref = new RefTangle(o.window);
  let lastMs = -1; // seq of the latest milestone
  for (let i = 0; i < o.appends; i++) {
    const next = ref.next;
    let parents = pickParents(rand, next, o.window);
    const isMs = rand() < o.milestoneRate;
    let flags = TxFlags.SOLID;
    if (!isMs && rand() < (o.invalidRate ?? 0)) flags |= TxFlags.INVALID;
    let msIndex = 0;
    if (isMs) {
      const prevIn = lastMs >= 0 && ref.inWindow(lastMs);
      if (prevIn) {
        msIndex = ref.latest + 1;
        const skip = rand() < (o.skipRate ?? 0);
        parents = parents.filter((p) => p !== lastMs);
        if (!skip) parents = [lastMs, ...parents].slice(0, 8);
      } else {
        msIndex = ref.latest + 1 + Math.floor(rand() * 3);
      }
    }
    const seq = isMs ? g.appendMilestone(parents, i, msIndex, flags) : g.append(parents, i, flags);
    const rseq = ref.append(parents, flags, msIndex);
    ref.allParents.set(rseq, parents);
    if (seq !== rseq) throw new Error(`seq mismatch ${seq} != ${rseq}`);
    if (isMs) lastMs = seq;
    o.after?.(g, ref, seq);
  }
  return { g, ref };
}
