// Exact cumulative weight, kept current on every append (internal; API in weights.ts).
//
// H(x) = 1 + |future cone of x inside the window|. Appending t adds +1 to every node of its past
// cone P(t), so the naive upkeep is a past-cone traversal per append: the whole window once the
// tangle is connected. Weight checkpoints make most of that implicit:
//
//   * The graph designates checkpoints c_1, c_2, ... among its own nodes such that c_k is in the
//     past cone of c_{k+1}. So the past cones nest, and S_k = {x : cp(x) <= k}, with cp(x) the
//     first checkpoint whose (inclusive) past cone holds x, is exactly the past cone of c_k. Once
//     c_k exists S_k never changes.
//   * If the youngest checkpoint in P(t) is j (t's cpRef), then S_j ⊆ P(t). t credits S_j with a
//     single counter: cnt[j] += 1. It credits P(t) \ S_j explicitly by a traversal that stops at
//     nodes with cp <= j. (A path from t into S_j stays in S_j, because past cones are closed,
//     so the traversal reaches every node of P(t) \ S_j.)
//   * x is in S_j iff cp(x) <= j, so H(x) = 1 + expl(x) + Σ_{j >= cp(x)} cnt[j] (the sum is
//     empty while cp(x) = 0).
//
// The suffix sum is TOTAL - prefix[cp(x)], where prefix[k] = Σ_{j<k} cnt[j]. prefix[k] is set to
// TOTAL when c_k is designated (no credit can name k before), and a credit to cnt[j] bumps
// prefix[c] for j < c <= latest: a few entries, as cpRef trails the latest checkpoint by a few
// designations (below). All sums are modulo 2^32; true values are below the window size (every
// credit counted in a suffix comes from a node newer than the nodes it covers), so the differences
// are exact.
//
// Checkpoints are the milestone idea (white flag also confirms nested past cones) without the
// coordinator, so upkeep does not depend on milestones arriving. Every CP_INTERVAL appends, once
// the newest transaction holds the latest checkpoint c_k, the node CP_LAG appends back on a parent
// path from it (still holding c_k) becomes c_{k+1}. Designation stamps cp on the new part of its
// past cone (each node once) and re-derives cpRef for the few nodes appended after it.
// Designations are throttled by the tangle itself: the next one waits until new transactions see
// the last, so cpRef(t) trails t by about the tangle's mixing depth (how far back a new
// transaction's past cone stops missing recent nodes). Per-append cost is that depth plus the
// unmixed part of P(t): measured ~190 nodes at 500 tx/s with 50-150 ms gossip delay, for any
// window size, with or without milestones (a milestone-anchored version credited ~50k nodes per
// append at a 50k window once milestones stopped). Evictions never change remaining weights: descendants are
// newer than ancestors.

import { COUNT, C_CPREF, CP_PREFIX, CP_SEQ, H_CP, H_EXPL, H_MARK, H_PCOUNT, MASK, NEXT, PARENTS, QUEUE,
  WINDOW, cold, hot, inWindow, nextEpoch, slotOf } from "./_window";

export let WEIGHTS_ON: bool = true;
let TOTAL: u32 = 0; // Σ cnt[j], modulo 2^32
let VISITED: f64 = 0; // nodes credited explicitly since init (instrumentation)
let LATEST_CP: u32 = 0; // latest checkpoint index, 0 = none yet
let OLDEST_CP: u32 = 0; // oldest checkpoint index still in the window, 0 = none in window
let SINCE_CP: u32 = 0; // appends since the last designation
let CP_INTERVAL: u32 = 16;
let CP_LAG: u32 = 32;
// Explicit credit reaches back at most HORIZON appends. Where checkpoints keep up (the tangle
// mixes) every node of P(t) \ S_j is far younger than that, and weights are exact. Where they
// cannot (a branch that no new transaction approves holds the latest checkpoint, or a parasite
// chain), the cost of an append stays bounded instead of growing towards the whole window, and only
// nodes older than HORIZON appends may be under-counted: MCMC walks start from recent milestones,
// far inside it.
let HORIZON: u32 = 8192;
// Rebasing (see rebaseWeights): when designation stalls this long, or one append credits this many
// nodes explicitly, and not sooner than REBASE_GRACE appends after the last rebase.
let STALL_APPENDS: u32 = 512;
let VISIT_LIMIT: u32 = 8192;
let REBASE_GRACE: u32 = 256;
let SINCE_REBASE: u32 = 0;
let LAST_VISITED: u32 = 0;
let REBASES: u32 = 0;

export function resetWeights(): void {
  WEIGHTS_ON = true;
  TOTAL = 0;
  VISITED = 0;
  LATEST_CP = 0;
  OLDEST_CP = 0;
  SINCE_CP = 0;
  // Scaled down for small windows so that checkpoints keep being designated and stay in them.
  CP_INTERVAL = min<u32>(16, max<u32>(1, WINDOW >> 4));
  CP_LAG = min<u32>(32, max<u32>(1, WINDOW >> 3));
  HORIZON = min<u32>(WINDOW, 8192);
  STALL_APPENDS = max<u32>(64, min<u32>(512, WINDOW >> 2));
  VISIT_LIMIT = max<u32>(256, WINDOW >> 3);
  REBASE_GRACE = max<u32>(4 * (CP_INTERVAL + CP_LAG), min<u32>(256, WINDOW >> 2));
  SINCE_REBASE = 0;
  LAST_VISITED = 0;
  REBASES = 0;
}

export function rebaseCount(): u32 {
  return REBASES;
}

/**
 * Folds every node's lazy credit into its explicit count and forgets all checkpoints, leaving
 * every weight as it was; the next designation starts a fresh chain from the newest transaction.
 * Needed when the chain cannot go on: the latest checkpoint sits on a branch no new transaction
 * approves (its gateway went quiet, or it was left behind as a lazy tip), so no newest transaction
 * will ever hold it and explicit crediting would grow towards the whole window. One pass over the
 * window.
 */
export function rebaseWeights(): void {
  const first = NEXT - COUNT;
  for (let i: u32 = 0; i < COUNT; i++) {
    const slot = slotOf(first + i);
    const h = hot(slot);
    const c = load<u32>(h, H_CP);
    if (c != 0) {
      store<u32>(h, load<u32>(h, H_EXPL) + (TOTAL - load<u32>(prefixPtr(c))), H_EXPL);
      store<u32>(h, 0, H_CP);
    }
    store<u32>(cold(slot), 0, C_CPREF);
  }
  TOTAL = 0;
  LATEST_CP = 0;
  OLDEST_CP = 0;
  SINCE_CP = 0;
  SINCE_REBASE = 0;
  REBASES++;
}

export function setCheckpointPolicy(interval: u32, lag: u32): void {
  CP_INTERVAL = interval;
  CP_LAG = lag;
}

export function setWeightsOn(on: bool): void {
  WEIGHTS_ON = on;
}

export function visitedTotal(): f64 {
  return VISITED;
}

export function latestCheckpoint(): u32 {
  return LATEST_CP;
}

@inline function prefixPtr(index: u32): usize {
  return CP_PREFIX + (<usize>(index & MASK) << 2);
}

@inline function cpInWindow(index: u32): bool {
  return OLDEST_CP != 0 && index >= OLDEST_CP && index <= LATEST_CP;
}

/** Keeps OLDEST_CP current as checkpoints leave the window. */
export function onEvictWeights(seq: u32): void {
  if (OLDEST_CP != 0 && load<u32>(CP_SEQ + (<usize>(OLDEST_CP & MASK) << 2)) == seq) {
    OLDEST_CP = OLDEST_CP == LATEST_CP ? 0 : OLDEST_CP + 1;
  }
}

@inline function enqueueParents(slot: u32, epoch: u32, stopAt: u32, tail: u32): u32 {
  const n = <i32>load<u32>(hot(slot), H_PCOUNT);
  const pbase = PARENTS + (<usize>slot << 5);
  for (let i = 0; i < n; i++) {
    const p = load<u32>(pbase + (<usize>i << 2));
    if (!inWindow(p)) continue;
    if (NEXT - 1 - p >= HORIZON) continue; // beyond the credit horizon (see HORIZON)
    const ps = slotOf(p);
    const ph = hot(ps);
    if (load<u32>(ph, H_MARK) == epoch) continue;
    store<u32>(ph, epoch, H_MARK);
    const c = load<u32>(ph, H_CP);
    if (c != 0 && c <= stopAt) continue;
    store<u32>(QUEUE + (<usize>tail << 2), ps);
    tail++;
  }
  return tail;
}

/** Credits the strict past cone of the node just appended in `slot`; `j` is its cpRef. */
export function creditPastCone(slot: u32, j: u32): void {
  if (!WEIGHTS_ON) return;
  let stopAt: u32 = 0; // 0: stop nowhere (checkpoint indexes are >= 1)
  if (j != 0 && cpInWindow(j)) {
    stopAt = j;
    TOTAL += 1;
    for (let c = j + 1; c <= LATEST_CP; c++) {
      const p = prefixPtr(c);
      store<u32>(p, load<u32>(p) + 1);
    }
  }
  const epoch = nextEpoch();
  let head: u32 = 0;
  let tail = enqueueParents(slot, epoch, stopAt, 0);
  while (head < tail) {
    const s = load<u32>(QUEUE + (<usize>head << 2));
    head++;
    const h = hot(s);
    store<u32>(h, load<u32>(h, H_EXPL) + 1, H_EXPL);
    tail = enqueueParents(s, epoch, stopAt, tail);
  }
  VISITED += <f64>head;
  LAST_VISITED = head;
}

/** Youngest checkpoint in the inclusive past cone, from the parents (a checkpoint names itself). */
function cpRefFromParents(slot: u32): u32 {
  const n = <i32>load<u32>(hot(slot), H_PCOUNT);
  const pbase = PARENTS + (<usize>slot << 5);
  let ref: u32 = 0;
  for (let i = 0; i < n; i++) {
    const p = load<u32>(pbase + (<usize>i << 2));
    if (!inWindow(p)) continue;
    const r = load<u32>(cold(slotOf(p)), C_CPREF);
    if (r > ref) ref = r;
  }
  return ref;
}

/**
 * After appending `slot` (the newest node): every CP_INTERVAL appends, designate the next
 * checkpoint on a parent path back from it, CP_LAG appends old, holding the latest checkpoint.
 */
export function maybeCheckpoint(slot: u32): void {
  if (!WEIGHTS_ON) return;
  SINCE_CP++;
  SINCE_REBASE++;
  if (SINCE_REBASE > REBASE_GRACE && (SINCE_CP > STALL_APPENDS || LAST_VISITED > VISIT_LIMIT)) {
    rebaseWeights();
    return;
  }
  if (SINCE_CP < CP_INTERVAL) return;
  const k = LATEST_CP;
  const chained = cpInWindow(k); // else S_k has left the window: any node will do
  if (chained && load<u32>(cold(slot), C_CPREF) != k) return; // retry on a later append
  const newest = NEXT - 1;
  let x = slot;
  let xSeq = newest;
  const kSeq = chained ? load<u32>(CP_SEQ + (<usize>(k & MASK) << 2)) : 0;
  while (newest - xSeq < CP_LAG) {
    // Step to a parent that still holds checkpoint k in its inclusive past cone (not k itself).
    const n = <i32>load<u32>(hot(x), H_PCOUNT);
    const pbase = PARENTS + (<usize>x << 5);
    let next: u32 = 0xffffffff;
    let nextSeq: u32 = 0;
    for (let i = 0; i < n; i++) {
      const p = load<u32>(pbase + (<usize>i << 2));
      if (!inWindow(p)) continue;
      if (chained && (p == kSeq || load<u32>(cold(slotOf(p)), C_CPREF) != k)) continue;
      next = slotOf(p);
      nextSeq = p;
      break;
    }
    if (next == 0xffffffff) break;
    x = next;
    xSeq = nextSeq;
  }
  if (x == slot) return; // nothing older qualifies yet (x must already have an approver)
  SINCE_CP = 0;
  const idx = k + 1;
  // Stamp cp on the part of x's past cone not under an earlier checkpoint. cp doubles as the
  // visited mark: nodes under a checkpoint have their whole past cone under it.
  store<u32>(hot(x), idx, H_CP);
  store<u32>(QUEUE, x);
  let head: u32 = 0;
  let tail: u32 = 1;
  while (head < tail) {
    const s = load<u32>(QUEUE + (<usize>head << 2));
    head++;
    const n = <i32>load<u32>(hot(s), H_PCOUNT);
    const pbase = PARENTS + (<usize>s << 5);
    for (let i = 0; i < n; i++) {
      const p = load<u32>(pbase + (<usize>i << 2));
      if (!inWindow(p)) continue;
      const ph = hot(slotOf(p));
      if (load<u32>(ph, H_CP) != 0) continue;
      store<u32>(ph, idx, H_CP);
      store<u32>(QUEUE + (<usize>tail << 2), slotOf(p));
      tail++;
    }
  }
  store<u32>(CP_SEQ + (<usize>(idx & MASK) << 2), xSeq);
  store<u32>(prefixPtr(idx), TOTAL);
  if (OLDEST_CP == 0) OLDEST_CP = idx;
  LATEST_CP = idx;
  store<u32>(cold(x), idx, C_CPREF);
  // Nodes appended after x may hold it in their past cone: re-derive cpRef in arrival order.
  for (let s = xSeq + 1; s != NEXT; s++) {
    const ss = slotOf(s);
    store<u32>(cold(ss), cpRefFromParents(ss), C_CPREF);
  }
}

/** H of an in-window node. */
@inline export function weightOf(slot: u32): u32 {
  const h = hot(slot);
  const c = load<u32>(h, H_CP);
  const lazy = c != 0 ? TOTAL - load<u32>(prefixPtr(c)) : 0;
  return 1 + load<u32>(h, H_EXPL) + lazy;
}
