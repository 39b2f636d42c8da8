/**
 * Brute-force reference for the WASM tangle graph, written to be obviously right rather than
 * fast: every node keeps its explicit future-cone set, cones are found by plain traversals with
 * JS Sets, TIP-3 cone roots are recomputed from scratch on request. Sequence numbers here never
 * wrap (tests stay far below 2^32).
 */
import { TxFlags } from "../../core-wasm/src/tangle";

export interface RefNode {
  seq: number;
  /** Parents that were in the window when the node was appended (the graph's edges). */
  parents: number[];
  flags: number;
  conf: number;
  msIndex: number;
  future: Set<number>;
}

const BAD = TxFlags.CONFLICTING | TxFlags.INVALID | TxFlags.INVALID_CONE;

export class RefTangle {
  next = 0;
  latest = 0;
  boundary = 0;
  readonly nodes = new Map<number, RefNode>();

  constructor(readonly window: number) {}

  inWindow(seq: number): boolean {
    return seq < this.next && seq >= this.next - this.window && this.nodes.has(seq);
  }

  /** Strict past cone of a node given its in-window parents. */
  pastCone(parents: readonly number[]): Set<number> {
    const seen = new Set<number>();
    const stack = [...parents];
    while (stack.length > 0) {
      const s = stack.pop()!;
      if (seen.has(s) || !this.nodes.has(s)) continue;
      seen.add(s);
      stack.push(...this.nodes.get(s)!.parents);
    }
    return seen;
  }

  append(parents: readonly number[], flags: number, msIndex = 0): number {
    if (this.nodes.size === this.window) {
      const gone = this.nodes.get(this.next - this.window)!;
      this.nodes.delete(gone.seq);
      if (gone.conf > this.boundary) this.boundary = gone.conf;
    }
    const seq = this.next++;
    const inParents = parents.filter((p) => this.nodes.has(p));
    let f = flags & ~(TxFlags.CONFIRMED | TxFlags.MILESTONE | TxFlags.INVALID_CONE);
    for (const p of inParents) {
      if (this.nodes.get(p)!.flags & (TxFlags.INVALID | TxFlags.INVALID_CONE)) f |= TxFlags.INVALID_CONE;
    }
    const node: RefNode = { seq, parents: inParents, flags: f, conf: 0, msIndex, future: new Set() };
    this.nodes.set(seq, node);
    const past = this.pastCone(inParents);
    for (const x of past) this.nodes.get(x)!.future.add(seq);
    if (msIndex > 0) {
      node.flags |= TxFlags.CONFIRMED | TxFlags.MILESTONE;
      for (const x of [...past, seq]) {
        const n = this.nodes.get(x)!;
        if (n.conf === 0) {
          n.conf = msIndex;
          n.flags |= TxFlags.CONFIRMED;
        }
      }
      this.latest = msIndex;
    }
    return seq;
  }

  weight(seq: number): number {
    return 1 + this.nodes.get(seq)!.future.size;
  }

  /** TIP-3 YMRSI/OMRSI from scratch: walk the past cone, stop at confirmed nodes (the roots). */
  roots(seq: number): { ymrsi: number; omrsi: number } {
    const n = this.nodes.get(seq)!;
    if (n.conf !== 0) return { ymrsi: n.conf, omrsi: n.conf };
    const idx: number[] = [];
    const seen = new Set<number>();
    const stack = [seq];
    while (stack.length > 0) {
      const s = stack.pop()!;
      if (seen.has(s)) continue;
      seen.add(s);
      const x = this.nodes.get(s)!;
      if (x.conf !== 0) {
        idx.push(x.conf);
        continue;
      }
      const all = this.allParents.get(s) ?? [];
      if (all.length === 0) idx.push(this.boundary);
      for (const p of all) {
        if (this.nodes.has(p)) stack.push(p);
        else idx.push(this.boundary);
      }
    }
    return { ymrsi: Math.max(...idx), omrsi: Math.min(...idx) };
  }

  /** All parents as given (needed for boundary roots); filled by the test driver. */
  readonly allParents = new Map<number, number[]>();

  isBad(seq: number): boolean {
    return (this.nodes.get(seq)!.flags & BAD) !== 0;
  }

  /** Direct approvers in the window that are not bad. */
  validApprovers(seq: number): number[] {
    const out: number[] = [];
    for (const [s, n] of this.nodes) if (n.parents.includes(seq) && (n.flags & BAD) === 0) out.push(s);
    return out;
  }

  /** Exact distribution of the walk's end tip from `entry` (probability flow in arrival order). */
  walkDistribution(entry: number, alpha: number): Map<number, number> {
    const approvers = new Map<number, number[]>();
    for (const [s, n] of this.nodes) {
      if (n.flags & BAD) continue;
      for (const p of n.parents) {
        if (!approvers.has(p)) approvers.set(p, []);
        approvers.get(p)!.push(s);
      }
    }
    const mass = new Map<number, number>([[entry, 1]]);
    const tips = new Map<number, number>();
    const order = [...this.nodes.keys()].filter((s) => s >= entry).sort((a, b) => a - b);
    for (const x of order) {
      const p = mass.get(x);
      if (!p) continue;
      const ys = approvers.get(x) ?? [];
      if (ys.length === 0) {
        tips.set(x, (tips.get(x) ?? 0) + p);
        continue;
      }
      const hs = ys.map((y) => this.weight(y));
      const hmax = Math.max(...hs);
      const ws = hs.map((h) => Math.exp(-alpha * (hmax - h)));
      const sum = ws.reduce((a, b) => a + b, 0);
      ys.forEach((y, i) => mass.set(y, (mass.get(y) ?? 0) + (p * ws[i]) / sum));
    }
    return tips;
  }
}

/** Small seeded PRNG for test data (mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Pearson chi-square statistic of observed counts against expected probabilities, merging bins
 * with expectation below 5 into one. Returns the statistic and degrees of freedom.
 */
export function chiSquare(observed: Map<number, number>, expected: Map<number, number>,
  total: number): { chi2: number; df: number } {
  let chi2 = 0;
  let bins = 0;
  let smallO = 0;
  let smallE = 0;
  for (const [k, p] of expected) {
    const e = p * total;
    const o = observed.get(k) ?? 0;
    if (e < 5) {
      smallO += o;
      smallE += e;
      continue;
    }
    chi2 += ((o - e) * (o - e)) / e;
    bins++;
  }
  if (smallE > 0) {
    chi2 += ((smallO - smallE) * (smallO - smallE)) / Math.max(smallE, 1e-9);
    bins++;
  }
  for (const k of observed.keys()) {
    if (!expected.has(k)) throw new Error(`walk ended on ${k}, which has probability 0`);
  }
  return { chi2, df: Math.max(1, bins - 1) };
}

/** Upper critical value of chi-square at p = 1e-4 (Wilson-Hilferty approximation). */
export function chiSquareCritical(df: number): number {
  const z = 3.719; // one-sided 1e-4
  const h = 2 / (9 * df);
  return df * Math.pow(1 - h + z * Math.sqrt(h), 3);
}
