/** The twin's URTS tip pool (same rules as core-wasm/assembly/_pool.ts, TIP-3). */
import { C_OM, C_POOL, C_POOLPOS, C_YM, FLAGS_BAD, H_CHILDREN, H_FLAGS, H_PCOUNT, H_SEQ, LAZY, NON_LAZY, PlainState, SEMI } from "./plain-state";

export function setClock(g: PlainState, nowMs: number): void {
  g.clockMs = nowMs >>> 0;
  expireAged(g);
}

export function scoreOf(g: PlainState, slot: number): number {
  if (g.hot[(slot << 4) + H_FLAGS] & FLAGS_BAD) return LAZY;
  const c = slot << 3;
  const l = g.latestMs;
  if (l - g.cold[c + C_YM] > g.c1) return LAZY;
  const om = l - g.cold[c + C_OM];
  if (om > g.maxDepth) return LAZY;
  if (om > g.c2) return SEMI;
  return NON_LAZY;
}

export function poolAdd(g: PlainState, slot: number, kind: number): void {
  const pos = kind === NON_LAZY ? g.nonLazyCount++ : g.semiCount++;
  (kind === NON_LAZY ? g.poolNonLazy : g.poolSemi)[pos] = slot;
  g.cold[(slot << 3) + C_POOLPOS] = pos;
  g.cold[(slot << 3) + C_POOL] = kind;
}

export function poolRemove(g: PlainState, slot: number): void {
  const c = slot << 3;
  const kind = g.cold[c + C_POOL];
  if (kind === 0) return;
  const list = kind === NON_LAZY ? g.poolNonLazy : g.poolSemi;
  const pos = g.cold[c + C_POOLPOS];
  const last = kind === NON_LAZY ? --g.nonLazyCount : --g.semiCount;
  const moved = list[last];
  list[pos] = moved;
  g.cold[(moved << 3) + C_POOLPOS] = pos;
  g.cold[c + C_POOL] = 0;
}

export function agePush(g: PlainState, seq: number, deadline: number): void {
  if (g.ageTail - g.ageHead === g.cap) {
    const old = g.ageSeq[g.ageHead & g.mask];
    g.ageHead++;
    if (g.inWindow(old)) poolRemove(g, old & g.mask);
  }
  const i = g.ageTail & g.mask;
  g.ageSeq[i] = seq;
  g.ageDeadline[i] = deadline;
  g.ageTail++;
}

export function expireAged(g: PlainState): void {
  while (g.ageHead !== g.ageTail) {
    const i = g.ageHead & g.mask;
    if (((g.clockMs - g.ageDeadline[i]) | 0) < 0) break;
    const seq = g.ageSeq[i];
    g.ageHead++;
    if (g.inWindow(seq)) poolRemove(g, seq & g.mask);
  }
}

export function poolOnAppend(g: PlainState, slot: number): void {
  const n = g.hot[(slot << 4) + H_PCOUNT];
  const pbase = slot << 3;
  for (let i = 0; i < n; i++) {
    const p = g.parents[pbase + i];
    if (!g.inWindow(p)) continue;
    const ps = p & g.mask;
    const children = g.hot[(ps << 4) + H_CHILDREN];
    if (children === 1) agePush(g, p, (g.clockMs + g.maxAgeMs) >>> 0);
    if (children >= g.maxChildren) poolRemove(g, ps);
  }
  const score = scoreOf(g, slot);
  if (score !== LAZY) poolAdd(g, slot, score);
  if (g.nonLazyCount > g.maxNonLazy) {
    for (let i = 0; i < n; i++) {
      const p = g.parents[pbase + i];
      if (g.inWindow(p)) poolRemove(g, p & g.mask);
    }
  }
  expireAged(g);
}

export function poolOnMilestone(g: PlainState): void {
  for (let i = g.nonLazyCount - 1; i >= 0; i--) {
    const slot = g.poolNonLazy[i];
    const score = scoreOf(g, slot);
    if (score === NON_LAZY) continue;
    poolRemove(g, slot);
    if (score === SEMI) poolAdd(g, slot, SEMI);
  }
  for (let i = g.semiCount - 1; i >= 0; i--) {
    const slot = g.poolSemi[i];
    const score = scoreOf(g, slot);
    if (score === SEMI) continue;
    poolRemove(g, slot);
    if (score === NON_LAZY) poolAdd(g, slot, NON_LAZY);
  }
}

/** Up to `count` distinct non-lazy tips into `output`; returns how many. */
export function select(g: PlainState, count: number): number {
  expireAged(g);
  const size = g.nonLazyCount;
  const list = g.poolNonLazy;
  const hot = g.hot;
  const cold = g.cold;
  const n = count < size ? count : size;
  for (let i = 0; i < n; i++) {
    const j = i + g.rng.below(size - i);
    const a = list[i];
    if (j !== i) {
      const b = list[j];
      list[i] = b;
      list[j] = a;
      cold[(b << 3) + C_POOLPOS] = i;
      cold[(a << 3) + C_POOLPOS] = j;
      g.output[i] = hot[(b << 4) + H_SEQ];
    } else {
      g.output[i] = hot[(a << 4) + H_SEQ];
    }
  }
  return n;
}
