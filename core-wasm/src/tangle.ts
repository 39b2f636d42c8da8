/**
 * `TangleGraph`: the recent window of the tangle in WASM linear memory, with exact cumulative
 * weights, URTS tip selection (TIP-3), the MCMC walk and confirmation confidence.
 *
 * One WASM instance per graph (the instance owns the memory it allocates). Transactions are
 * numbered by arrival (`seq`, u32, wrapping); the graph keeps the last `window` of them. Callers
 * that work with transaction ids use the `*ById` methods, which keep an id -> seq map for the
 * window here in JavaScript (WASM only ever sees integers). Hot paths (`append`, `selectTipsInto`,
 * `walk`, `weight`) allocate nothing: parents go through a typed-array view of a static WASM
 * buffer, results come back as numbers or through another view.
 *
 * Layout, algorithms and measured costs: docs/tip-selection.md.
 */
import { instantiateCore, type CoreExports } from "./module";
import { CodedError } from "./errors";

/** Transaction flags. SOLID, CONFLICTING, INVALID and bits 8..31 are the caller's; the rest are
 * derived by the graph and cannot be set or cleared from outside. */
export const TxFlags = {
  SOLID: 1,
  /** Confirmed by a milestone (derived). */
  CONFIRMED: 2,
  CONFLICTING: 4,
  INVALID: 8,
  /** Appended with `appendMilestone` (derived). */
  MILESTONE: 16,
  /** Some ancestor seen in the window is INVALID (derived at append). */
  INVALID_CONE: 32,
} as const;

/** TIP-3 score. */
export const TipScore = { LAZY: 0, SEMI_LAZY: 1, NON_LAZY: 2 } as const;

/** Error codes returned by the WASM graph and tip-selection functions. */
export const GraphErrorCode = {
  [-20]: "GRAPH_CAPACITY",
  [-21]: "GRAPH_NOT_INIT",
  [-22]: "GRAPH_PARENT_COUNT",
  [-23]: "GRAPH_PARENT_DUPLICATE",
  [-24]: "GRAPH_PARENT_AHEAD",
  [-25]: "GRAPH_NOT_IN_WINDOW",
  [-26]: "GRAPH_MILESTONE_INDEX",
  [-30]: "WEIGHTS_NOT_EMPTY",
  [-31]: "WEIGHTS_POLICY",
  [-40]: "TIPS_EMPTY",
  [-41]: "TIPS_CONFIG",
  [-42]: "TIPS_COUNT",
  [-43]: "TIPS_ALPHA",
  [-44]: "TIPS_NOT_IN_WINDOW",
} as Record<number, string>;

/** A negative result of the graph, weights or tip selection (its `code` one of GraphErrorCode's: internal, never sent to clients). */
export class TangleGraphError extends CodedError {
  constructor(
    code: string,
    readonly wasmCode: number,
    message: string,
  ) {
    super(code, `${code}: ${message}`);
    this.name = "TangleGraphError";
  }
}

function check(result: number, what: string): number {
  if (result < 0) {
    const code = GraphErrorCode[result] ?? `WASM_ERROR_${-result}`;
    throw new TangleGraphError(code, result, what);
  }
  return result;
}

export interface UrtsConfig {
  /** C1: max LSMI - YMRSI before a tip is lazy (TIP-3 default 8). */
  ymrsiDelta: number;
  /** C2: max LSMI - OMRSI before a tip is semi-lazy (TIP-3 default 13). */
  omrsiDelta: number;
  /** M: max LSMI - OMRSI before a tip is lazy, "below max depth" (TIP-3 default 15). */
  belowMaxDepth: number;
  /** A tip leaves the pool once it has this many direct approvers (default 2). */
  maxChildren: number;
  /** A tip leaves the pool this long after its first approver arrived (default 3000 ms). */
  maxAgeAfterFirstChildMs: number;
  /** Above this many non-lazy tips, a new tip's parents leave the pool (default 100). */
  maxNonLazy: number;
}

export const DEFAULT_URTS: Readonly<UrtsConfig> = {
  ymrsiDelta: 8,
  omrsiDelta: 13,
  belowMaxDepth: 15,
  maxChildren: 2,
  maxAgeAfterFirstChildMs: 3000,
  maxNonLazy: 100,
};

export interface TangleGraphOptions {
  /** Transactions kept (default 65536). */
  window?: number;
  /** Ring slots, a power of two >= window (default: the next power of two). */
  capacity?: number;
  /** Seq of the first append (default 0); sequence numbers wrap at 2^32. */
  firstSeq?: number;
  /** RNG seed for tip selection (default: a fixed constant; pass a random one in production). */
  seed?: number | bigint;
  urts?: Partial<UrtsConfig>;
}

export interface ConeRoots {
  /** Youngest cone-root milestone index (TIP-3 YMRSI). */
  ymrsi: number;
  /** Oldest cone-root milestone index (TIP-3 OMRSI). */
  omrsi: number;
}

const MAX_PARENTS = 8;

function nextPow2(n: number): number {
  let c = 16;
  while (c < n) c *= 2;
  return c;
}

export class TangleGraph {
  private readonly ex: CoreExports;
  private readonly memory: WebAssembly.Memory;
  private input!: Uint32Array;
  private output!: Uint32Array;
  private readonly outputCap: number;
  private ids = new Map<string, number>();
  private idAt: (string | undefined)[] = [];
  private _window = 0;
  private _capacity = 0;

  constructor(opts: TangleGraphOptions = {}) {
    const { exports, memory } = instantiateCore();
    this.ex = exports;
    this.memory = memory;
    this.outputCap = this.ex.graph_outputCapacity();
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
    this.ids.clear();
    this.idAt = new Array(capacity);
    this.configureUrts(opts.urts ?? {});
    if (opts.seed !== undefined) this.seed(opts.seed);
    this.refreshViews();
  }

  private refreshViews(): void {
    const buf = this.memory.buffer;
    this.input = new Uint32Array(buf, this.ex.graph_inputPtr() >>> 0, MAX_PARENTS);
    this.output = new Uint32Array(buf, this.ex.graph_outputPtr() >>> 0, this.outputCap);
  }

  /** Views go stale if the memory grows; it only grows in init, but stay safe. */
  private views(): void {
    if (this.input.buffer !== this.memory.buffer) this.refreshViews();
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

  private writeParents(parents: ArrayLike<number>): number {
    const n = parents.length;
    if (n > MAX_PARENTS) throw new RangeError(`at most ${MAX_PARENTS} parents, got ${n}`);
    this.views();
    const input = this.input;
    for (let i = 0; i < n; i++) input[i] = parents[i];
    return n;
  }

  /**
   * Appends a transaction whose parents (seqs, all appended before; seqs that left the window are
   * window boundaries) are `parents`. Returns its seq.
   */
  append(parents: ArrayLike<number>, timestampSec: number, flags: number = TxFlags.SOLID): number {
    const n = this.writeParents(parents);
    return check(this.ex.graph_append(n, timestampSec >>> 0, flags >>> 0), "graph_append");
  }

  /** Appends milestone `index` (latest + 1, or any larger index when the latest has left the
   * window); it confirms its unconfirmed past cone. Returns its seq. */
  appendMilestone(parents: ArrayLike<number>, timestampSec: number, index: number,
    flags: number = TxFlags.SOLID): number {
    const n = this.writeParents(parents);
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
    this.views();
    return Array.from(this.output.subarray(0, n));
  }

  /** Direct approvers in the window, newest first. */
  approvers(seq: number): number[] {
    const n = check(this.ex.graph_approvers(seq >>> 0), "graph_approvers");
    if (n > this.outputCap) {
      throw new RangeError(`seq ${seq} has ${n} approvers; only ${this.outputCap} can be listed`);
    }
    this.views();
    return Array.from(this.output.subarray(0, n));
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
    this.views();
    const o = this.output;
    for (let i = 0; i < n; i++) out[i] = o[i];
    return n;
  }

  /** URTS pick as an array (allocates; use selectTipsInto on hot paths). */
  selectTips(count: number): number[] {
    const n = check(this.ex.tips_select(count), "tips_select");
    this.views();
    return Array.from(this.output.subarray(0, n));
  }

  /** Up to `count` distinct semi-lazy tips (for promotion). */
  selectSemiLazyTips(count: number): number[] {
    const n = check(this.ex.tips_selectSemiLazy(count), "tips_selectSemiLazy");
    this.views();
    return Array.from(this.output.subarray(0, n));
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
      const k = Math.min(count - done, this.outputCap);
      check(this.ex.tips_walkMany(entry >>> 0, alpha, k), "tips_walkMany");
      this.views();
      const o = this.output;
      for (let i = 0; i < k; i++) out[done + i] = o[i];
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

  // --- Id layer: the id -> seq map for the window lives here, not in WASM. ---

  /** Seq of a transaction id in the window, or undefined. */
  seqOf(id: string): number | undefined {
    const s = this.ids.get(id);
    return s !== undefined && this.inWindow(s) ? s : undefined;
  }

  /** Id of an in-window seq appended by id. */
  idOf(seq: number): string | undefined {
    if (!this.inWindow(seq)) return undefined;
    return this.idAt[seq & (this._capacity - 1)];
  }

  private parentSeqs(parentIds: readonly string[]): number[] {
    const seqs: number[] = [];
    for (const id of parentIds) {
      const s = this.seqOf(id);
      if (s !== undefined) seqs.push(s); // unknown here = outside the window: a boundary
    }
    return seqs;
  }

  private remember(id: string, seq: number): void {
    const slot = seq & (this._capacity - 1);
    // The seq that left the window with this append (if any) is `seq - window`.
    const gone = (seq - this._window) >>> 0;
    const goneSlot = gone & (this._capacity - 1);
    const goneId = this.idAt[goneSlot];
    if (goneId !== undefined && !this.inWindow(gone) && this.ids.get(goneId) === gone) {
      this.ids.delete(goneId);
      this.idAt[goneSlot] = undefined;
    }
    const old = this.idAt[slot];
    if (old !== undefined && this.ids.get(old) !== seq) this.ids.delete(old);
    this.idAt[slot] = id;
    this.ids.set(id, seq);
  }

  /** Appends by id; parents not in the window are boundaries. Throws on a duplicate id. */
  appendById(id: string, parentIds: readonly string[], timestampSec: number,
    flags: number = TxFlags.SOLID): number {
    if (this.ids.has(id)) throw new Error(`transaction ${id} is already in the window`);
    const seq = this.append(this.parentSeqs(parentIds), timestampSec, flags);
    this.remember(id, seq);
    return seq;
  }

  appendMilestoneById(id: string, parentIds: readonly string[], timestampSec: number,
    index: number, flags: number = TxFlags.SOLID): number {
    if (this.ids.has(id)) throw new Error(`transaction ${id} is already in the window`);
    const seq = this.appendMilestone(this.parentSeqs(parentIds), timestampSec, index, flags);
    this.remember(id, seq);
    return seq;
  }
}
