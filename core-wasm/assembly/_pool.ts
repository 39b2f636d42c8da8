// URTS tip pool, IOTA TIP-3 (internal; API in tipsel.ts).
//
// Score from the tip's cone-root indexes (YMRSI/OMRSI, cached per node in _window.ts) against the
// latest milestone index L:
//   lazy (0)      if L - YMRSI > C1 or L - OMRSI > M (below max depth): never selected, dropped;
//   semi-lazy (1) if L - OMRSI > C2: kept apart (a coordinator may pick them to promote them);
//   non-lazy (2)  otherwise: eligible for uniform random selection.
// Retirement: a tip leaves the pools once it has MAX_CHILDREN direct approvers, or MAX_AGE_MS
// after its first approver arrived (pool clock, set by the caller). If an append makes the
// non-lazy pool exceed MAX_NON_LAZY, the new tip's parents leave the pools. Scores are redone for
// every pooled tip when a milestone arrives (L and the roots change).
//
// Pools are dense slot lists with the position kept in the node record, so add, remove and a
// uniform pick are O(1). First-child deadlines are non-decreasing in pool-clock order, so
// expiry is a FIFO ring popped from the front.

import { AGE_DEADLINE, AGE_SEQ, CAP, C_OM, C_POOL, C_POOLPOS, C_YM, FLAGS_BAD, H_CHILDREN, H_FLAGS,
  H_PCOUNT, H_SEQ, LATEST_MS, OUTPUT, PARENTS, POOL_NONLAZY, POOL_SEMI, cold, hot, inWindow,
  slotOf } from "./_window";
import { rngBelow } from "./_rng";

export const SCORE_LAZY: i32 = 0;
export const SCORE_SEMI_LAZY: i32 = 1;
export const SCORE_NON_LAZY: i32 = 2;

// TIP-3 recommended defaults (C1, C2, M) and the Bee/Hornet retention rules.
export let C1: u32 = 8;
export let C2: u32 = 13;
export let MAX_DEPTH: u32 = 15;
export let MAX_CHILDREN: u32 = 2;
export let MAX_AGE_MS: u32 = 3000;
export let MAX_NON_LAZY: u32 = 100;

export let NON_LAZY_COUNT: u32 = 0;
export let SEMI_COUNT: u32 = 0;
let CLOCK_MS: u32 = 0;
let ageHead: u32 = 0; // ring indexes, modulo CAP via ageSlot
let ageTail: u32 = 0;

export function resetPool(): void {
  configurePool(8, 13, 15, 2, 3000, 100);
  NON_LAZY_COUNT = 0;
  SEMI_COUNT = 0;
  ageHead = 0;
  ageTail = 0;
  CLOCK_MS = 0;
}

export function configurePool(c1: u32, c2: u32, maxDepth: u32, maxChildren: u32, maxAgeMs: u32,
  maxNonLazy: u32): void {
  C1 = c1;
  C2 = c2;
  MAX_DEPTH = maxDepth;
  MAX_CHILDREN = maxChildren;
  MAX_AGE_MS = maxAgeMs;
  MAX_NON_LAZY = maxNonLazy;
}

export function scoreOf(slot: u32): i32 {
  if (load<u32>(hot(slot), H_FLAGS) & FLAGS_BAD) return SCORE_LAZY;
  const c = cold(slot);
  const l = <i64>LATEST_MS;
  if (l - <i64>load<u32>(c, C_YM) > <i64>C1) return SCORE_LAZY;
  const om = l - <i64>load<u32>(c, C_OM);
  if (om > <i64>MAX_DEPTH) return SCORE_LAZY;
  if (om > <i64>C2) return SCORE_SEMI_LAZY;
  return SCORE_NON_LAZY;
}

@inline function listOf(kind: u32): usize {
  return kind == <u32>SCORE_NON_LAZY ? POOL_NONLAZY : POOL_SEMI;
}

function poolAdd(slot: u32, kind: u32): void {
  const r = cold(slot);
  let pos: u32;
  if (kind == <u32>SCORE_NON_LAZY) {
    pos = NON_LAZY_COUNT++;
  } else {
    pos = SEMI_COUNT++;
  }
  store<u32>(listOf(kind) + (<usize>pos << 2), slot);
  store<u32>(r, pos, C_POOLPOS);
  store<u32>(r, kind, C_POOL);
}

export function poolRemove(slot: u32): void {
  const r = cold(slot);
  const kind = load<u32>(r, C_POOL);
  if (kind == 0) return;
  const list = listOf(kind);
  const pos = load<u32>(r, C_POOLPOS);
  let last: u32;
  if (kind == <u32>SCORE_NON_LAZY) {
    last = --NON_LAZY_COUNT;
  } else {
    last = --SEMI_COUNT;
  }
  const moved = load<u32>(list + (<usize>last << 2));
  store<u32>(list + (<usize>pos << 2), moved);
  store<u32>(cold(moved), pos, C_POOLPOS);
  store<u32>(r, 0, C_POOL);
}

function agePush(seq: u32, deadline: u32): void {
  if (ageTail - ageHead == CAP) {
    // Ring full (the clock has not moved for CAP first-children): retire the oldest early.
    const old = load<u32>(AGE_SEQ + (<usize>(ageHead & (CAP - 1)) << 2));
    ageHead++;
    if (inWindow(old)) poolRemove(slotOf(old));
  }
  const i = <usize>(ageTail & (CAP - 1)) << 2;
  store<u32>(AGE_SEQ + i, seq);
  store<u32>(AGE_DEADLINE + i, deadline);
  ageTail++;
}

/** Retires tips whose first approver arrived MAX_AGE_MS or more ago. */
export function expireAged(): void {
  while (ageHead != ageTail) {
    const i = <usize>(ageHead & (CAP - 1)) << 2;
    if (<i32>(CLOCK_MS - load<u32>(AGE_DEADLINE + i)) < 0) break;
    const seq = load<u32>(AGE_SEQ + i);
    ageHead++;
    if (inWindow(seq)) poolRemove(slotOf(seq));
  }
}

export function setClock(nowMs: u32): void {
  CLOCK_MS = nowMs;
  expireAged();
}

/** Pool bookkeeping for the node just appended in `slot` (its parents' child counts are updated). */
export function poolOnAppend(slot: u32): void {
  const n = <i32>load<u32>(hot(slot), H_PCOUNT);
  const pbase = PARENTS + (<usize>slot << 5);
  for (let i = 0; i < n; i++) {
    const p = load<u32>(pbase + (<usize>i << 2));
    if (!inWindow(p)) continue;
    const ps = slotOf(p);
    const children = load<u32>(hot(ps), H_CHILDREN);
    if (children == 1) agePush(p, CLOCK_MS + MAX_AGE_MS);
    if (children >= MAX_CHILDREN) poolRemove(ps);
  }
  const score = scoreOf(slot);
  if (score != SCORE_LAZY) poolAdd(slot, <u32>score);
  if (NON_LAZY_COUNT > MAX_NON_LAZY) {
    for (let i = 0; i < n; i++) {
      const p = load<u32>(pbase + (<usize>i << 2));
      if (inWindow(p)) poolRemove(slotOf(p));
    }
  }
  expireAged();
}

/** Rescores every pooled tip after a milestone: moves between pools or drops lazy ones. */
export function poolOnMilestone(): void {
  // Walk each list backwards so swap-removal never skips an entry; tips moved into the semi-lazy
  // list are rescored again below, which is harmless.
  for (let i = <i32>NON_LAZY_COUNT - 1; i >= 0; i--) {
    const slot = load<u32>(POOL_NONLAZY + (<usize>i << 2));
    const score = scoreOf(slot);
    if (score == SCORE_NON_LAZY) continue;
    poolRemove(slot);
    if (score == SCORE_SEMI_LAZY) poolAdd(slot, <u32>SCORE_SEMI_LAZY);
  }
  for (let i = <i32>SEMI_COUNT - 1; i >= 0; i--) {
    const slot = load<u32>(POOL_SEMI + (<usize>i << 2));
    const score = scoreOf(slot);
    if (score == SCORE_SEMI_LAZY) continue;
    poolRemove(slot);
    if (score == SCORE_NON_LAZY) poolAdd(slot, <u32>SCORE_NON_LAZY);
  }
}

/**
 * Up to `count` distinct tips drawn uniformly from the pool `kind`, written as seqs to OUTPUT.
 * A partial Fisher-Yates shuffle of the pool list: O(count), and the list order is irrelevant.
 */
export function selectFrom(kind: u32, count: u32): i32 {
  expireAged();
  const size = kind == <u32>SCORE_NON_LAZY ? NON_LAZY_COUNT : SEMI_COUNT;
  const list = listOf(kind);
  const n = count < size ? count : size;
  for (let i: u32 = 0; i < n; i++) {
    const j = i + rngBelow(size - i);
    const pi = list + (<usize>i << 2);
    const a = load<u32>(pi);
    if (j != i) {
      const pj = list + (<usize>j << 2);
      const b = load<u32>(pj);
      store<u32>(pi, b);
      store<u32>(pj, a);
      store<u32>(cold(b), i, C_POOLPOS);
      store<u32>(cold(a), j, C_POOLPOS);
      store<u32>(OUTPUT + (<usize>i << 2), load<u32>(hot(b), H_SEQ));
    } else {
      store<u32>(OUTPUT + (<usize>i << 2), load<u32>(hot(a), H_SEQ));
    }
  }
  return <i32>n;
}
