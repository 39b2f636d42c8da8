// MCMC weighted random walk (Popov, "The Tangle") and confirmation confidence (internal; API in
// tipsel.ts).
//
// From x, step to a direct approver y with probability proportional to exp(-alpha (H_x - H_y)).
// H_x is common to all candidates, so the weights are computed as exp(-alpha (Hmax - H_y)) with
// Hmax the heaviest candidate: the largest term is exactly 1, nothing overflows, and the sum is
// >= 1. Approvers flagged bad (invalid, conflicting, invalid cone) are skipped; the walk stops at
// a node with no eligible approver. Every step moves to a newer node, so a walk ends within the
// window size.

import { COUNT, FLAGS_BAD, H_FIRST, H_FLAGS, H_MARK, HOT, LATEST_MS, MS_SEQ, MASK, NEXT, OLDEST_MS,
  QUEUE, SCRATCH, SCRATCH_H, SCRATCH_W, hot, nextEpoch } from "./_window";
import { weightOf } from "./_weights";
import { rngBelow, rngUnit } from "./_rng";

/** Entry point `depth` milestones below the latest, clamped to the window; the oldest node if no
 * milestone is in the window. The window must not be empty. */
export function entryPoint(depth: u32): u32 {
  if (OLDEST_MS != 0) {
    let index = LATEST_MS > depth ? LATEST_MS - depth : 0;
    if (index < OLDEST_MS) index = OLDEST_MS;
    return load<u32>(MS_SEQ + (<usize>(index & MASK) << 2));
  }
  return NEXT - COUNT;
}

/** One walk from `entrySlot`; returns the slot of the tip it ends on. */
export function walkFrom(entrySlot: u32, alpha: f64): u32 {
  let x = entrySlot;
  while (true) {
    // Gather eligible approvers and their weights.
    let e = load<u32>(hot(x), H_FIRST);
    let n: u32 = 0;
    let hmax: u32 = 0;
    while (e != 0) {
      const word = e - 1;
      const child = word >> 4;
      e = load<u32>(HOT + (<usize>word << 2)); // same cache line as the child's fields below
      if (load<u32>(hot(child), H_FLAGS) & FLAGS_BAD) continue;
      const h = weightOf(child);
      store<u32>(SCRATCH + (<usize>n << 2), child);
      store<u32>(SCRATCH_H + (<usize>n << 2), h);
      if (h > hmax) hmax = h;
      n++;
    }
    if (n == 0) return x;
    if (n == 1) {
      x = load<u32>(SCRATCH);
      continue;
    }
    if (alpha == 0) {
      x = load<u32>(SCRATCH + (<usize>rngBelow(n) << 2));
      continue;
    }
    let sum: f64 = 0;
    for (let i: u32 = 0; i < n; i++) {
      const d = <f64>(hmax - load<u32>(SCRATCH_H + (<usize>i << 2)));
      const w = Math.exp(-alpha * d);
      store<f64>(SCRATCH_W + (<usize>i << 3), w);
      sum += w;
    }
    let r = rngUnit() * sum;
    let pick = n - 1; // guards against rounding leaving r >= 0 after the last term
    for (let i: u32 = 0; i < n; i++) {
      r -= load<f64>(SCRATCH_W + (<usize>i << 3));
      if (r < 0) {
        pick = i;
        break;
      }
    }
    x = load<u32>(SCRATCH + (<usize>pick << 2));
  }
  return x;
}

/**
 * How many of `walks` walks from `entrySlot` end on a tip that has `targetSlot` in its past cone
 * (the tip itself included). The target's future cone is stamped once, so each walk's test is a
 * single load. The caller handles confirmed targets (confidence 1).
 */
export function confidenceHits(targetSlot: u32, entrySlot: u32, walks: u32, alpha: f64): u32 {
  const epoch = nextEpoch();
  store<u32>(hot(targetSlot), epoch, H_MARK);
  store<u32>(QUEUE, targetSlot);
  let head: u32 = 0;
  let tail: u32 = 1;
  while (head < tail) {
    const s = load<u32>(QUEUE + (<usize>head << 2));
    head++;
    let e = load<u32>(hot(s), H_FIRST);
    while (e != 0) {
      const word = e - 1;
      const child = word >> 4;
      e = load<u32>(HOT + (<usize>word << 2));
      const ch = hot(child);
      if (load<u32>(ch, H_MARK) == epoch) continue;
      store<u32>(ch, epoch, H_MARK);
      store<u32>(QUEUE + (<usize>tail << 2), child);
      tail++;
    }
  }
  let hits: u32 = 0;
  for (let k: u32 = 0; k < walks; k++) {
    const tip = walkFrom(entrySlot, alpha);
    if (load<u32>(hot(tip), H_MARK) == epoch) hits++;
  }
  return hits;
}
