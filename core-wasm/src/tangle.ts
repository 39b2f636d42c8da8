/**
 * `TangleGraph`: the recent window of the tangle in WASM linear memory, with exact cumulative
 * weights, URTS tip selection (TIP-3), the MCMC walk and confirmation confidence.
 *
 * One WASM instance per graph (the instance owns the memory it allocates). Transactions are
 * numbered by arrival (`seq`, u32, wrapping); the graph keeps the last `window` of them. Callers
 * that work with transaction ids use the `*ById` methods, which keep an id -> seq map for the
 * window in JavaScript (graph-ids.ts; WASM only ever sees integers). Hot paths (`append`,
 * `selectTipsInto`, `walk`, `weight`) allocate nothing: parents go through a typed-array view of a
 * static WASM buffer, results come back as numbers or through another view (graph-buffers.ts).
 * Flags, scores and options are in graph-types.ts, the error codes in graph-errors.ts.
 *
 * Layout, algorithms and measured costs: docs/tip-selection.md.
 */
import { instantiateCore, type CoreExports } from "./module";
import { GraphBuffers } from "./graph-buffers";
import { check, TangleGraphError } from "./graph-errors";
import { WindowIds } from "./graph-ids";
import { DEFAULT_URTS, TxFlags, type ConeRoots, type TangleGraphOptions, type UrtsConfig } from "./graph-types";

export * from "./graph-types";
export { GraphErrorCode, TangleGraphError } from "./graph-errors";

function nextPow2(n: number): number {
  let c = 16;
  while (c < n) c *= 2;
  return c;
}

export class TangleGraph {
  private readonly ex: CoreExports;
  private readonly memory: WebAssembly.Memory;
  private readonly buf: GraphBuffers;
  private readonly ids: WindowIds;
  private _window = 0;
  private _capacity = 0;

  constructor(opts: TangleGraphOptions = {}) {
    const { exports, memory } = instantiateCore();
    this.ex = exports;
    this.memory = memory;
    this.buf = new GraphBuffers(exports, memory);
    this.ids = new WindowIds((seq) => this.inWindow(seq));
    this.init(opts);
  }

  /** Bytes of WASM linear memory this graph holds. */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Empties the graph (reusing its memory when the capacity does not grow). */
  reset(opts: TangleGraphOptions = {}): void {
    this.init(opts);
  }

  private init(opts: TangleGraphOptions): void {
    const window = opts.window ?? opts.capacity ?? 65536;
    const capacity = opts.capacity ?? nextPow2(window);
    if (!Number.isInteger(window) || window < 1) {
      throw new RangeError(`window must be a positive integer, got ${window}`);
    }
    const firstSeq = opts.firstSeq ?? 0;
    check(
      this.ex.graph_init(capacity, window, firstSeq >>> 0),
      `graph_init(capacity ${capacity}, window ${window})`,
    );
    this._window = window;
    this._capacity = capacity;
    this.ids.reset(window, capacity);
    this.configureUrts(opts.urts ?? {});
    if (opts.seed !== undefined) this.seed(opts.seed);
    this.buf.refresh();
  }

  get window(): number {
    return this._window;
  }

  get capacity(): number {
    return this._capacity;
  }

  /** Transactions currently in the window. */
  get size(): number {
    return this.ex.graph_size() >>> 0;
  }

  /** Seq the next append will get. */
  get nextSeq(): number {
    return this.ex.graph_nextSeq() >>> 0;
  }

  /** Latest milestone index, 0 before the first milestone. */
  get latestMilestone(): number {
    return this.ex.graph_latestMilestone() >>> 0;
  }

  configureUrts(cfg: Partial<UrtsConfig>): void {
    const c = { ...DEFAULT_URTS, ...cfg };
    for (const [k, v] of Object.entries(c)) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
        throw new RangeError(`urts.${k} must be a u32, got ${v}`);
      }
    }
    check(
      this.ex.tips_configure(
        c.ymrsiDelta,
        c.omrsiDelta,
        c.belowMaxDepth,
        c.maxChildren,
        c.maxAgeAfterFirstChildMs,
        c.maxNonLazy,
      ),
      "tips_configure",
    );
  }

  /** Seeds the tip-selection RNG (64-bit seeds as bigint or two halves via a number < 2^53). */
  seed(seed: number | bigint): void {
    const s = BigInt.asUintN(64, BigInt(seed));
    this.ex.tips_seed(Number(s & 0xffffffffn), Number(s >> 32n));
  }

  /** Pool clock (ms, any epoch; wraps at 2^32) used for tip retirement by age. */
  setClockMs(nowMs: number): void {
    this.ex.tips_setClock(nowMs >>> 0);
  }

  /**
   * Appends a transaction whose parents (seqs, all appended before; seqs that left the window are
   * window boundaries) are `parents`. Returns its seq.
   */
  append(parents: ArrayLike<number>, timestampSec: number, flags: number = TxFlags.SOLID): number {
    const n = this.buf.writeParents(parents);
    return check(this.ex.graph_append(n, timestampSec >>> 0, flags >>> 0), "graph_append");
  }

  /** Appends milestone `index` (latest + 1, or any larger index when the latest has left the
   * window); it confirms its unconfirmed past cone. Returns its seq. */
  appendMilestone(parents: ArrayLike<number>, timestampSec: number, index: number,
    flags: number = TxFlags.SOLID): number {
    const n = this.buf.writeParents(parents);
    return check(
      this.ex.graph_appendMilestone(n, timestampSec >>> 0, flags >>> 0, index >>> 0),
      `graph_appendMilestone(${index})`,
    );
  }

  /** Sets, then clears, caller flags. Returns the new flags. */
  setFlags(seq: number, set: number, clear = 0): number {
    return check(this.ex.graph_setFlags(seq >>> 0, set >>> 0, clear >>> 0), "graph_setFlags");
  }

  /** Root milestone index assumed for parents outside the window (it also rises by itself as
   * confirmed transactions are evicted); e.g. the snapshot index after a restart. */
  setBoundaryIndex(index: number): void {
    this.ex.graph_setBoundaryIndex(index >>> 0);
  }

  inWindow(seq: number): boolean {
    return this.ex.graph_inWindow(seq >>> 0) === 1;
  }

  private assertIn(seq: number): void {
    if (!this.inWindow(seq)) {
      throw new TangleGraphError("GRAPH_NOT_IN_WINDOW", -25, `seq ${seq} is not in the window`);
    }
  }

  flags(seq: number): number {
    return check(this.ex.graph_flags(seq >>> 0), "graph_flags");
  }

  timestamp(seq: number): number {
    this.assertIn(seq);
    return this.ex.graph_timestamp(seq >>> 0) >>> 0;
  }

  /** H(seq): 1 + transactions in its future cone inside the window (exact, always current). */
  weight(seq: number): number {
    const w = this.ex.weights_get(seq >>> 0) >>> 0;
    if (w === 0) this.assertIn(seq);
    return w;
  }

  /** Index of the milestone that confirmed it, 0 if unconfirmed. */
  confirmedIndex(seq: number): number {
    this.assertIn(seq);
    return this.ex.graph_confirmedIndex(seq >>> 0) >>> 0;
  }

  /** Youngest milestone index in its (inclusive) past cone, 0 if none. */
  milestoneRef(seq: number): number {
    this.assertIn(seq);
    return this.ex.graph_milestoneRef(seq >>> 0) >>> 0;
  }

  coneRoots(seq: number): ConeRoots {
    this.assertIn(seq);
    return {
      ymrsi: this.ex.graph_ymrsi(seq >>> 0) >>> 0,
      omrsi: this.ex.graph_omrsi(seq >>> 0) >>> 0,
    };
  }

  childCount(seq: number): number {
    this.assertIn(seq);
    return this.ex.graph_childCount(seq >>> 0) >>> 0;
  }

  /** Parent seqs as appended (some may have left the window since). */
  parents(seq: number): number[] {
    const n = check(this.ex.graph_parents(seq >>> 0), "graph_parents");
    return this.buf.list(n);
  }

  /** Direct approvers in the window, newest first. */
  approvers(seq: number): number[] {
    const n = check(this.ex.graph_approvers(seq >>> 0), "graph_approvers");
    if (n > this.buf.outputCap) {
      throw new RangeError(`seq ${seq} has ${n} approvers; only ${this.buf.outputCap} can be listed`);
    }
    return this.buf.list(n);
  }

  /** Seq of milestone `index`, or undefined if it is not in the window. */
  milestoneSeq(index: number): number | undefined {
    const r = this.ex.graph_milestoneSeq(index >>> 0);
    return r < 0 ? undefined : r;
  }

  /** TIP-3 score right now. */
  score(seq: number): number {
    return check(this.ex.tips_score(seq >>> 0), "tips_score");
  }

  /** Pool that holds it: 0 none, 1 semi-lazy, 2 non-lazy. */
  poolOf(seq: number): number {
    return check(this.ex.tips_poolOf(seq >>> 0), "tips_poolOf");
  }

  get nonLazyTipCount(): number {
    return this.ex.tips_nonLazyCount() >>> 0;
  }

  get semiLazyTipCount(): number {
    return this.ex.tips_semiLazyCount() >>> 0;
  }

  /**
   * URTS: up to `count` distinct non-lazy tips, uniformly at random, written to `out`. Returns how
   * many (0 when the pool is empty). No allocation.
   */
  selectTipsInto(out: Uint32Array | number[], count: number): number {
    const n = check(this.ex.tips_select(count), "tips_select");
    this.buf.copyInto(out, n);
    return n;
  }

  /** URTS pick as an array (allocates; use selectTipsInto on hot paths). */
  selectTips(count: number): number[] {
    const n = check(this.ex.tips_select(count), "tips_select");
    return this.buf.list(n);
  }

  /** Up to `count` distinct semi-lazy tips (for promotion). */
  selectSemiLazyTips(count: number): number[] {
    const n = check(this.ex.tips_selectSemiLazy(count), "tips_selectSemiLazy");
    return this.buf.list(n);
  }

  /** Walk entry: milestone latest - depth (clamped to the window), else the oldest transaction. */
  entryPoint(depth = 3): number {
    return check(this.ex.tips_entryPoint(depth >>> 0), "tips_entryPoint");
  }

  /** One MCMC walk; returns the tip's seq. `entry` defaults to entryPoint(3). */
  walk(alpha: number, entry?: number): number {
    const e = entry ?? check(this.ex.tips_entryPoint(3), "tips_entryPoint");
    return check(this.ex.tips_walk(e >>> 0, alpha), "tips_walk");
  }

  /** `count` walks in one call, tip seqs into `out`. */
  walkManyInto(out: Uint32Array | number[], count: number, alpha: number, entry: number): number {
    let done = 0;
    while (done < count) {
      const k = Math.min(count - done, this.buf.outputCap);
      check(this.ex.tips_walkMany(entry >>> 0, alpha, k), "tips_walkMany");
      this.buf.copyInto(out, k, done);
      done += k;
    }
    return count;
  }

  /**
   * Confirmation confidence: the share of `walks` MCMC walks from `entry` whose tip has `seq` in
   * its past cone; 1 for confirmed transactions.
   */
  confidence(seq: number, walks = 100, alpha = 0.001, entry?: number): number {
    if (!Number.isInteger(walks) || walks < 1) throw new RangeError(`walks must be >= 1, got ${walks}`);
    const e = entry ?? check(this.ex.tips_entryPoint(3), "tips_entryPoint");
    const hits = check(this.ex.tips_confidence(seq >>> 0, e >>> 0, walks, alpha), "tips_confidence");
    return hits / walks;
  }

  /** Nodes credited explicitly by weight upkeep since init (instrumentation). */
  get weightVisits(): number {
    return this.ex.weights_visitedTotal();
  }

  /** Times the weight checkpoint chain was rebased since init (instrumentation). */
  get weightRebases(): number {
    return this.ex.weights_rebases();
  }

  /**
   * Tuning: designate a weight checkpoint every `interval` appends, `lag` appends back (defaults
   * 16 and 32, scaled down for windows under 512). Any values keep weights exact; see
   * docs/tip-selection.md.
   */
  setWeightCheckpointPolicy(interval: number, lag: number): void {
    if (!Number.isInteger(interval) || interval < 1 || !Number.isInteger(lag) || lag < 1) {
      throw new RangeError(`checkpoint interval and lag must be integers >= 1, got ${interval}, ${lag}`);
    }
    check(this.ex.weights_setCheckpointPolicy(interval, lag), "weights_setCheckpointPolicy");
  }

  /** Benchmark baseline only: disable weight upkeep on an empty graph (reset re-enables it). */
  disableWeights(): void {
    check(this.ex.weights_enable(0), "weights_enable");
  }

  // --- Id layer: the id -> seq map for the window lives in graph-ids.ts, not in WASM. ---

  /** Seq of a transaction id in the window, or undefined. */
  seqOf(id: string): number | undefined {
    return this.ids.seqOf(id);
  }

  /** Id of an in-window seq appended by id. */
  idOf(seq: number): string | undefined {
    return this.ids.idOf(seq);
  }

  /** Appends by id; parents not in the window are boundaries. Throws on a duplicate id. */
  appendById(id: string, parentIds: readonly string[], timestampSec: number,
    flags: number = TxFlags.SOLID): number {
    if (this.ids.has(id)) throw new Error(`transaction ${id} is already in the window`);
    const seq = this.append(this.ids.parentSeqs(parentIds), timestampSec, flags);
    this.ids.remember(id, seq);
    return seq;
  }

  appendMilestoneById(id: string, parentIds: readonly string[], timestampSec: number,
    index: number, flags: number = TxFlags.SOLID): number {
    if (this.ids.has(id)) throw new Error(`transaction ${id} is already in the window`);
    const seq = this.appendMilestone(this.ids.parentSeqs(parentIds), timestampSec, index, flags);
    this.ids.remember(id, seq);
    return seq;
  }
}
