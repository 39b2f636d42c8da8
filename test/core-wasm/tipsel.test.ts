/**
 * Tip selection in WASM (core-wasm/src/tangle.ts): URTS pool membership equal to a reference model
 * of the TIP-3 rules step by step (also with small limits), uniform picks over the non-lazy pool
 * (chi-square), lazy tips never returned; the MCMC walk always ends on a valid tip, matches the
 * random-walk and exp(-alpha (Hx - Hy)) transition predictions, follows the heavy branch at large
 * alpha, repeats under a seed, clamps its entry point, refuses bad input; confirmation confidence
 * equal to the brute-force share of the same walks, converging to the exact probability, and 1 for
 * confirmed transactions.
 */
import { DEFAULT_URTS, TangleGraph, TipScore, TxFlags, type UrtsConfig } from "../../core-wasm/src/tangle";
import { runScenario } from "./_scenario";
import { RefTangle, chiSquare, chiSquareCritical, mulberry32 } from "./_tangle-reference";

/** Cheap assertion for hot loops (jest's expect() costs more than the checks themselves). */
function must(ok: boolean, what: () => string): void {
  if (!ok) throw new Error(what());
}

/** Reference URTS pool: plain Sets, the TIP-3 rules as written in docs/tip-selection.md. */
class RefPool {
  nonLazy = new Set<number>();
  semi = new Set<number>();
  children = new Map<number, number>();
  age: { seq: number; deadline: number }[] = [];
  clock = 0;
  constructor(
    readonly ref: RefTangle,
    readonly cfg: UrtsConfig,
  ) {}

  score(seq: number): number {
    if (this.ref.isBad(seq)) return TipScore.LAZY;
    const { ymrsi, omrsi } = this.ref.roots(seq);
    const l = this.ref.latest;
    if (l - ymrsi > this.cfg.ymrsiDelta) return TipScore.LAZY;
    if (l - omrsi > this.cfg.belowMaxDepth) return TipScore.LAZY;
    if (l - omrsi > this.cfg.omrsiDelta) return TipScore.SEMI_LAZY;
    return TipScore.NON_LAZY;
  }

  remove(seq: number): void {
    this.nonLazy.delete(seq);
    this.semi.delete(seq);
  }

  place(seq: number): void {
    this.remove(seq);
    const s = this.score(seq);
    if (s === TipScore.NON_LAZY) this.nonLazy.add(seq);
    else if (s === TipScore.SEMI_LAZY) this.semi.add(seq);
  }

  expire(): void {
    while (this.age.length > 0 && this.clock - this.age[0].deadline >= 0) this.remove(this.age.shift()!.seq);
  }

  onAppend(seq: number, milestone: boolean): void {
    const parents = this.ref.nodes.get(seq)!.parents;
    for (const p of parents) {
      const c = (this.children.get(p) ?? 0) + 1;
      this.children.set(p, c);
      if (c === 1) this.age.push({ seq: p, deadline: this.clock + this.cfg.maxAgeAfterFirstChildMs });
      if (c >= this.cfg.maxChildren) this.remove(p);
    }
    this.place(seq);
    if (this.nonLazy.size > this.cfg.maxNonLazy) for (const p of parents) this.remove(p);
    this.expire();
    if (milestone) for (const s of [...this.nonLazy, ...this.semi]) this.place(s);
  }

  poolOf(seq: number): number {
    return this.nonLazy.has(seq) ? 2 : this.semi.has(seq) ? 1 : 0;
  }
}

describe("URTS (TIP-3)", () => {
  const g = new TangleGraph({ window: 1024 });

  /** Returns the largest semi-lazy pool seen. */
  function drive(seed: number, cfg: UrtsConfig, appends: number): number {
    const rand = mulberry32(seed);
    g.reset({ window: 1024, seed, urts: cfg });
    const ref = new RefTangle(1024);
    const pool = new RefPool(ref, cfg);
    let clock = 0;
    let lastMs = -1;
    const out = new Uint32Array(8);
    let maxSemi = 0;
    const compare = (when: string): void => {
      maxSemi = Math.max(maxSemi, pool.semi.size);
      for (const s of ref.nodes.keys()) {
        if (g.poolOf(s) !== pool.poolOf(s)) {
          throw new Error(`seed ${seed} ${when}: pool of ${s} is ${g.poolOf(s)}, want ${pool.poolOf(s)}`);
        }
      }
      must(g.nonLazyTipCount === pool.nonLazy.size, () => `seed ${seed} ${when}: non-lazy count`);
      must(g.semiLazyTipCount === pool.semi.size, () => `seed ${seed} ${when}: semi-lazy count`);
    };
    for (let i = 0; i < appends; i++) {
      clock += 50 * Math.floor(rand() * 6); // multiples of 50: deadlines are hit exactly too
      g.setClockMs(clock);
      pool.clock = clock;
      pool.expire();
      const isMs = i > 0 && rand() < 0.12;
      const want = 1 + Math.floor(rand() * 4);
      let parents: number[];
      if (rand() < 0.75) {
        const n = g.selectTipsInto(out, want);
        pool.expire();
        parents = Array.from(out.subarray(0, n));
        for (const p of parents) {
          // Never lazy, never semi-lazy, never retired: exactly the reference's non-lazy set.
          if (!pool.nonLazy.has(p)) throw new Error(`seed ${seed}: picked ${p}, not a non-lazy tip`);
          must(pool.score(p) === TipScore.NON_LAZY, () => `seed ${seed}: picked ${p} scores lower`);
        }
        must(new Set(parents).size === parents.length, () => `seed ${seed}: duplicate pick`);
        must(n === Math.min(want, pool.nonLazy.size), () => `seed ${seed}: picked ${n} of ${want}`);
      } else {
        // Attach anywhere: old attachments make lazy and semi-lazy tips.
        parents = [];
        for (let k = 0; k < want && ref.next > 0; k++) {
          const p = Math.floor(rand() * ref.next);
          if (!parents.includes(p)) parents.push(p);
        }
      }
      if (isMs && lastMs >= 0 && !parents.includes(lastMs)) parents = [lastMs, ...parents].slice(0, 8);
      const seq = isMs ? g.appendMilestone(parents, i, ref.latest + 1) : g.append(parents, i);
      ref.append(parents, TxFlags.SOLID, isMs ? ref.latest + 1 : 0);
      ref.allParents.set(seq, parents);
      if (isMs) lastMs = seq;
      pool.onAppend(seq, isMs);
      compare(`after append ${seq}`);
      if (rand() < 0.03) {
        // A pooled tip found invalid leaves the pool.
        const cand = [...pool.nonLazy];
        if (cand.length > 0) {
          const bad = cand[Math.floor(rand() * cand.length)];
          g.setFlags(bad, TxFlags.INVALID);
          ref.nodes.get(bad)!.flags |= TxFlags.INVALID;
          pool.remove(bad);
          compare(`after invalidating ${bad}`);
        }
      }
    }
    // Lazy and semi-lazy tips did occur, so the rules above were exercised.
    let lazy = 0;
    let semi = 0;
    for (const s of ref.nodes.keys()) {
      const sc = pool.score(s);
      if (sc === TipScore.LAZY) lazy++;
      if (sc === TipScore.SEMI_LAZY) semi++;
    }
    expect(lazy).toBeGreaterThan(0);
    expect(semi + lazy).toBeGreaterThan(0);
    return maxSemi;
  }

  test("pool membership equals a reference model of the TIP-3 rules, step by step", () => {
    let semi = 0;
    for (let i = 0; i < 12; i++) semi = Math.max(semi, drive(100 + i, { ...DEFAULT_URTS }, 500));
    expect(semi).toBeGreaterThan(0); // the semi-lazy pool was exercised
  });

  test("the same with small limits (pool cap, one child, short age, tight deltas)", () => {
    const cfg: UrtsConfig = {
      ymrsiDelta: 2,
      omrsiDelta: 3,
      belowMaxDepth: 5,
      maxChildren: 1,
      maxAgeAfterFirstChildMs: 200,
      maxNonLazy: 5,
    };
    let semi = 0;
    for (let i = 0; i < 12; i++) semi = Math.max(semi, drive(200 + i, cfg, 500));
    expect(semi).toBeGreaterThan(0);
  });

  test("the same with a tiny non-lazy cap and many children allowed (parents leave on excess)", () => {
    const cfg: UrtsConfig = { ...DEFAULT_URTS, maxChildren: 10, maxNonLazy: 3, maxAgeAfterFirstChildMs: 10000 };
    for (let i = 0; i < 8; i++) drive(300 + i, cfg, 400);
  });

  test("a pick is uniform over the non-lazy pool", () => {
    g.reset({ window: 1024, seed: 7 });
    const genesis = g.append([], 0);
    const tips: number[] = [];
    for (let i = 0; i < 20; i++) tips.push(g.append([genesis], 0));
    expect(g.nonLazyTipCount).toBe(20);
    const counts = new Map<number, number>();
    const out = new Uint32Array(1);
    const n = 40000;
    for (let i = 0; i < n; i++) {
      g.selectTipsInto(out, 1);
      counts.set(out[0], (counts.get(out[0]) ?? 0) + 1);
    }
    const expected = new Map(tips.map((t) => [t, 1 / tips.length]));
    const { chi2, df } = chiSquare(counts, expected, n);
    expect(chi2).toBeLessThan(chiSquareCritical(df));
    // Pairs are distinct and cover the pool.
    const pair = g.selectTips(8);
    expect(new Set(pair).size).toBe(8);
  });

  test("lazy tips are never returned", () => {
    g.reset({ window: 1024 });
    const old = g.append([], 0);
    let m = g.appendMilestone([old], 0, 1);
    for (let k = 2; k <= 20; k++) m = g.appendMilestone([m], 0, k);
    const lazy = g.append([old], 0); // roots at milestone 1, latest is 20
    expect(g.score(lazy)).toBe(TipScore.LAZY);
    expect(g.poolOf(lazy)).toBe(0);
    for (let i = 0; i < 100; i++) expect(g.selectTips(8)).not.toContain(lazy);
    // The recent milestones are still tips (one approver each, no time passed): all non-lazy.
    for (const t of g.selectTips(8)) expect(g.score(t)).toBe(TipScore.NON_LAZY);
    expect(g.selectTips(8)).toContain(m);
  });
});

describe("MCMC walk", () => {
  const g = new TangleGraph({ window: 512 });

  test("always ends on a valid tip, skipping invalid and conflicting approvers", () => {
    for (let i = 0; i < 60; i++) {
      const { ref } = runScenario(
        { seed: 3000 + i, window: 128, appends: 300, milestoneRate: 0.08, invalidRate: 0.05 },
        g,
      );
      // Some conflicting ones, flagged after the fact.
      const rand = mulberry32(i);
      for (const s of ref.nodes.keys()) {
        if (rand() < 0.05) {
          g.setFlags(s, TxFlags.CONFLICTING);
          ref.nodes.get(s)!.flags |= TxFlags.CONFLICTING;
        }
      }
      for (const depth of [0, 2, 100]) {
        const entry = g.entryPoint(depth);
        for (const alpha of [0, 0.01, 1, 50]) {
          const out = new Uint32Array(20);
          g.walkManyInto(out, 20, alpha, entry);
          for (const tip of out) {
            must(ref.nodes.has(tip), () => `walk ended outside the window: ${tip}`);
            must(ref.validApprovers(tip).length === 0, () => `walk ended on ${tip}, which has valid approvers`);
          }
        }
      }
    }
  });

  /** A random tangle (no eviction) for distribution tests. */
  function smallTangle(seed: number, size: number): RefTangle {
    const rand = mulberry32(seed);
    g.reset({ window: 512 });
    const ref = new RefTangle(512);
    const add = (parents: number[]): void => {
      const s = g.append(parents, 0);
      ref.append(parents, TxFlags.SOLID);
      ref.allParents.set(s, parents);
    };
    add([]);
    for (let i = 1; i < size; i++) {
      const k = 1 + Math.floor(rand() * 3);
      const ps = new Set<number>();
      for (let j = 0; j < k; j++) ps.add(Math.max(0, i - 1 - Math.floor(rand() * 6)));
      add([...ps]);
    }
    return ref;
  }

  function walkCounts(n: number, alpha: number, entry: number): Map<number, number> {
    const out = new Uint32Array(n);
    g.walkManyInto(out, n, alpha, entry);
    const counts = new Map<number, number>();
    for (const t of out) counts.set(t, (counts.get(t) ?? 0) + 1);
    return counts;
  }

  test("alpha = 0 spreads over reachable tips as a uniform random walk predicts", () => {
    const ref = smallTangle(11, 60);
    g.seed(99);
    const expected = ref.walkDistribution(0, 0);
    expect(expected.size).toBeGreaterThan(3);
    const n = 30000;
    const counts = walkCounts(n, 0, 0);
    const { chi2, df } = chiSquare(counts, expected, n);
    expect(chi2).toBeLessThan(chiSquareCritical(df));
    // Every tip the walk can reach with a fair chance was reached.
    for (const [t, p] of expected) if (p * n > 20) expect(counts.get(t) ?? 0).toBeGreaterThan(0);
  });

  test("transition probabilities follow exp(-alpha (Hx - Hy))", () => {
    for (const [seed, alpha] of [[12, 0.05], [13, 0.2], [14, 1]] as const) {
      const ref = smallTangle(seed, 50);
      const entry = 5;
      const expected = ref.walkDistribution(entry, alpha);
      const n = 20000;
      const { chi2, df } = chiSquare(walkCounts(n, alpha, entry), expected, n);
      expect(chi2).toBeLessThan(chiSquareCritical(df));
    }
  });

  test("large alpha follows the heavy branch", () => {
    g.reset({ window: 512 });
    const root = g.append([], 0);
    const heavy = g.append([root], 0);
    const light = g.append([root], 0);
    const heavySet = new Set<number>([heavy]);
    let frontier = [heavy];
    for (let i = 0; i < 60; i++) {
      const a = frontier[Math.floor(i / 3) % frontier.length];
      const s = g.append([a], 0);
      heavySet.add(s);
      frontier.push(s);
    }
    let l = light;
    for (let i = 0; i < 3; i++) l = g.append([l], 0);
    expect(g.weight(heavy)).toBeGreaterThan(50);
    expect(g.weight(light)).toBe(4);
    const counts = walkCounts(2000, 1, root);
    let inHeavy = 0;
    for (const [t, c] of counts) if (heavySet.has(t)) inHeavy += c;
    expect(inHeavy).toBe(2000); // exp(-57) per walk for the light branch
    const uniform = walkCounts(2000, 0, root);
    expect(uniform.get(l) ?? 0).toBeGreaterThan(800); // ~half with alpha = 0
  });

  test("the same seed gives the same picks", () => {
    const run = (): number[] => {
      runScenario({ seed: 4242, window: 256, appends: 400, milestoneRate: 0.1 }, g);
      g.seed(123456789n);
      const picks: number[] = [];
      for (let i = 0; i < 20; i++) picks.push(g.walk(0.01, g.entryPoint(5)));
      for (let i = 0; i < 20; i++) picks.push(...g.selectTips(3));
      return picks;
    };
    const a = run();
    const b = run();
    expect(a).toEqual(b);
    g.seed(987654321n);
    const c: number[] = [];
    for (let i = 0; i < 20; i++) c.push(g.walk(0.01, g.entryPoint(5)));
    expect(c).not.toEqual(a.slice(0, 20));
  });

  test("entry point: milestone latest - depth, clamped; the oldest node without milestones", () => {
    g.reset({ window: 32 });
    let p = g.append([], 0);
    for (let i = 0; i < 10; i++) p = g.append([p], 0);
    expect(g.entryPoint(3)).toBe(0);
    const ms: number[] = [];
    for (let k = 1; k <= 10; k++) {
      p = g.append([p], 0);
      p = g.appendMilestone([p], 0, k);
      ms.push(p);
    }
    expect(g.entryPoint(0)).toBe(ms[9]);
    expect(g.entryPoint(3)).toBe(ms[6]);
    expect(g.entryPoint(1000)).toBe(g.milestoneSeq(g.latestMilestone - 9)!); // all 10 in window
    for (let i = 0; i < 20; i++) p = g.append([p], 0); // milestones 1..4 leave the window
    expect(g.inWindow(ms[3])).toBe(false);
    expect(g.entryPoint(1000)).toBe(ms[4]);
  });

  test("rejects bad alpha and entries outside the window", () => {
    g.reset({ window: 32 });
    g.append([], 0);
    expect(() => g.walk(-1, 0)).toThrow(/TIPS_ALPHA/);
    expect(() => g.walk(NaN, 0)).toThrow(/TIPS_ALPHA/);
    expect(() => g.walk(Infinity, 0)).toThrow(/TIPS_ALPHA/);
    expect(() => g.walk(0, 5)).toThrow(/TIPS_NOT_IN_WINDOW/);
    g.reset({ window: 32 });
    expect(() => g.walk(0, 0)).toThrow(/TIPS_EMPTY/);
  });
});

describe("confirmation confidence", () => {
  const g = new TangleGraph({ window: 512 });

  test("equals the brute-force share of the same walks whose tip has the target in its past cone", () => {
    for (let i = 0; i < 25; i++) {
      const { ref } = runScenario({ seed: 6000 + i, window: 256, appends: 250, milestoneRate: 0.04 }, g);
      const rand = mulberry32(i);
      const entry = g.entryPoint(2);
      const seqs = [...ref.nodes.keys()].filter((s) => s >= entry);
      for (let k = 0; k < 6; k++) {
        const target = seqs[Math.floor(rand() * seqs.length)];
        const alpha = [0, 0.05, 1][k % 3];
        const walks = 200;
        g.seed(i * 100 + k);
        const conf = g.confidence(target, walks, alpha, entry);
        if (ref.nodes.get(target)!.conf !== 0) {
          expect(conf).toBe(1);
          continue;
        }
        g.seed(i * 100 + k);
        const tips = new Uint32Array(walks);
        g.walkManyInto(tips, walks, alpha, entry);
        let hits = 0;
        for (const t of tips) if (t === target || ref.pastCone(ref.nodes.get(t)!.parents).has(target)) hits++;
        expect(Math.round(conf * walks)).toBe(hits);
      }
    }
  });

  test("converges to the exact probability", () => {
    g.reset({ window: 512 });
    const ref = new RefTangle(512);
    const rand = mulberry32(5);
    const add = (parents: number[]): number => {
      const s = g.append(parents, 0);
      ref.append(parents, TxFlags.SOLID);
      return s;
    };
    add([]);
    for (let i = 1; i < 80; i++) {
      const ps = new Set([Math.max(0, i - 1 - Math.floor(rand() * 8)), Math.max(0, i - 1 - Math.floor(rand() * 3))]);
      add([...ps]);
    }
    const alpha = 0.1;
    const dist = ref.walkDistribution(0, alpha);
    for (const target of [40, 60, 70]) {
      let p = 0;
      for (const [t, q] of dist) if (t === target || ref.pastCone(ref.nodes.get(t)!.parents).has(target)) p += q;
      const walks = 20000;
      const c = g.confidence(target, walks, alpha, 0);
      expect(Math.abs(c - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / walks) + 1e-9);
    }
  });

  test("confirmed transactions have confidence 1", () => {
    g.reset({ window: 64 });
    const a = g.append([], 0);
    const b = g.append([a], 0);
    g.appendMilestone([b], 0, 1);
    const c = g.append([a], 0);
    expect(g.confidence(a, 10, 0.1, 0)).toBe(1);
    expect(g.confidence(b, 10, 0.1, 0)).toBe(1);
    const conf = g.confidence(c, 1000, 0, 0);
    expect(conf).toBeGreaterThan(0);
    expect(conf).toBeLessThan(1);
  });
});
