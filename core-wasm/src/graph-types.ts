/**
 * The tangle graph's vocabulary: transaction flags, TIP-3 scores, the URTS configuration and its
 * defaults, the graph's options and cone roots. Types and constants only (docs/tip-selection.md).
 */
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
