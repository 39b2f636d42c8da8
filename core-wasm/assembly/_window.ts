// The tangle's recent window in linear memory (internal; the exported API is in graph.ts).
// This file owns the layout, the state and the window's own bookkeeping (records, approver links,
// cone roots, white-flag confirmation); it imports no other internal module. _append.ts sequences
// an append (and init, eviction, flag changes) across the window, the weights and the tip pool.
//
// Transactions are numbered by arrival: seq 0, 1, 2, ... (u32, wrapping). Arrival order is
// topological (parents are appended before children), which every algorithm here relies on.
// The last WINDOW transactions are "in the window"; seq lives in slot seq & MASK of a ring of
// CAP = 2^k slots (WINDOW <= CAP). A parent outside the window is a window boundary: no edge.
//
// Per slot:
//   a 64-byte hot record (one cache line): everything a walk step or a weight traversal touches
//     for a node, including the approver-list links of its own parent edges, so following an
//     approver list costs one line per approver;
//   a 32-byte cold record: cone roots, milestone reference, timestamp, tip-pool bookkeeping;
//   parents[slot*8 + i]: parent seqs as given (i < pcount).
// Approver lists: edge i of slot s (s approves its i-th parent p) has its link word at hot word
// index s*16 + H_LINK0 + i. A list is a chain of such word indexes + 1 (0 ends it), starting at
// p's H_FIRST; the approver is word index >> 4. An evicted child's parents are older, hence
// evicted before it, so lists never dangle: a slot's head is reset when the slot is reused and
// nothing else points into a reused slot.
//
// Milestone ring (indexed by milestone index & MASK): the milestone's seq, for entry points.
// Weight-checkpoint rings (same indexing, see _weights.ts): the checkpoint's seq and the lazy
// weight prefix sum. Milestones and checkpoints in the window always have consecutive indexes,
// so the rings cannot alias while CAP >= WINDOW.

import { ERR_GRAPH_MILESTONE_INDEX, ERR_GRAPH_NOT_INIT, ERR_GRAPH_PARENT_AHEAD,
  ERR_GRAPH_PARENT_COUNT, ERR_GRAPH_PARENT_DUPLICATE } from "./errors";

export const MAX_PARENTS: i32 = 8;
export const OUT_CAP: i32 = 4096;

// Hot record fields (byte offsets; word index = offset / 4).
export const H_FLAGS: usize = 0;
export const H_CP: usize = 4; // first weight checkpoint whose past cone holds it, 0 = none yet
export const H_EXPL: usize = 8; // explicit weight credits (see _weights.ts)
export const H_FIRST: usize = 12; // head of its approver list (link word index + 1), 0 = none
export const H_LINK0: u32 = 4; // word index of the first link word (16..47: links 0..7)
export const H_MARK: usize = 48; // traversal epoch stamp
export const H_PCOUNT: usize = 52;
export const H_SEQ: usize = 56; // its own sequence number
export const H_CHILDREN: usize = 60; // direct approvers appended so far
// Cold record fields (byte offsets into the 32-byte record).
export const C_MSREF: usize = 0; // youngest milestone index in the inclusive past cone, 0 = none
export const C_YM: usize = 4; // YMRSI (TIP-3); for confirmed nodes = conf
export const C_OM: usize = 8; // OMRSI (TIP-3); for confirmed nodes = conf
export const C_TIME: usize = 12; // timestamp, seconds, as given
export const C_POOLPOS: usize = 16; // index in the tip pool list it is in
export const C_POOL: usize = 20; // 0 = not a pooled tip, 1 = semi-lazy pool, 2 = non-lazy pool
export const C_CONF: usize = 24; // index of the milestone that confirmed it, 0 = unconfirmed
export const C_CPREF: usize = 28; // youngest weight checkpoint in the inclusive past cone, 0 = none

// Flags. Caller-settable: SOLID, CONFLICTING, INVALID and bits 8..31 (opaque to the graph).
// Derived (kept by the graph; callers cannot set or clear them): CONFIRMED, MILESTONE, INVALID_CONE.
export const FLAG_SOLID: u32 = 1;
export const FLAG_CONFIRMED: u32 = 2;
export const FLAG_CONFLICTING: u32 = 4;
export const FLAG_INVALID: u32 = 8;
export const FLAG_MILESTONE: u32 = 16;
export const FLAG_INVALID_CONE: u32 = 32; // some ancestor (seen in the window) is INVALID
export const FLAGS_DERIVED: u32 = FLAG_CONFIRMED | FLAG_MILESTONE | FLAG_INVALID_CONE;
/** A transaction that must never be selected or walked onto. */
export const FLAGS_BAD: u32 = FLAG_CONFLICTING | FLAG_INVALID | FLAG_INVALID_CONE;

export const MAX_CAPACITY: u32 = 1 << 20;

// Layout.
export let CAP: u32 = 0;
export let MASK: u32 = 0;
export let WINDOW: u32 = 0;
export let HOT: usize = 0; // 64 bytes x CAP
export let COLD: usize = 0; // 32 bytes x CAP
export let PARENTS: usize = 0; // u32 x 8 x CAP
export let QUEUE: usize = 0; // u32 x CAP, traversal queue
export let MS_SEQ: usize = 0; // u32 x CAP
export let CP_SEQ: usize = 0; // u32 x CAP
export let CP_PREFIX: usize = 0; // u32 x CAP
export let SCRATCH: usize = 0; // u32 x CAP, walk: candidate slots
export let SCRATCH_H: usize = 0; // u32 x CAP, walk: their weights
export let SCRATCH_W: usize = 0; // f64 x CAP, walk: their transition weights
export let POOL_NONLAZY: usize = 0; // u32 x CAP (slots)
export let POOL_SEMI: usize = 0; // u32 x CAP (slots)
export let AGE_SEQ: usize = 0; // u32 x CAP
export let AGE_DEADLINE: usize = 0; // u32 x CAP
export let INPUT: usize = 0; // u32 x 8: parent seqs of the next append
export let OUTPUT: usize = 0; // u32 x OUT_CAP: results
let allocatedCap: u32 = 0;

// State.
export let NEXT: u32 = 0; // seq of the next append
export let COUNT: u32 = 0; // transactions in the window
export let EPOCH: u32 = 0;
export let LATEST_MS: u32 = 0; // latest milestone index, 0 = none yet
export let OLDEST_MS: u32 = 0; // oldest milestone index still in the window, 0 = none in window
export let BOUNDARY: u32 = 0; // root index assumed for parents outside the window

@inline export function hot(slot: u32): usize {
  return HOT + (<usize>slot << 6);
}

@inline export function cold(slot: u32): usize {
  return COLD + (<usize>slot << 5);
}

@inline export function slotOf(seq: u32): u32 {
  return seq & MASK;
}

@inline export function inWindow(seq: u32): bool {
  return NEXT - 1 - seq < COUNT;
}

@inline export function msInWindow(index: u32): bool {
  return OLDEST_MS != 0 && index >= OLDEST_MS && index <= LATEST_MS;
}

@inline export function msSeqOf(index: u32): u32 {
  return load<u32>(MS_SEQ + (<usize>(index & MASK) << 2));
}

/** A fresh traversal stamp; marks never need clearing except once every 2^32 traversals. */
export function nextEpoch(): u32 {
  EPOCH += 1;
  if (EPOCH == 0) {
    for (let s: u32 = 0; s < CAP; s++) store<u32>(hot(s), 0, H_MARK);
    EPOCH = 1;
  }
  return EPOCH;
}

function alloc(bytes: usize): usize {
  return heap.alloc(bytes);
}

/**
 * (Re)initialises an empty window (the window only: _append.ts resets the rest). Memory is
 * allocated once per capacity: the stub runtime never frees, so re-initialising with the same or
 * a smaller capacity reuses the buffers.
 */
export function initWindow(capacity: u32, window: u32, firstSeq: u32): void {
  if (capacity > allocatedCap) {
    const c = <usize>capacity;
    HOT = alloc(c << 6);
    COLD = alloc(c << 5);
    PARENTS = alloc(c << 5);
    QUEUE = alloc(c << 2);
    MS_SEQ = alloc(c << 2);
    CP_SEQ = alloc(c << 2);
    CP_PREFIX = alloc(c << 2);
    SCRATCH = alloc(c << 2);
    SCRATCH_H = alloc(c << 2);
    SCRATCH_W = alloc(c << 3);
    POOL_NONLAZY = alloc(c << 2);
    POOL_SEMI = alloc(c << 2);
    AGE_SEQ = alloc(c << 2);
    AGE_DEADLINE = alloc(c << 2);
    if (INPUT == 0) {
      INPUT = alloc(<usize>MAX_PARENTS << 2);
      OUTPUT = alloc(<usize>OUT_CAP << 2);
    }
    allocatedCap = capacity;
  }
  CAP = capacity;
  MASK = capacity - 1;
  WINDOW = window;
  memory.fill(HOT, 0, <usize>capacity << 6);
  memory.fill(COLD, 0, <usize>capacity << 5);
  memory.fill(MS_SEQ, 0, <usize>capacity << 2);
  memory.fill(CP_SEQ, 0, <usize>capacity << 2);
  memory.fill(CP_PREFIX, 0, <usize>capacity << 2);
  NEXT = firstSeq;
  COUNT = 0;
  EPOCH = 0;
  LATEST_MS = 0;
  OLDEST_MS = 0;
  BOUNDARY = 0;
}

export function setBoundary(index: u32): void {
  BOUNDARY = index;
}

/** YMRSI/OMRSI of an unconfirmed node from its parents' (TIP-3 cone roots, cached per node). */
function rootsFromParents(slot: u32): void {
  const n = <i32>load<u32>(hot(slot), H_PCOUNT);
  let ym: u32 = 0;
  let om: u32 = 0xffffffff;
  if (n == 0) {
    ym = BOUNDARY;
    om = BOUNDARY;
  }
  const pbase = PARENTS + (<usize>slot << 5);
  for (let i = 0; i < n; i++) {
    const p = load<u32>(pbase + (<usize>i << 2));
    if (inWindow(p)) {
      const pc = cold(slotOf(p));
      const y = load<u32>(pc, C_YM);
      const o = load<u32>(pc, C_OM);
      if (y > ym) ym = y;
      if (o < om) om = o;
    } else {
      if (BOUNDARY > ym) ym = BOUNDARY;
      if (BOUNDARY < om) om = BOUNDARY;
    }
  }
  const c = cold(slot);
  store<u32>(c, ym, C_YM);
  store<u32>(c, om, C_OM);
}

/** The window's part of evicting `seq`: the oldest milestone in the window and the boundary root. */
export function evictRecord(seq: u32): void {
  const slot = slotOf(seq);
  const conf = load<u32>(cold(slot), C_CONF);
  if (load<u32>(hot(slot), H_FLAGS) & FLAG_MILESTONE) OLDEST_MS = conf == LATEST_MS ? 0 : conf + 1;
  if (conf > BOUNDARY) BOUNDARY = conf;
}

/**
 * Checks an append of the n parent seqs in INPUT[0..n) (milestone `msIndex`, 0 for none) before
 * anything changes: 0 if it may go ahead, or the error code.
 */
export function checkAppend(n: i32, msIndex: u32): i32 {
  if (CAP == 0) return ERR_GRAPH_NOT_INIT;
  if (n < 0 || n > MAX_PARENTS) return ERR_GRAPH_PARENT_COUNT;
  for (let i = 0; i < n; i++) {
    const p = load<u32>(INPUT + (<usize>i << 2));
    if (<i32>(p - NEXT) >= 0) return ERR_GRAPH_PARENT_AHEAD;
    for (let k = 0; k < i; k++) {
      if (load<u32>(INPUT + (<usize>k << 2)) == p) return ERR_GRAPH_PARENT_DUPLICATE;
    }
  }
  if (msIndex != 0) {
    if (msIndex <= LATEST_MS) return ERR_GRAPH_MILESTONE_INDEX;
    if (msInWindow(LATEST_MS) && msIndex != LATEST_MS + 1) return ERR_GRAPH_MILESTONE_INDEX;
  }
  return 0;
}

/**
 * Writes the record of a checked append into the next slot (the window must have room: the
 * caller evicted first): parents, approver links, flags, milestone and checkpoint references, cone
 * roots. Returns the new seq.
 */
export function writeRecord(n: i32, timestampSec: u32, flags: u32): u32 {
  const seq = NEXT;
  const slot = slotOf(seq);
  const h = hot(slot);
  const c = cold(slot);
  memory.fill(h, 0, 64);
  memory.fill(c, 0, 32);
  store<u32>(h, seq, H_SEQ);
  store<u32>(h, <u32>n, H_PCOUNT);
  store<u32>(c, timestampSec, C_TIME);

  let f = flags & ~FLAGS_DERIVED;
  let msRef: u32 = 0;
  let cpRef: u32 = 0;
  const pbase = PARENTS + (<usize>slot << 5);
  for (let i = 0; i < n; i++) {
    const p = load<u32>(INPUT + (<usize>i << 2));
    store<u32>(pbase + (<usize>i << 2), p);
    if (!inWindow(p)) continue;
    const ps = slotOf(p);
    const ph = hot(ps);
    const pc = cold(ps);
    const m = load<u32>(pc, C_MSREF);
    if (m > msRef) msRef = m;
    const cr = load<u32>(pc, C_CPREF);
    if (cr > cpRef) cpRef = cr;
    if (load<u32>(ph, H_FLAGS) & (FLAG_INVALID | FLAG_INVALID_CONE)) f |= FLAG_INVALID_CONE;
    const word = (slot << 4) + H_LINK0 + <u32>i;
    store<u32>(HOT + (<usize>word << 2), load<u32>(ph, H_FIRST));
    store<u32>(ph, word + 1, H_FIRST);
    store<u32>(ph, load<u32>(ph, H_CHILDREN) + 1, H_CHILDREN);
  }
  store<u32>(h, f, H_FLAGS);
  store<u32>(c, msRef, C_MSREF);
  store<u32>(c, cpRef, C_CPREF);
  rootsFromParents(slot);
  NEXT = seq + 1;
  if (COUNT < WINDOW) COUNT++;
  return seq;
}

/**
 * White flag: milestone k confirms the not yet confirmed part of its past cone. A confirmed node's
 * past cone is confirmed already, so the traversal stops at confirmed nodes, and the confirmed
 * index doubles as the visited mark: every node is confirmed once, O(1) amortised per append.
 */
export function confirmMilestone(seq: u32, slot: u32, k: u32): void {
  const h = hot(slot);
  const c = cold(slot);
  store<u32>(c, k, C_CONF);
  store<u32>(c, k, C_YM);
  store<u32>(c, k, C_OM);
  store<u32>(c, k, C_MSREF);
  store<u32>(h, load<u32>(h, H_FLAGS) | FLAG_CONFIRMED | FLAG_MILESTONE, H_FLAGS);
  let head: u32 = 0;
  let tail: u32 = 1;
  store<u32>(QUEUE, slot);
  let maxDist: u32 = 0;
  while (head < tail) {
    const s = load<u32>(QUEUE + (<usize>head << 2));
    head++;
    const n = <i32>load<u32>(hot(s), H_PCOUNT);
    const pbase = PARENTS + (<usize>s << 5);
    for (let i = 0; i < n; i++) {
      const p = load<u32>(pbase + (<usize>i << 2));
      if (!inWindow(p)) continue;
      const ps = slotOf(p);
      const pc = cold(ps);
      if (load<u32>(pc, C_CONF) != 0) continue;
      store<u32>(pc, k, C_CONF);
      store<u32>(pc, k, C_YM);
      store<u32>(pc, k, C_OM);
      const ph = hot(ps);
      store<u32>(ph, load<u32>(ph, H_FLAGS) | FLAG_CONFIRMED, H_FLAGS);
      const d = seq - p;
      if (d > maxDist) maxDist = d;
      store<u32>(QUEUE + (<usize>tail << 2), ps);
      tail++;
    }
  }
  if (OLDEST_MS == 0) OLDEST_MS = k;
  store<u32>(MS_SEQ + (<usize>(k & MASK) << 2), seq);
  LATEST_MS = k;
  // Cone roots of unconfirmed nodes newer than the oldest newly confirmed node may have moved
  // up; older nodes cannot reach any newly confirmed node. Arrival order is topological, so one
  // forward pass suffices.
  for (let s = seq - maxDist; s != seq; s++) {
    const ss = slotOf(s);
    if (load<u32>(cold(ss), C_CONF) == 0) rootsFromParents(ss);
  }
}

/** Sets and clears caller flags of `seq` (derived flags are kept); returns the new flags. */
export function writeFlags(seq: u32, set: u32, clear: u32): u32 {
  const h = hot(slotOf(seq));
  const old = load<u32>(h, H_FLAGS);
  const f = (old & ~(clear & ~FLAGS_DERIVED)) | (set & ~FLAGS_DERIVED);
  store<u32>(h, f, H_FLAGS);
  return f;
}
