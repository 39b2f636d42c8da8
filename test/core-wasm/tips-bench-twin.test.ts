/**
 * The benchmark's plain-TypeScript twin (bench/tips/plain.ts) must run the same algorithms as the
 * WASM core, or the speed ratio in `tangle bench tips` means nothing. Same stream in, same
 * weights, same URTS picks and the same walks out (same seed, same xoshiro128** stream).
 */
import { TangleGraph } from "../../core-wasm/src/tangle";
import { PlainTangle } from "../../bench/tips/plain";
import { runTipsSuite, simulateTangle } from "../../bench/tips/suite";

describe("bench twin (bench/tips/plain.ts) matches the WASM core", () => {
  test("weights, URTS picks and walks agree on a simulated tangle with eviction", () => {
    const window = 3000;
    const s = simulateTangle(window, 8000, 42);
    const g = new TangleGraph({ window, capacity: 4096 });
    const p = new PlainTangle(4096, window);
    g.seed(5);
    p.seed(5, 0);
    const out = new Uint32Array(8);
    for (let i = 0; i < s.count; i++) {
      g.setClockMs(s.clockMs[i]);
      p.setClock(s.clockMs[i]);
      const parents = Array.from(s.parents.subarray(i * 8, i * 8 + s.parentCount[i]));
      if (s.msIndex[i]) g.appendMilestone(parents, s.timestampSec[i], s.msIndex[i]);
      else g.append(parents, s.timestampSec[i]);
      p.append(parents, parents.length, s.timestampSec[i], 1, s.msIndex[i]);
      if (i % 97 === 0) {
        const n = g.selectTipsInto(out, 8);
        expect(p.select(8)).toBe(n);
        expect(Array.from(p.output.subarray(0, n))).toEqual(Array.from(out.subarray(0, n)));
      }
    }
    expect(p.nonLazyCount).toBe(g.nonLazyTipCount);
    for (let q = g.nextSeq - g.size; q < g.nextSeq; q++) expect(p.weight(q)).toBe(g.weight(q));
    for (const depth of [3, 0xffffffff]) {
      const entry = g.entryPoint(depth);
      expect(p.entryPoint(depth)).toBe(entry);
      for (const alpha of [0, 0.001, 0.5]) {
        const a: number[] = [];
        const b: number[] = [];
        for (let k = 0; k < 30; k++) {
          a.push(g.walk(alpha, entry));
          b.push(p.walk(entry, alpha));
        }
        expect(b).toEqual(a);
      }
    }
  });

  test("the quick suite reports every result kind", async () => {
    // Smallest useful run: checks (weights agree, walks end on tips) are inside the suite.
    const results = await runTipsSuite({ quick: true });
    const names = new Set(results.map((r) => `${r.name}/${r.metric}`));
    for (const k of ["append/latency-median", "weight-upkeep/latency-median", "urts-pick/latency-p99",
      "mcmc-walk/latency-median", "mcmc-walk/speedup-vs-ts"]) {
      expect(names).toContain(k);
    }
    for (const r of results) expect(Number.isFinite(r.value)).toBe(true);
  });
});
