/**
 * The twin's window (same as core-wasm/assembly/_window.ts): appending a record and linking it to
 * its parents, eviction bookkeeping, TIP-3 cone roots, white-flag confirmation of a milestone's
 * past cone. The order of one append across the parts is in plain.ts, as _append.ts does it.
 */
import { C_CONF, C_CPREF, C_MSREF, C_OM, C_TIME, C_YM, FLAG_CONFIRMED, FLAG_INVALID, FLAG_INVALID_CONE, FLAG_MILESTONE, FLAGS_DERIVED, H_CHILDREN, H_FIRST, H_FLAGS, H_LINK0, H_MARK, H_PCOUNT, H_SEQ, PlainState } from "./plain-state";

export function msInWindow(g: PlainState, index: number): boolean {
  return g.oldestMs !== 0 && index >= g.oldestMs && index <= g.latestMs;
}

export function nextEpoch(g: PlainState): number {
  g.epoch = (g.epoch + 1) >>> 0;
  if (g.epoch === 0) {
    for (let s = 0; s < g.cap; s++) g.hot[s * 16 + H_MARK] = 0;
    g.epoch = 1;
  }
  return g.epoch;
}

export function rootsFromParents(g: PlainState, slot: number): void {
  const cold = g.cold;
  const n = g.hot[(slot << 4) + H_PCOUNT];
  let ym = 0;
  let om = 0xffffffff;
  if (n === 0) {
    ym = g.boundary;
    om = g.boundary;
  }
  const pbase = slot << 3;
  for (let i = 0; i < n; i++) {
    const p = g.parents[pbase + i];
    if (g.inWindow(p)) {
      const pc = (p & g.mask) << 3;
      const y = cold[pc + C_YM];
      const o = cold[pc + C_OM];
      if (y > ym) ym = y;
      if (o < om) om = o;
    } else {
      if (g.boundary > ym) ym = g.boundary;
      if (g.boundary < om) om = g.boundary;
    }
  }
  cold[(slot << 3) + C_YM] = ym;
  cold[(slot << 3) + C_OM] = om;
}

/** The bookkeeping of `seq` leaving the window (its pool entry is removed first, by the caller). */
export function evictRecord(g: PlainState, seq: number): void {
  const slot = seq & g.mask;
  const c = slot << 3;
  const conf = g.cold[c + C_CONF];
  if (g.hot[(slot << 4) + H_FLAGS] & FLAG_MILESTONE) g.oldestMs = conf === g.latestMs ? 0 : conf + 1;
  if (conf > g.boundary) g.boundary = conf;
  if (g.oldestCp !== 0 && g.cpSeq[g.oldestCp & g.mask] === seq) {
    g.oldestCp = g.oldestCp === g.latestCp ? 0 : g.oldestCp + 1;
  }
}

export function confirmMilestone(g: PlainState, seq: number, slot: number, k: number): void {
  const hot = g.hot;
  const cold = g.cold;
  const c = slot << 3;
  cold[c + C_CONF] = k;
  cold[c + C_YM] = k;
  cold[c + C_OM] = k;
  cold[c + C_MSREF] = k;
  hot[(slot << 4) + H_FLAGS] |= FLAG_CONFIRMED | FLAG_MILESTONE;
  const q = g.queue;
  let head = 0;
  let tail = 1;
  q[0] = slot;
  let maxDist = 0;
  while (head < tail) {
    const s = q[head++];
    const n = hot[(s << 4) + H_PCOUNT];
    const pbase = s << 3;
    for (let i = 0; i < n; i++) {
      const p = g.parents[pbase + i];
      if (!g.inWindow(p)) continue;
      const ps = p & g.mask;
      const pc = ps << 3;
      if (cold[pc + C_CONF] !== 0) continue;
      cold[pc + C_CONF] = k;
      cold[pc + C_YM] = k;
      cold[pc + C_OM] = k;
      hot[(ps << 4) + H_FLAGS] |= FLAG_CONFIRMED;
      const d = (seq - p) >>> 0;
      if (d > maxDist) maxDist = d;
      q[tail++] = ps;
    }
  }
  if (g.oldestMs === 0) g.oldestMs = k;
  g.msSeq[k & g.mask] = seq;
  g.latestMs = k;
  for (let s = (seq - maxDist) >>> 0; s !== seq; s = (s + 1) >>> 0) {
    const ss = s & g.mask;
    if (cold[(ss << 3) + C_CONF] === 0) rootsFromParents(g, ss);
  }
}

/**
 * Writes the next record (parents[0..n), flags without the derived ones, inherited milestone and
 * checkpoint refs, cone roots) and links it into its parents' approver lists; the window must have
 * room (the caller evicts first). Returns its seq.
 */
export function appendRecord(g: PlainState, parents: ArrayLike<number>, n: number, timestampSec: number, flags: number): number {
  const hot = g.hot;
  const cold = g.cold;
  const seq = g.next;
  const slot = seq & g.mask;
  const h = slot << 4;
  const c = slot << 3;
  hot.fill(0, h, h + 16);
  cold.fill(0, c, c + 8);
  hot[h + H_SEQ] = seq;
  hot[h + H_PCOUNT] = n;
  cold[c + C_TIME] = timestampSec;
  let f = flags & ~FLAGS_DERIVED;
  let msRef = 0;
  let cpRef = 0;
  const pbase = slot << 3;
  for (let i = 0; i < n; i++) {
    const p = parents[i] >>> 0;
    g.parents[pbase + i] = p;
    if (!g.inWindow(p)) continue;
    const ps = p & g.mask;
    const ph = ps << 4;
    const pc = ps << 3;
    const m = cold[pc + C_MSREF];
    if (m > msRef) msRef = m;
    const cr = cold[pc + C_CPREF];
    if (cr > cpRef) cpRef = cr;
    if (hot[ph + H_FLAGS] & (FLAG_INVALID | FLAG_INVALID_CONE)) f |= FLAG_INVALID_CONE;
    const word = h + H_LINK0 + i;
    hot[word] = hot[ph + H_FIRST];
    hot[ph + H_FIRST] = word + 1;
    hot[ph + H_CHILDREN]++;
  }
  hot[h + H_FLAGS] = f;
  cold[c + C_MSREF] = msRef;
  cold[c + C_CPREF] = cpRef;
  rootsFromParents(g, slot);
  g.next = (seq + 1) >>> 0;
  if (g.count < g.window) g.count++;
  return seq;
}
