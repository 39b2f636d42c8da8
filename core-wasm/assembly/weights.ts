// Cumulative weight API. The algorithm (exact, kept current on append) is in _weights.ts.

import { ERR_WEIGHTS_NOT_EMPTY, ERR_WEIGHTS_POLICY } from "./errors";
import { CAP, COUNT, inWindow, slotOf } from "./_window";
import { WEIGHTS_ON, latestCheckpoint, rebaseCount, setCheckpointPolicy, setWeightsOn, visitedTotal,
  weightOf } from "./_weights";


/** H(seq) = 1 + transactions in its future cone inside the window; 0 if not in the window or if
 * weight upkeep is disabled. */
export function weights_get(seq: u32): u32 {
  if (CAP == 0 || !WEIGHTS_ON || !inWindow(seq)) return 0;
  return weightOf(slotOf(seq));
}

/** Turns weight upkeep on or off (benchmark baseline only); allowed only while the window is empty.
 * graph_init turns it back on. */
export function weights_enable(on: i32): i32 {
  if (COUNT != 0) return ERR_WEIGHTS_NOT_EMPTY;
  setWeightsOn(on != 0);
  return 0;
}

/** Nodes credited explicitly by upkeep traversals since graph_init (instrumentation). */
export function weights_visitedTotal(): f64 {
  return visitedTotal();
}

/** Index of the latest weight checkpoint designated (instrumentation; see _weights.ts). */
export function weights_latestCheckpoint(): u32 {
  return latestCheckpoint();
}

/** Times the checkpoint chain was rebased since graph_init (instrumentation; see _weights.ts). */
export function weights_rebases(): u32 {
  return rebaseCount();
}

/** Checkpoint policy (tuning): designate every `interval` appends, `lag` appends back. Exact for
 * any values; graph_init restores the defaults. */
export function weights_setCheckpointPolicy(interval: u32, lag: u32): i32 {
  if (interval == 0 || lag == 0) return ERR_WEIGHTS_POLICY;
  setCheckpointPolicy(interval, lag);
  return 0;
}
