/**
 * The tip-selection core written plainly in TypeScript, for the benchmark's "what does WASM buy"
 * ratio: the same data layout (16-word hot and 8-word cold node records in Uint32Arrays, approver
 * links inside the hot record, a parent array, milestone and checkpoint rings), the same
 * exact-weight upkeep with weight checkpoints, URTS pool, MCMC walk and xoshiro128** stream as
 * core-wasm/assembly/_*.ts, line for line where the languages allow. It is meant to be an honest,
 * reasonably fast JS version: typed arrays, integer arithmetic, no allocation on hot paths. Not
 * for production use (no argument checks); the WASM core is the product. A test
 * (test/core-wasm/tips-bench-twin.test.ts) holds both to identical weights, picks and walks.
 *
 * Split as the WASM core is: the data (plain-state.ts), the window (plain-graph.ts), weights
 * (plain-weights.ts), the URTS pool (plain-pool.ts), the walks (plain-walk.ts), the RNG
 * (plain-rng.ts). This class is the API the benchmark calls, and writes the order of one append
 * across the parts once, as core-wasm/assembly/_append.ts does.
 */
import { appendRecord, confirmMilestone, evictRecord } from "./plain-graph";
import { poolOnAppend, poolOnMilestone, poolRemove, select, setClock } from "./plain-pool";
import { C_CPREF, PlainState } from "./plain-state";
import { entryPoint, walk, walkOnDemand } from "./plain-walk";
import { creditPastCone, maybeCheckpoint, weight } from "./plain-weights";

export class PlainTangle {
  private readonly g: PlainState;
  readonly cap: number;
  readonly mask: number;
  readonly window: number;
  /** Results of select (seqs). */
  readonly output: Uint32Array;

  constructor(capacity: number, window = capacity) {
    this.g = new PlainState(capacity, window);
    this.cap = capacity;
    this.mask = capacity - 1;
    this.window = window;
    this.output = this.g.output;
    this.seed(0x9e3779b9, 0);
  }

  get next(): number {
    return this.g.next;
  }

  get count(): number {
    return this.g.count;
  }

  get latestMs(): number {
    return this.g.latestMs;
  }

  /** Weight upkeep on (the benchmark turns it off for its baseline). */
  get weightsOn(): boolean {
    return this.g.weightsOn;
  }

  set weightsOn(on: boolean) {
    this.g.weightsOn = on;
  }

  get nonLazyCount(): number {
    return this.g.nonLazyCount;
  }

  get semiCount(): number {
    return this.g.semiCount;
  }

  /** Steps taken by the last walk (for the benchmark report). */
  get lastSteps(): number {
    return this.g.lastSteps;
  }

  seed(lo: number, hi: number): void {
    this.g.rng.seed(lo, hi);
  }

  inWindow(seq: number): boolean {
    return this.g.inWindow(seq);
  }

  /** Appends with parents[0..n); msIndex > 0 for a milestone. Returns the seq. */
  append(parents: ArrayLike<number>, n: number, timestampSec: number, flags: number, msIndex = 0): number {
    const g = this.g;
    if (g.count === g.window) {
      const gone = (g.next - g.window) >>> 0;
      poolRemove(g, gone & g.mask);
      evictRecord(g, gone);
    }
    const seq = appendRecord(g, parents, n, timestampSec, flags);
    const slot = seq & g.mask;
    creditPastCone(g, slot, g.cold[(slot << 3) + C_CPREF]);
    if (msIndex !== 0) confirmMilestone(g, seq, slot, msIndex);
    maybeCheckpoint(g, slot);
    poolOnAppend(g, slot);
    if (msIndex !== 0) poolOnMilestone(g);
    return seq;
  }

  weight(seq: number): number {
    return weight(this.g, seq);
  }

  setClock(nowMs: number): void {
    setClock(this.g, nowMs);
  }

  /** Up to `count` distinct non-lazy tips into `output`; returns how many. */
  select(count: number): number {
    return select(this.g, count);
  }

  entryPoint(depth: number): number {
    return entryPoint(this.g, depth);
  }

  walk(entrySeq: number, alpha: number): number {
    return walk(this.g, entrySeq, alpha);
  }

  /**
   * The MCMC walk with no weight upkeep: each candidate's H counted by a traversal of its future
   * cone when a choice needs it. Same picks as walk() for the same RNG state; only the cost differs.
   */
  walkOnDemand(entrySeq: number, alpha: number): number {
    return walkOnDemand(this.g, entrySeq, alpha);
  }
}
