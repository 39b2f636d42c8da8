// Tangle graph API: the recent window of transactions in linear memory.
//
// Only integers cross the boundary. To append, write the parents' sequence numbers into the
// input buffer (graph_inputPtr, u32 x 8) and call graph_append / graph_appendMilestone; results
// that are lists (parents, approvers, tip picks) land in the output buffer (graph_outputPtr,
// u32 x graph_outputCapacity). Calls that return a sequence number return it as f64 so that every
// u32 fits next to the negative error codes. Layout, flags and rules: docs/tip-selection.md and
// the header of _window.ts. Getters on a seq outside the window return 0 (check graph_inWindow).

import { ERR_GRAPH_CAPACITY, ERR_GRAPH_NOT_INIT, ERR_GRAPH_PARENT_COUNT, ERR_GRAPH_PARENT_DUPLICATE, ERR_GRAPH_PARENT_AHEAD, ERR_GRAPH_NOT_IN_WINDOW, ERR_GRAPH_MILESTONE_INDEX } from "./errors";
import { CAP, COUNT, C_CONF, C_MSREF, C_OM, C_TIME, C_YM, H_CHILDREN, H_FIRST, H_FLAGS, H_PCOUNT,
  H_SEQ, HOT, INPUT, LATEST_MS, MAX_CAPACITY, MAX_PARENTS, NEXT, OUTPUT, OUT_CAP, PARENTS, WINDOW,
  cold, hot, inWindow, msInWindow, msSeqOf, setBoundary, slotOf } from "./_window";
import { appendTx, initGraph, setFlags } from "./_append";


/** Allocates (or reuses) and empties a window of `window` transactions in a ring of `capacity`
 * slots (a power of two; window 0 means window = capacity); the first append gets `firstSeq`.
 * Resets tip selection, its configuration and the seed. */
export function graph_init(capacity: u32, window: u32, firstSeq: u32): i32 {
  if (capacity < 16 || capacity > MAX_CAPACITY || (capacity & (capacity - 1)) != 0) {
    return ERR_GRAPH_CAPACITY;
  }
  if (window == 0) window = capacity;
  if (window > capacity) return ERR_GRAPH_CAPACITY;
  initGraph(capacity, window, firstSeq);
  return 0;
}

export function graph_inputPtr(): usize {
  return INPUT;
}

export function graph_outputPtr(): usize {
  return OUTPUT;
}

export function graph_outputCapacity(): i32 {
  return OUT_CAP;
}

/** Appends a transaction with `parentCount` parents from the input buffer. Returns its seq. */
export function graph_append(parentCount: i32, timestampSec: u32, flags: u32): f64 {
  return appendTx(parentCount, timestampSec, flags, 0);
}

/** Appends milestone `index` (>= 1): it is confirmed together with its unconfirmed past cone. */
export function graph_appendMilestone(parentCount: i32, timestampSec: u32, flags: u32,
  index: u32): f64 {
  if (index == 0) return ERR_GRAPH_MILESTONE_INDEX;
  return appendTx(parentCount, timestampSec, flags, index);
}

/** Sets then clears caller flags (derived flags are ignored). Returns the new flags. */
export function graph_setFlags(seq: u32, set: u32, clear: u32): i32 {
  if (CAP == 0) return ERR_GRAPH_NOT_INIT;
  if (!inWindow(seq)) return ERR_GRAPH_NOT_IN_WINDOW;
  return setFlags(seq, set, clear);
}

/** Root milestone index assumed for parents outside the window (rises by itself on eviction). */
export function graph_setBoundaryIndex(index: u32): void {
  setBoundary(index);
}

export function graph_nextSeq(): u32 {
  return NEXT;
}

export function graph_size(): u32 {
  return COUNT;
}

export function graph_capacity(): u32 {
  return CAP;
}

export function graph_window(): u32 {
  return WINDOW;
}

export function graph_inWindow(seq: u32): i32 {
  return CAP != 0 && inWindow(seq) ? 1 : 0;
}

export function graph_flags(seq: u32): i32 {
  if (CAP == 0) return ERR_GRAPH_NOT_INIT;
  if (!inWindow(seq)) return ERR_GRAPH_NOT_IN_WINDOW;
  return <i32>load<u32>(hot(slotOf(seq)), H_FLAGS);
}

@inline function hotField(seq: u32, offset: usize): u32 {
  if (CAP == 0 || !inWindow(seq)) return 0;
  return load<u32>(hot(slotOf(seq)) + offset);
}

@inline function coldField(seq: u32, offset: usize): u32 {
  if (CAP == 0 || !inWindow(seq)) return 0;
  return load<u32>(cold(slotOf(seq)) + offset);
}

export function graph_timestamp(seq: u32): u32 {
  return coldField(seq, C_TIME);
}

export function graph_confirmedIndex(seq: u32): u32 {
  return coldField(seq, C_CONF);
}

export function graph_ymrsi(seq: u32): u32 {
  return coldField(seq, C_YM);
}

export function graph_omrsi(seq: u32): u32 {
  return coldField(seq, C_OM);
}

/** Youngest milestone index in the (inclusive) past cone, 0 if none. */
export function graph_milestoneRef(seq: u32): u32 {
  return coldField(seq, C_MSREF);
}

/** Direct approvers appended so far. */
export function graph_childCount(seq: u32): u32 {
  return hotField(seq, H_CHILDREN);
}

/** Writes the parent seqs as given at append (some may be outside the window now). */
export function graph_parents(seq: u32): i32 {
  if (CAP == 0) return ERR_GRAPH_NOT_INIT;
  if (!inWindow(seq)) return ERR_GRAPH_NOT_IN_WINDOW;
  const slot = slotOf(seq);
  const n = <i32>load<u32>(hot(slot), H_PCOUNT);
  memory.copy(OUTPUT, PARENTS + (<usize>slot << 5), <usize>n << 2);
  return n;
}

/** Writes up to the output capacity of approver seqs, newest first; returns how many exist. */
export function graph_approvers(seq: u32): i32 {
  if (CAP == 0) return ERR_GRAPH_NOT_INIT;
  if (!inWindow(seq)) return ERR_GRAPH_NOT_IN_WINDOW;
  let e = load<u32>(hot(slotOf(seq)), H_FIRST);
  let n = 0;
  while (e != 0) {
    const word = e - 1;
    if (n < OUT_CAP) store<u32>(OUTPUT + (<usize>n << 2), load<u32>(hot(word >> 4), H_SEQ));
    n++;
    e = load<u32>(HOT + (<usize>word << 2));
  }
  return n;
}

export function graph_latestMilestone(): u32 {
  return LATEST_MS;
}

/** Seq of milestone `index`, or ERR_GRAPH_NOT_IN_WINDOW. */
export function graph_milestoneSeq(index: u32): f64 {
  if (CAP == 0) return ERR_GRAPH_NOT_INIT;
  if (index == 0 || !msInWindow(index)) return ERR_GRAPH_NOT_IN_WINDOW;
  return <f64>msSeqOf(index);
}

export function graph_maxParents(): i32 {
  return MAX_PARENTS;
}
