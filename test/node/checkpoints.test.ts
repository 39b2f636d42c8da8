/**
 * node/checkpoints.ts without a node: the planner (every tip covered, the milestone's slots kept,
 * the tree and its size bounded, deterministic), the sweeper over a real WASM window (every
 * unconfirmed tip found, lazy ones too, against a brute-force scan of the whole window), and the
 * driver (parents issued before their children, a level at once).
 */
import { TangleWindow } from "../../node/window";
import { CheckpointDriver, CheckpointPlan, CheckpointRef, planCheckpoints, TipSweeper } from "../../node/checkpoints";

const id = (n: number) => n.toString(16).padStart(64, "0");
const tipsOf = (n: number) => Array.from({ length: n }, (_, i) => id(i + 1));

/** The tips reachable from the plan's top through its checkpoints; checks the plan's shape on the way. */
function covered(plan: CheckpointPlan, slots: number, fanIn = 8): Set<string> {
  expect(plan.top.length).toBeLessThanOrEqual(slots);
  plan.checkpoints.forEach((c, k) => {
    expect(c.parents.length).toBeGreaterThanOrEqual(2);
    expect(c.parents.length).toBeLessThanOrEqual(fanIn);
    for (const p of c.parents) if ("checkpoint" in p) {
      expect(p.checkpoint).toBeLessThan(k); // issued before
      expect(plan.checkpoints[p.checkpoint].level).toBeLessThan(c.level);
    }
  });
  const seen = new Set<string>();
  const refs = new Set<number>();
  const walk = (r: CheckpointRef) => {
    if ("tip" in r) {
      expect(seen.has(r.tip)).toBe(false); // each tip referenced once
      seen.add(r.tip);
      return;
    }
    expect(refs.has(r.checkpoint)).toBe(false); // a tree: each checkpoint referenced once
    refs.add(r.checkpoint);
    plan.checkpoints[r.checkpoint].parents.forEach(walk);
  };
  plan.top.forEach(walk);
  expect(refs.size).toBe(plan.checkpoints.length); // none issued for nothing
  return seen;
}

describe("planCheckpoints", () => {
  test("tips that fit the milestone's slots need no checkpoint", () => {
    for (const n of [0, 1, 5, 7]) {
      const plan = planCheckpoints(tipsOf(n), { slots: 7 });
      expect(plan.checkpoints).toEqual([]);
      expect(plan.top).toEqual(tipsOf(n).map((tip) => ({ tip })));
      expect(plan.deferred).toEqual([]);
    }
  });

  test("every tip is covered, within the slots, by about (n - slots) / 7 checkpoints in log8 levels", () => {
    for (const slots of [1, 2, 6, 7]) {
      for (const n of [8, 9, 15, 16, 50, 57, 64, 65, 100, 520, 1000, 1700]) {
        const tips = tipsOf(n);
        const plan = planCheckpoints(tips, { slots });
        expect(plan.deferred).toEqual([]);
        expect([...covered(plan, slots)].sort()).toEqual(tips);
        const levels = Math.max(0, ...plan.checkpoints.map((c) => c.level));
        // One checkpoint merges 8 refs into one; at most one group per level merges fewer.
        const ideal = Math.ceil((n - slots) / 7);
        expect(plan.checkpoints.length).toBeGreaterThanOrEqual(ideal);
        expect(plan.checkpoints.length).toBeLessThanOrEqual(ideal + levels);
        expect(levels).toBeLessThanOrEqual(Math.ceil(Math.log(n / slots) / Math.log(8)) + 1);
      }
    }
  });

  test("a 520-tip burst: 74 checkpoints in 3 levels for a milestone with 7 slots", () => {
    const plan = planCheckpoints(tipsOf(520), { slots: 7 });
    expect(plan.checkpoints.length).toBe(74); // ⌈(520 - 7) / 7⌉
    expect(Math.max(...plan.checkpoints.map((c) => c.level))).toBe(3);
    expect(plan.top.length).toBeLessThanOrEqual(7);
  });

  test("a smaller fan-in keeps its bound", () => {
    const plan = planCheckpoints(tipsOf(300), { slots: 3, fanIn: 3 });
    expect([...covered(plan, 3, 3)].sort()).toEqual(tipsOf(300));
  });

  test("the checkpoints of one plan are bounded: the oldest tips go first, the newest wait", () => {
    for (const max of [0, 1, 10, 256]) {
      const tips = tipsOf(5000);
      const plan = planCheckpoints(tips, { slots: 7, maxCheckpoints: max });
      expect(plan.checkpoints.length).toBeLessThanOrEqual(max);
      const got = [...covered(plan, 7)].sort();
      expect(got).toEqual(tips.slice(0, got.length));
      expect(plan.deferred).toEqual(tips.slice(got.length));
      // Nearly the whole bound is used: at most one partial group per level is lost.
      expect(got.length).toBeGreaterThanOrEqual(7 + 7 * max - 7 * 4);
    }
    expect(planCheckpoints(tipsOf(5000), { slots: 7 }).checkpoints.length).toBe(256);
  });

  test("deterministic, duplicates ignored", () => {
    const tips = tipsOf(300);
    expect(planCheckpoints(tips, { slots: 5 })).toEqual(planCheckpoints([...tips], { slots: 5 }));
    expect(planCheckpoints([...tips, ...tips.slice(0, 50)], { slots: 5 })).toEqual(planCheckpoints(tips, { slots: 5 }));
  });

  test("bad options are refused by name", () => {
    expect(() => planCheckpoints([], { slots: 0 })).toThrow(/slots must be an integer in 1..7, got 0/);
    expect(() => planCheckpoints([], { slots: 8 })).toThrow(/slots/);
    expect(() => planCheckpoints([], { slots: 7, fanIn: 1 })).toThrow(/fanIn must be an integer in 2..8, got 1/);
    expect(() => planCheckpoints([], { slots: 7, maxCheckpoints: -1 })).toThrow(/maxCheckpoints/);
  });
});

describe("TipSweeper", () => {
  function arrive(w: TangleWindow, n: number, parents: string[], milestone?: number): void {
    w.recent.add(id(n), { seq: n, receivedMs: n });
    w.append(id(n), parents, 1000 + n, milestone);
  }
  /** Every unconfirmed transaction of the window without an approver: a scan of all of it. */
  function bruteForce(w: TangleWindow): string[] {
    const g = w.graph;
    const out: string[] = [];
    for (let k = 0; k < g.size; k++) {
      const seq = (g.nextSeq - g.size + k) >>> 0;
      if (g.inWindow(seq) && g.confirmedIndex(seq) === 0 && g.childCount(seq) === 0) out.push(w.idOf(seq)!);
    }
    return out;
  }

  test("a burst on the same two parents: every record is a tip to sweep, lazy ones too, until a milestone confirms it", () => {
    const w = new TangleWindow(4096, 1n);
    const sweeper = new TipSweeper(w);
    arrive(w, 1, []);
    arrive(w, 2, [id(1)], 1);
    arrive(w, 3, [id(2)]);
    // 520 records on the same two parents.
    for (let n = 100; n < 620; n++) arrive(w, n, [id(2), id(3)]);
    const burst = Array.from({ length: 520 }, (_, i) => id(100 + i));
    expect(sweeper.tips()).toEqual(burst);
    // Milestones that reference none of them: the records turn lazy under TIP-3, and stay swept.
    let prev = id(2);
    for (let m = 2; m <= 30; m++) {
      arrive(w, 1000 + m, [prev], m);
      prev = id(1000 + m);
    }
    w.graph.setClockMs(0);
    expect(w.hints(id(100)).shouldReattach).toBe(true); // lazy
    expect(sweeper.tips()).toEqual(burst); // the milestones themselves are confirmed
    // A milestone over seven of them: the others stay.
    arrive(w, 5000, [prev, ...burst.slice(0, 7)], 31);
    expect(sweeper.tips()).toEqual(burst.slice(7));
    expect(sweeper.tips()).toEqual(bruteForce(w));
  });

  test("after random appends and milestones, the sweep (from its cursor) finds what a scan of the whole window finds", () => {
    let state = 12345;
    const rnd = (k: number) => ((state = (state * 1103515245 + 12345) >>> 0) >>> 8) % k;
    const w = new TangleWindow(512, 3n);
    const sweeper = new TipSweeper(w);
    arrive(w, 1, []);
    const recent: number[] = [1];
    let index = 0;
    for (let n = 2; n < 3000; n++) {
      const parents = new Set<string>();
      const count = 1 + rnd(4);
      for (let k = 0; k < count; k++) parents.add(id(recent[Math.max(0, recent.length - 1 - rnd(60))]));
      if (rnd(40) === 0) {
        // A milestone over a few recent ones (some never get referenced: they stay unconfirmed).
        arrive(w, n, [...parents], ++index);
      } else arrive(w, n, [...parents]);
      recent.push(n);
      if (rnd(25) === 0) expect(sweeper.tips()).toEqual(bruteForce(w));
    }
    expect(sweeper.tips()).toEqual(bruteForce(w));
    expect(bruteForce(w).length).toBeGreaterThan(0);
  });
});

describe("CheckpointDriver", () => {
  test("issues the plan level by level, each checkpoint after its parents, a level at once; the milestone gets the top", async () => {
    const issued: string[][] = [];
    const known = new Set(tipsOf(520));
    let inFlight = 0;
    let maxInFlight = 0;
    let next = 10_000;
    const driver = new CheckpointDriver({
      tips: () => tipsOf(520),
      slots: 7,
      issue: async (parents) => {
        for (const p of parents) expect(known.has(p)).toBe(true); // parents stored before
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 1));
        inFlight--;
        issued.push(parents);
        const cid = id(next++);
        known.add(cid);
        return cid;
      },
    });
    const r = await driver.sweep();
    expect(r).toMatchObject({ issued: 74, tips: 520, deferred: 0, levels: 3 });
    expect(issued.length).toBe(74);
    expect(maxInFlight).toBe(65); // the first level at once
    // Every tip is in the cone of the top.
    const children = new Map<string, string[]>();
    issued.forEach((ps, k) => children.set(id(10_000 + k), ps));
    const reach = new Set<string>();
    const walk = (x: string) => (reach.add(x), (children.get(x) ?? []).forEach(walk));
    r.top.forEach(walk);
    for (const t of tipsOf(520)) expect(reach.has(t)).toBe(true);
    expect(driver.totals).toEqual({ sweeps: 1, issued: 74, deferred: 0 });
  });

  test("a failed checkpoint fails the sweep", async () => {
    const driver = new CheckpointDriver({ tips: () => tipsOf(20), slots: 7, issue: async () => Promise.reject(new Error("refused")) });
    await expect(driver.sweep()).rejects.toThrow("refused");
  });
});
