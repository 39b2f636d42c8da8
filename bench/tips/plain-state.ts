/**
 * The plain-TypeScript twin's data: the same layout as core-wasm/assembly/_window.ts (16-word hot
 * and 8-word cold node records in Uint32Arrays, approver links inside the hot record, a parent
 * array, milestone and checkpoint rings) plus the weight, pool and walk state, in one object the
 * parts (plain-graph.ts, plain-weights.ts, plain-pool.ts, plain-walk.ts) work on, as the WASM
 * core's parts share its globals. Benchmark baseline only (see plain.ts).
 */
import { Xoshiro128 } from "./plain-rng";

// Hot record words (16 per slot).
export const H_FLAGS = 0;
export const H_CP = 1;
export const H_EXPL = 2;
export const H_FIRST = 3;
export const H_LINK0 = 4; // 4..11
export const H_MARK = 12;
export const H_PCOUNT = 13;
export const H_SEQ = 14;
export const H_CHILDREN = 15;
// Cold record words (8 per slot).
export const C_MSREF = 0;
export const C_YM = 1;
export const C_OM = 2;
export const C_TIME = 3;
export const C_POOLPOS = 4;
export const C_POOL = 5;
export const C_CONF = 6;
export const C_CPREF = 7;

export const FLAG_CONFIRMED = 2;
export const FLAG_CONFLICTING = 4;
export const FLAG_INVALID = 8;
export const FLAG_MILESTONE = 16;
export const FLAG_INVALID_CONE = 32;
export const FLAGS_DERIVED = FLAG_CONFIRMED | FLAG_MILESTONE | FLAG_INVALID_CONE;
export const FLAGS_BAD = FLAG_CONFLICTING | FLAG_INVALID | FLAG_INVALID_CONE;

export const LAZY = 0;
export const SEMI = 1;
export const NON_LAZY = 2;

export class PlainState {
  readonly cap: number;
  readonly mask: number;
  readonly window: number;
  readonly hot: Uint32Array;
  readonly cold: Uint32Array;
  readonly parents: Uint32Array;
  readonly queue: Uint32Array;
  readonly msSeq: Uint32Array;
  readonly cpSeq: Uint32Array;
  readonly cpPrefix: Uint32Array;
  readonly scratch: Uint32Array;
  readonly scratchH: Uint32Array;
  readonly scratchW: Float64Array;
  readonly poolNonLazy: Uint32Array;
  readonly poolSemi: Uint32Array;
  readonly ageSeq: Uint32Array;
  readonly ageDeadline: Uint32Array;
  /** Results of select (seqs). */
  readonly output = new Uint32Array(4096);

  next = 0;
  count = 0;
  epoch = 0;
  latestMs = 0;
  oldestMs = 0;
  boundary = 0;
  total = 0;
  latestCp = 0;
  oldestCp = 0;
  sinceCp = 0;
  cpInterval: number;
  cpLag: number;
  weightsOn = true;

  // URTS
  c1 = 8;
  c2 = 13;
  maxDepth = 15;
  maxChildren = 2;
  maxAgeMs = 3000;
  maxNonLazy = 100;
  nonLazyCount = 0;
  semiCount = 0;
  clockMs = 0;
  ageHead = 0;
  ageTail = 0;

  readonly rng = new Xoshiro128();
  /** Steps taken by the last walk (for the benchmark report). */
  lastSteps = 0;
  /** On-demand walk: visit marks and their epoch. */
  odMark: Uint32Array | undefined;
  odEpoch = 0;

  constructor(capacity: number, window: number) {
    this.cap = capacity;
    this.mask = capacity - 1;
    this.window = window;
    this.hot = new Uint32Array(capacity * 16);
    this.cold = new Uint32Array(capacity * 8);
    this.parents = new Uint32Array(capacity * 8);
    this.queue = new Uint32Array(capacity);
    this.msSeq = new Uint32Array(capacity);
    this.cpSeq = new Uint32Array(capacity);
    this.cpPrefix = new Uint32Array(capacity);
    this.cpInterval = Math.min(16, Math.max(1, window >>> 4));
    this.cpLag = Math.min(32, Math.max(1, window >>> 3));
    this.scratch = new Uint32Array(capacity);
    this.scratchH = new Uint32Array(capacity);
    this.scratchW = new Float64Array(capacity);
    this.poolNonLazy = new Uint32Array(capacity);
    this.poolSemi = new Uint32Array(capacity);
    this.ageSeq = new Uint32Array(capacity);
    this.ageDeadline = new Uint32Array(capacity);
  }

  inWindow(seq: number): boolean {
    return ((this.next - 1 - seq) >>> 0) < this.count;
  }
}
