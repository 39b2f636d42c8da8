// Seeded pseudo-random numbers for tip selection (internal; not re-exported by index.ts).
//
// xoshiro128** (Blackman & Vigna): 128 bits of state, 32-bit outputs, only 32-bit integer
// operations, so it is cheap in WASM and reproducible bit for bit by the plain TypeScript
// benchmark twin. Seeding expands a 64-bit seed with splitmix64, as the authors recommend, so that
// nearby seeds give unrelated streams. Tip selection only needs reproducibility and a good spread,
// not unpredictability: a node that wants unpredictable picks seeds from a CSPRNG.

let s0: u32 = 0;
let s1: u32 = 0;
let s2: u32 = 0;
let s3: u32 = 0;

let splitState: u64 = 0;

function splitmix64(): u64 {
  splitState += 0x9e3779b97f4a7c15;
  let z = splitState;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

/** Seeds the generator from a 64-bit value given as two 32-bit halves. */
export function rngSeed(lo: u32, hi: u32): void {
  splitState = (<u64>hi << 32) | <u64>lo;
  const a = splitmix64();
  const b = splitmix64();
  s0 = <u32>a;
  s1 = <u32>(a >> 32);
  s2 = <u32>b;
  s3 = <u32>(b >> 32);
  // The all-zero state is a fixed point; splitmix64 never yields two zero words in a row in
  // practice, but a cheap guard keeps the invariant explicit.
  if ((s0 | s1 | s2 | s3) == 0) s0 = 1;
}

/** Next 32 random bits. */
@inline
export function rngNext(): u32 {
  const result = rotl<u32>(s1 * 5, 7) * 9;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotl<u32>(s3, 11);
  return result;
}

/** Integer in [0, n) for n >= 1 (multiply-shift; bias below 2^-32 · n, irrelevant here). */
@inline
export function rngBelow(n: u32): u32 {
  return <u32>((<u64>rngNext() * <u64>n) >> 32);
}

/** Float in [0, 1) with 32 bits of resolution. */
@inline
export function rngUnit(): f64 {
  return <f64>rngNext() * 2.3283064365386963e-10; // 2^-32
}
