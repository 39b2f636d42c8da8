// Tip selection API: URTS (TIP-3, _pool.ts), the MCMC walk and confirmation confidence
// (_walk.ts). Deterministic for a given seed and sequence of calls. Picks are written as seqs to
// the graph output buffer (graph_outputPtr).

import { ERR_TIPS_EMPTY, ERR_TIPS_CONFIG, ERR_TIPS_COUNT, ERR_TIPS_ALPHA, ERR_TIPS_NOT_IN_WINDOW } from "./errors";
import { CAP, COUNT, C_CONF, C_POOL, H_SEQ, OUTPUT, OUT_CAP, cold, hot, inWindow, slotOf } from "./_window";
import { NON_LAZY_COUNT, SCORE_NON_LAZY, SCORE_SEMI_LAZY, SEMI_COUNT, configurePool, scoreOf,
  selectFrom, setClock } from "./_pool";
import { confidenceHits, entryPoint, walkFrom } from "./_walk";
import { rngSeed } from "./_rng";


export function tips_seed(lo: u32, hi: u32): void {
  rngSeed(lo, hi);
}

/** URTS parameters; defaults 8, 13, 15, 2, 3000, 100 (TIP-3 and the Bee/Hornet retention rules). */
export function tips_configure(c1: u32, c2: u32, maxDepth: u32, maxChildren: u32, maxAgeMs: u32,
  maxNonLazy: u32): i32 {
  if (c1 > maxDepth || c2 > maxDepth || maxChildren == 0) return ERR_TIPS_CONFIG;
  configurePool(c1, c2, maxDepth, maxChildren, maxAgeMs, maxNonLazy);
  return 0;
}

/** Pool clock in milliseconds (wrapping u32), for retirement after the first approver. */
export function tips_setClock(nowMs: u32): void {
  if (CAP != 0) setClock(nowMs);
}

/** Up to `count` distinct non-lazy tips, uniformly at random, into the output buffer. Returns how
 * many were written (0 if the pool is empty). */
export function tips_select(count: i32): i32 {
  if (CAP == 0) return ERR_TIPS_EMPTY;
  if (count < 0 || count > OUT_CAP) return ERR_TIPS_COUNT;
  return selectFrom(<u32>SCORE_NON_LAZY, <u32>count);
}

/** The same from the semi-lazy pool (for promotion by a coordinator or a spammer). */
export function tips_selectSemiLazy(count: i32): i32 {
  if (CAP == 0) return ERR_TIPS_EMPTY;
  if (count < 0 || count > OUT_CAP) return ERR_TIPS_COUNT;
  return selectFrom(<u32>SCORE_SEMI_LAZY, <u32>count);
}

/** TIP-3 score of a transaction right now: 0 lazy, 1 semi-lazy, 2 non-lazy. */
export function tips_score(seq: u32): i32 {
  if (CAP == 0 || !inWindow(seq)) return ERR_TIPS_NOT_IN_WINDOW;
  return scoreOf(slotOf(seq));
}

/** Which pool holds the transaction: 0 none, 1 semi-lazy, 2 non-lazy. */
export function tips_poolOf(seq: u32): i32 {
  if (CAP == 0 || !inWindow(seq)) return ERR_TIPS_NOT_IN_WINDOW;
  return <i32>load<u32>(cold(slotOf(seq)), C_POOL);
}

export function tips_nonLazyCount(): u32 {
  return NON_LAZY_COUNT;
}

export function tips_semiLazyCount(): u32 {
  return SEMI_COUNT;
}

/** Walk entry point: milestone latest - depth (clamped to the oldest milestone in the window), or
 * the oldest transaction in the window when none is a milestone. Returns a seq. */
export function tips_entryPoint(depth: u32): f64 {
  if (CAP == 0 || COUNT == 0) return ERR_TIPS_EMPTY;
  return <f64>entryPoint(depth);
}

@inline function badAlpha(alpha: f64): bool {
  return !(alpha >= 0 && alpha < Infinity);
}

/** One MCMC walk from `entrySeq`; returns the tip's seq. */
export function tips_walk(entrySeq: u32, alpha: f64): f64 {
  if (CAP == 0 || COUNT == 0) return ERR_TIPS_EMPTY;
  if (badAlpha(alpha)) return ERR_TIPS_ALPHA;
  if (!inWindow(entrySeq)) return ERR_TIPS_NOT_IN_WINDOW;
  return <f64>load<u32>(hot(walkFrom(slotOf(entrySeq), alpha)), H_SEQ);
}

/** `count` walks from `entrySeq`, tip seqs into the output buffer. Returns count. */
export function tips_walkMany(entrySeq: u32, alpha: f64, count: i32): i32 {
  if (CAP == 0 || COUNT == 0) return ERR_TIPS_EMPTY;
  if (badAlpha(alpha)) return ERR_TIPS_ALPHA;
  if (count < 0 || count > OUT_CAP) return ERR_TIPS_COUNT;
  if (!inWindow(entrySeq)) return ERR_TIPS_NOT_IN_WINDOW;
  const entry = slotOf(entrySeq);
  for (let i = 0; i < count; i++) {
    const tip = walkFrom(entry, alpha);
    store<u32>(OUTPUT + (<usize>i << 2), load<u32>(hot(tip), H_SEQ));
  }
  return count;
}

/** Confirmation confidence numerator: of `walks` walks from `entrySeq`, how many end on a tip that
 * has `targetSeq` in its past cone. A confirmed target returns `walks` without walking. */
export function tips_confidence(targetSeq: u32, entrySeq: u32, walks: i32, alpha: f64): i32 {
  if (CAP == 0 || COUNT == 0) return ERR_TIPS_EMPTY;
  if (badAlpha(alpha)) return ERR_TIPS_ALPHA;
  if (walks < 0) return ERR_TIPS_COUNT;
  if (!inWindow(targetSeq) || !inWindow(entrySeq)) return ERR_TIPS_NOT_IN_WINDOW;
  const target = slotOf(targetSeq);
  if (load<u32>(cold(target), C_CONF) != 0) return walks;
  return <i32>confidenceHits(target, slotOf(entrySeq), <u32>walks, alpha);
}
