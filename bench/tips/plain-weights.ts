/**
 * The twin's exact cumulative weights (same scheme as core-wasm/assembly/_weights.ts): explicit
 * credits up to the newest weight checkpoint in the past cone, lazy credits through checkpoint
 * prefix sums beyond it, and the designation of checkpoints.
 */
import { nextEpoch } from "./plain-graph";
import { C_CPREF, H_CP, H_EXPL, H_MARK, H_PCOUNT, PlainState } from "./plain-state";

export function cpInWindow(g: PlainState, index: number): boolean {
  return g.oldestCp !== 0 && index >= g.oldestCp && index <= g.latestCp;
}

export function enqueueParents(g: PlainState, slot: number, epoch: number, stopAt: number, tail: number): number {
  const hot = g.hot;
  const n = hot[(slot << 4) + H_PCOUNT];
  const pbase = slot << 3;
  for (let i = 0; i < n; i++) {
    const p = g.parents[pbase + i];
    if (!g.inWindow(p)) continue;
    const ps = p & g.mask;
    const ph = ps << 4;
    if (hot[ph + H_MARK] === epoch) continue;
    hot[ph + H_MARK] = epoch;
    const c = hot[ph + H_CP];
    if (c !== 0 && c <= stopAt) continue;
    g.queue[tail++] = ps;
  }
  return tail;
}

export function creditPastCone(g: PlainState, slot: number, j: number): void {
  if (!g.weightsOn) return;
  const hot = g.hot;
  let stopAt = 0;
  if (j !== 0 && cpInWindow(g, j)) {
    stopAt = j;
    g.total = (g.total + 1) >>> 0;
    for (let c = j + 1; c <= g.latestCp; c++) g.cpPrefix[c & g.mask]++;
  }
  const epoch = nextEpoch(g);
  let head = 0;
  let tail = enqueueParents(g, slot, epoch, stopAt, 0);
  while (head < tail) {
    const s = g.queue[head++];
    hot[(s << 4) + H_EXPL]++;
    tail = enqueueParents(g, s, epoch, stopAt, tail);
  }
}

export function cpRefFromParents(g: PlainState, slot: number): number {
  const n = g.hot[(slot << 4) + H_PCOUNT];
  const pbase = slot << 3;
  let ref = 0;
  for (let i = 0; i < n; i++) {
    const p = g.parents[pbase + i];
    if (!g.inWindow(p)) continue;
    const r = g.cold[((p & g.mask) << 3) + C_CPREF];
    if (r > ref) ref = r;
  }
  return ref;
}

export function maybeCheckpoint(g: PlainState, slot: number): void {
  if (!g.weightsOn) return;
  g.sinceCp++;
  if (g.sinceCp < g.cpInterval) return;
  const hot = g.hot;
  const cold = g.cold;
  const k = g.latestCp;
  const chained = cpInWindow(g, k);
  if (chained && cold[(slot << 3) + C_CPREF] !== k) return;
  const newest = (g.next - 1) >>> 0;
  let x = slot;
  let xSeq = newest;
  const kSeq = chained ? g.cpSeq[k & g.mask] : 0;
  while (((newest - xSeq) >>> 0) < g.cpLag) {
    const n = hot[(x << 4) + H_PCOUNT];
    const pbase = x << 3;
    let next = -1;
    let nextSeq = 0;
    for (let i = 0; i < n; i++) {
      const p = g.parents[pbase + i];
      if (!g.inWindow(p)) continue;
      if (chained && (p === kSeq || cold[((p & g.mask) << 3) + C_CPREF] !== k)) continue;
      next = p & g.mask;
      nextSeq = p;
      break;
    }
    if (next === -1) break;
    x = next;
    xSeq = nextSeq;
  }
  if (x === slot) return;
  g.sinceCp = 0;
  const idx = k + 1;
  hot[(x << 4) + H_CP] = idx;
  const q = g.queue;
  q[0] = x;
  let head = 0;
  let tail = 1;
  while (head < tail) {
    const s = q[head++];
    const n = hot[(s << 4) + H_PCOUNT];
    const pbase = s << 3;
    for (let i = 0; i < n; i++) {
      const p = g.parents[pbase + i];
      if (!g.inWindow(p)) continue;
      const ph = (p & g.mask) << 4;
      if (hot[ph + H_CP] !== 0) continue;
      hot[ph + H_CP] = idx;
      q[tail++] = p & g.mask;
    }
  }
  g.cpSeq[idx & g.mask] = xSeq;
  g.cpPrefix[idx & g.mask] = g.total;
  if (g.oldestCp === 0) g.oldestCp = idx;
  g.latestCp = idx;
  cold[(x << 3) + C_CPREF] = idx;
  for (let s = (xSeq + 1) >>> 0; s !== g.next; s = (s + 1) >>> 0) {
    const ss = s & g.mask;
    cold[(ss << 3) + C_CPREF] = cpRefFromParents(g, ss);
  }
}

export function weightOfSlot(g: PlainState, slot: number): number {
  const h = slot << 4;
  const c = g.hot[h + H_CP];
  const lazy = c !== 0 ? (g.total - g.cpPrefix[c & g.mask]) >>> 0 : 0;
  return 1 + g.hot[h + H_EXPL] + lazy;
}

export function weight(g: PlainState, seq: number): number {
  return g.inWindow(seq) ? weightOfSlot(g, seq & g.mask) : 0;
}
