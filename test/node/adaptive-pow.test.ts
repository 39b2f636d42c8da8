/**
 * Adaptive proof of work (node/adaptive-pow.ts), directly, with the clock passed in: no extra bit
 * below the allowance, one per doubling of the rate from the allowance up, capped at maxExtraBits;
 * the window forgets arrivals exactly windowMs old; issuers are counted apart; the least recently
 * seen issuer is forgotten beyond maxIssuers; and the default limits are the documented ones.
 */
import { ADAPTIVE_POW, AdaptivePow } from "../../node/adaptive-pow";

// Allowance: 2 per second over a 1 s window, so 2 arrivals in the window; at most 3 extra bits.
// (The constructor's parameter is typed as the default's literal values, hence the cast.)
const small = { windowMs: 1000, allowancePerSecond: 2, maxExtraBits: 3, maxIssuers: 2 } as unknown as typeof ADAPTIVE_POW;

function withArrivals(p: AdaptivePow, issuer: string, n: number, atMs: number): void {
  for (let i = 0; i < n; i++) p.record(issuer, atMs);
}

test("no extra bit below the allowance, then one per doubling, capped", () => {
  // arrivals in the window → extra bits: [0, 2) → 0, [2, 4) → 1, [4, 8) → 2, 8 and more → 3 (the cap).
  const want = [0, 0, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3];
  const p = new AdaptivePow(small);
  for (let n = 0; n < want.length; n++) {
    expect([n, p.extraBits("a", 500)]).toEqual([n, want[n]]);
    p.record("a", 500);
  }
});

test("the default policy: 500 arrivals in 10 s is the first extra bit, 1000 the second, 12 at most", () => {
  expect(ADAPTIVE_POW).toEqual({ windowMs: 10_000, allowancePerSecond: 50, maxExtraBits: 12, maxIssuers: 100_000 });
  const p = new AdaptivePow();
  withArrivals(p, "x", 499, 0);
  expect(p.extraBits("x", 0)).toBe(0);
  p.record("x", 0);
  expect(p.extraBits("x", 0)).toBe(1);
  withArrivals(p, "x", 500, 0);
  expect(p.extraBits("x", 0)).toBe(2);
  withArrivals(p, "x", 500 * 2 ** 12 - 1000, 0);
  expect(p.extraBits("x", 0)).toBe(12);
  p.record("x", 0);
  expect(p.extraBits("x", 0)).toBe(12);
});

test("an arrival leaves the window exactly windowMs later", () => {
  const p = new AdaptivePow(small);
  withArrivals(p, "a", 2, 1000);
  withArrivals(p, "a", 2, 1500);
  expect(p.extraBits("a", 1999)).toBe(2); // 4 arrivals within (999, 1999]
  expect(p.extraBits("a", 2000)).toBe(1); // those at 1000 are exactly 1000 ms old: gone
  expect(p.extraBits("a", 2499)).toBe(1);
  expect(p.extraBits("a", 2500)).toBe(0);
  // A quiet issuer starts over.
  expect(p.extraBits("a", 60_000)).toBe(0);
});

test("issuers are counted apart; beyond maxIssuers the least recently seen is forgotten", () => {
  const p = new AdaptivePow(small);
  withArrivals(p, "a", 4, 0);
  withArrivals(p, "b", 2, 0);
  expect([p.extraBits("a", 0), p.extraBits("b", 0), p.extraBits("c", 0)]).toEqual([2, 1, 0]);
  p.record("a", 1); // a is now more recent than b
  p.record("c", 2); // a third issuer: b, the least recent, is forgotten
  expect([p.extraBits("a", 2), p.extraBits("b", 2), p.extraBits("c", 2)]).toEqual([2, 0, 0]);
  p.record("b", 3); // and now a goes (c was seen after it)
  expect([p.extraBits("a", 3), p.extraBits("b", 3), p.extraBits("c", 3)]).toEqual([0, 0, 0]);
  p.record("c", 3);
  expect(p.extraBits("c", 3)).toBe(1);
});
