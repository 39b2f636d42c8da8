// Sequences the operations that cross the window, the weights and the tip pool (internal; the
// exported API is in graph.ts).
//
// _window.ts (layout, records, white flag), _weights.ts (cumulative weight) and _pool.ts (URTS tip
// pool) each keep their own state; the last two read the window's layout, and none of the three
// imports another's operations. The order in which their parts run lives here, once:
//
//   append:  check → evict the oldest if the window is full (pool, window, weights) → write the
//            record → credit its past cone → confirm (milestones) → maybe designate a weight
//            checkpoint → pool the new tip → rescore the pool (milestones)
//   init:    window → weights → pool → seed
//   flags:   write them → a newly bad tip leaves the pool

import { C_CPREF, C_POOL, COUNT, FLAGS_BAD, NEXT, WINDOW, checkAppend, cold, confirmMilestone,
  evictRecord, initWindow, slotOf, writeFlags, writeRecord } from "./_window";
import { creditPastCone, maybeCheckpoint, onEvictWeights, resetWeights } from "./_weights";
import { poolOnAppend, poolOnMilestone, poolRemove, resetPool } from "./_pool";
import { rngSeed } from "./_rng";

/** Empties the window and resets weights, tip pool and seed (see initWindow for memory). */
export function initGraph(capacity: u32, window: u32, firstSeq: u32): void {
  initWindow(capacity, window, firstSeq);
  resetWeights();
  resetPool();
  rngSeed(0x9e3779b9, 0);
}

function evict(seq: u32): void {
  const slot = slotOf(seq);
  if (load<u32>(cold(slot), C_POOL) != 0) poolRemove(slot);
  evictRecord(seq);
  onEvictWeights(seq);
}

/**
 * Appends one transaction whose parent seqs are in INPUT[0..n). msIndex != 0 appends a milestone
 * that confirms its not yet confirmed past cone (white flag). Returns the new seq or an error.
 */
export function appendTx(n: i32, timestampSec: u32, flags: u32, msIndex: u32): f64 {
  const err = checkAppend(n, msIndex);
  if (err != 0) return err;
  if (COUNT == WINDOW) evict(NEXT - WINDOW);
  const seq = writeRecord(n, timestampSec, flags);
  const slot = slotOf(seq);
  creditPastCone(slot, load<u32>(cold(slot), C_CPREF));
  if (msIndex != 0) confirmMilestone(seq, slot, msIndex);
  maybeCheckpoint(slot);
  poolOnAppend(slot);
  if (msIndex != 0) poolOnMilestone();
  return <f64>seq;
}

/** Sets and clears caller flags; returns the new flags. A newly bad tip leaves the tip pool. */
export function setFlags(seq: u32, set: u32, clear: u32): i32 {
  const f = writeFlags(seq, set, clear);
  const slot = slotOf(seq);
  if ((f & FLAGS_BAD) != 0 && load<u32>(cold(slot), C_POOL) != 0) poolRemove(slot);
  return <i32>f;
}
