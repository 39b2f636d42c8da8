/**
 * The one seeded generator (client/util/random.ts): its 32-bit outputs are mulberry32's, checked
 * against a reference written here independently in BigInt arithmetic (no Math.imul, no >>> 0);
 * the same seed gives the same sequence, different seeds differ, and int/pick/chance/bytes stay in
 * their ranges. The gateway simulator (cli/gateway.ts) and the tip-selection benchmark draw from it,
 * so their sequences are the ones their own mulberry32 copies drew before.
 */
import { seededRandom } from "../../../client/util/random";

const M32 = (1n << 32n) - 1n;
const mul = (x: bigint, y: bigint) => (x * y) & M32;

/** mulberry32 as published (Tommy Ettinger), in unsigned BigInt arithmetic mod 2^32. */
function reference(seed: number): () => bigint {
  let a = BigInt(seed >>> 0);
  return () => {
    a = (a + 0x6d2b79f5n) & M32;
    let t = a;
    t = mul(t ^ (t >> 15n), t | 1n);
    t = (t ^ ((t + mul(t ^ (t >> 7n), t | 61n)) & M32)) & M32;
    return (t ^ (t >> 14n)) & M32;
  };
}

test("u32 is mulberry32, for many seeds including 0 and 2^32 - 1", () => {
  for (const seed of [0, 1, 42, 12345, 0x9e3779b9, 0xffffffff]) {
    const r = seededRandom(seed);
    const ref = reference(seed);
    for (let i = 0; i < 1000; i++) expect([seed, i, r.u32()]).toEqual([seed, i, Number(ref())]);
  }
});

test("next is u32 / 2^32; the same seed repeats, another seed differs", () => {
  const ref = reference(7);
  const r = seededRandom(7);
  for (let i = 0; i < 100; i++) expect(r.next()).toBe(Number(ref()) / 2 ** 32);
  const a = seededRandom(99);
  const b = seededRandom(99);
  const c = seededRandom(100);
  const xs = Array.from({ length: 20 }, () => a.u32());
  expect(Array.from({ length: 20 }, () => b.u32())).toEqual(xs);
  expect(Array.from({ length: 20 }, () => c.u32())).not.toEqual(xs);
});

test("int, pick, chance and bytes stay in range and cover it", () => {
  const r = seededRandom(2026);
  const counts = new Array(10).fill(0);
  for (let i = 0; i < 10_000; i++) counts[r.int(10)]++;
  // 1000 expected per bin; ±200 is beyond 6 standard deviations (sd ≈ 30).
  for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(200);
  const xs = ["a", "b", "c"] as const;
  const picked = new Set(Array.from({ length: 100 }, () => r.pick(xs)));
  expect([...picked].sort()).toEqual(["a", "b", "c"]);
  expect(Array.from({ length: 100 }, () => r.chance(0)).some(Boolean)).toBe(false);
  expect(Array.from({ length: 100 }, () => r.chance(1)).every(Boolean)).toBe(true);
  const bytes = r.bytes(4096);
  expect(bytes.length).toBe(4096);
  expect(new Set(bytes).size).toBe(256);
});
