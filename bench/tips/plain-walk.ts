/**
 * The twin's MCMC walk (same as core-wasm/assembly/_walk.ts), and for contrast the same walk with
 * weights computed on demand (IRI-style): same picks for the same RNG state, only the cost differs.
 */
import { FLAGS_BAD, H_FIRST, H_FLAGS, H_SEQ, PlainState } from "./plain-state";
import { weightOfSlot } from "./plain-weights";

export function entryPoint(g: PlainState, depth: number): number {
  if (g.oldestMs !== 0) {
    let index = g.latestMs > depth ? g.latestMs - depth : 0;
    if (index < g.oldestMs) index = g.oldestMs;
    return g.msSeq[index & g.mask];
  }
  return (g.next - g.count) >>> 0;
}

export function walk(g: PlainState, entrySeq: number, alpha: number): number {
  const hot = g.hot;
  let steps = 0;
  const scratch = g.scratch;
  const scratchH = g.scratchH;
  const scratchW = g.scratchW;
  let x = entrySeq & g.mask;
  for (;;) {
    let e = hot[(x << 4) + H_FIRST];
    let n = 0;
    let hmax = 0;
    while (e !== 0) {
      const word = e - 1;
      const child = word >>> 4;
      e = hot[word];
      if (hot[(child << 4) + H_FLAGS] & FLAGS_BAD) continue;
      const h = weightOfSlot(g, child);
      scratch[n] = child;
      scratchH[n] = h;
      if (h > hmax) hmax = h;
      n++;
    }
    if (n === 0) {
      g.lastSteps = steps;
      return hot[(x << 4) + H_SEQ];
    }
    steps++;
    if (n === 1) {
      x = scratch[0];
      continue;
    }
    if (alpha === 0) {
      x = scratch[g.rng.below(n)];
      continue;
    }
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const w = Math.exp(-alpha * (hmax - scratchH[i]));
      scratchW[i] = w;
      sum += w;
    }
    let r = g.rng.unit() * sum;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      r -= scratchW[i];
      if (r < 0) {
        pick = i;
        break;
      }
    }
    x = scratch[pick];
  }
}

/** |future cone of slot| + 1 by a forward traversal of approver lists. */
export function futureConeWeight(g: PlainState, slot: number): number {
  const hot = g.hot;
  const mark = (g.odMark ??= new Uint32Array(g.cap));
  const q = g.queue;
  const epoch = ++g.odEpoch;
  let head = 0;
  let tail = 0;
  q[tail++] = slot;
  mark[slot] = epoch;
  while (head < tail) {
    let e = hot[(q[head++] << 4) + H_FIRST];
    while (e !== 0) {
      const word = e - 1;
      const child = word >>> 4;
      e = hot[word];
      if (mark[child] !== epoch) {
        mark[child] = epoch;
        q[tail++] = child;
      }
    }
  }
  return tail;
}

/**
 * The MCMC walk with no weight upkeep: each candidate's H is counted when a choice needs it by a
 * traversal of its future cone (IRI rated the whole sub-tangle above the entry first instead,
 * O(n^2) in the worst case). Same picks as walk() for the same RNG state; only the cost differs.
 */
export function walkOnDemand(g: PlainState, entrySeq: number, alpha: number): number {
  const hot = g.hot;
  const scratch = g.scratch;
  const scratchH = g.scratchH;
  const scratchW = g.scratchW;
  let x = entrySeq & g.mask;
  for (;;) {
    let e = hot[(x << 4) + H_FIRST];
    let n = 0;
    let hmax = 0;
    while (e !== 0) {
      const word = e - 1;
      const child = word >>> 4;
      e = hot[word];
      if (hot[(child << 4) + H_FLAGS] & FLAGS_BAD) continue;
      scratch[n++] = child;
    }
    if (n === 0) return hot[(x << 4) + H_SEQ];
    if (n === 1) {
      x = scratch[0];
      continue;
    }
    if (alpha === 0) {
      x = scratch[g.rng.below(n)];
      continue;
    }
    // Only where a choice needs them, so this is the cheapest on-demand variant.
    for (let i = 0; i < n; i++) {
      const h = futureConeWeight(g, scratch[i]);
      scratchH[i] = h;
      if (h > hmax) hmax = h;
    }
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const w = Math.exp(-alpha * (hmax - scratchH[i]));
      scratchW[i] = w;
      sum += w;
    }
    let r = g.rng.unit() * sum;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      r -= scratchW[i];
      if (r < 0) {
        pick = i;
        break;
      }
    }
    x = scratch[pick];
  }
}
