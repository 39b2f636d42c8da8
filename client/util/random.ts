/**
 * The one seeded random generator (mulberry32: 32 bits of state, full period 2^32, fast and good
 * enough for test data, simulations and backoff tests; not for keys or anything secret). The same
 * seed gives the same sequence on every platform, so a failing seed reproduces.
 */
export interface SeededRandom {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform 32-bit unsigned integer. */
  u32(): number;
  /** Uniform integer in [0, n), for 1 ≤ n ≤ 2^32. */
  int(n: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(xs: readonly T[]): T;
  bytes(n: number): Uint8Array;
}

export function seededRandom(seed: number): SeededRandom {
  let a = seed >>> 0;
  const u32 = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = () => u32() / 4294967296;
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    u32,
    int,
    chance: (p) => next() < p,
    pick: (xs) => xs[int(xs.length)],
    bytes: (n) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = u32() & 0xff;
      return out;
    },
  };
}
