/**
 * The WASM tangle window (core-wasm/src/tangle.ts): appends, parent/approver links, stable error
 * codes, derived flags, INVALID propagation, a sliding window with bounded memory, sequence numbers
 * wrapping at 2^32, the id layer; white-flag cone confirmation; cumulative weights exactly equal to
 * a brute-force reference over thousands of seeded random DAGs (with checkpoints, stranded chains,
 * the credit horizon and skipped milestones), with upkeep that stays local; TIP-3 cone roots
 * (YMRSI/OMRSI) against their from-scratch definition.
 */
import { TangleGraph, TangleGraphError, TxFlags } from "../../core-wasm/src/tangle";
import { instantiateCore } from "../../core-wasm/src/module";
import { runScenario } from "./_scenario";
import { mulberry32, RefTangle } from "./_tangle-reference";

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof TangleGraphError) return e.code;
    throw e;
  }
  throw new Error("expected a TangleGraphError");
}

describe("tangle graph: structure", () => {
  const g = new TangleGraph({ window: 64 });
  beforeEach(() => g.reset({ window: 64 }));

  test("appends get consecutive seqs; parents and approvers are linked both ways", () => {
    const a = g.append([], 100);
    const b = g.append([a], 101);
    const c = g.append([a], 102);
    const d = g.append([b, c], 103, TxFlags.SOLID | 0x100);
    expect([a, b, c, d]).toEqual([0, 1, 2, 3]);
    expect(g.parents(d)).toEqual([b, c]);
    expect(g.approvers(a)).toEqual([c, b]); // newest first
    expect(g.approvers(d)).toEqual([]);
    expect(g.childCount(a)).toBe(2);
    expect(g.timestamp(c)).toBe(102);
    expect(g.flags(d)).toBe(TxFlags.SOLID | 0x100);
    expect(g.size).toBe(4);
    expect(g.nextSeq).toBe(4);
  });

  test("rejects bad input with stable codes", () => {
    const a = g.append([], 0);
    const b = g.append([a], 0);
    expect(codeOf(() => g.append([a, a], 0))).toBe("GRAPH_PARENT_DUPLICATE");
    expect(codeOf(() => g.append([b + 1], 0))).toBe("GRAPH_PARENT_AHEAD");
    expect(() => g.append([0, 1, 2, 3, 4, 5, 6, 7, 8], 0)).toThrow(RangeError);
    const core = instantiateCore().exports;
    expect(core.graph_append(0, 0, 0)).toBe(-21); // not initialised
    expect(core.graph_init(100, 0, 0)).toBe(-20); // not a power of two
    expect(core.graph_init(64, 65, 0)).toBe(-20); // window above capacity
    expect(core.graph_init(64, 0, 0)).toBe(0);
    expect(core.graph_append(9, 0, 0)).toBe(-22);
    expect(codeOf(() => g.appendMilestone([b], 0, 0))).toBe("GRAPH_MILESTONE_INDEX");
    g.appendMilestone([b], 0, 5);
    expect(codeOf(() => g.appendMilestone([b], 0, 5))).toBe("GRAPH_MILESTONE_INDEX");
    expect(codeOf(() => g.appendMilestone([b], 0, 7))).toBe("GRAPH_MILESTONE_INDEX"); // 5 in window
    expect(codeOf(() => g.flags(1000))).toBe("GRAPH_NOT_IN_WINDOW");
  });

  test("derived flags cannot be set or cleared by callers", () => {
    const a = g.append([], 0, TxFlags.SOLID | TxFlags.CONFIRMED | TxFlags.MILESTONE);
    expect(g.flags(a)).toBe(TxFlags.SOLID);
    const m = g.appendMilestone([a], 0, 1);
    expect(g.flags(m) & TxFlags.MILESTONE).toBeTruthy();
    g.setFlags(m, TxFlags.CONFLICTING, TxFlags.MILESTONE | TxFlags.CONFIRMED);
    expect(g.flags(m)).toBe(TxFlags.SOLID | TxFlags.CONFIRMED | TxFlags.MILESTONE | TxFlags.CONFLICTING);
  });

  test("INVALID propagates to descendants as INVALID_CONE", () => {
    const a = g.append([], 0, TxFlags.SOLID | TxFlags.INVALID);
    const b = g.append([a], 0);
    const c = g.append([b], 0);
    const d = g.append([], 0);
    expect(g.flags(b) & TxFlags.INVALID_CONE).toBeTruthy();
    expect(g.flags(c) & TxFlags.INVALID_CONE).toBeTruthy();
    expect(g.flags(d) & TxFlags.INVALID_CONE).toBe(0);
  });

  test("the window slides: memory stays bounded and old seqs leave", () => {
    g.reset({ window: 48, capacity: 64 });
    const before = (g as unknown as { memory: WebAssembly.Memory }).memory.buffer.byteLength;
    let prev: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const s = g.append(prev, i);
      prev = [s];
      if (i % 100 === 0) g.appendMilestone(prev, i, g.latestMilestone + 1);
    }
    expect(g.size).toBe(48);
    const next = g.nextSeq;
    expect(g.inWindow(next - 48)).toBe(true);
    expect(g.inWindow(next - 49)).toBe(false);
    expect(g.inWindow(next)).toBe(false);
    // A chain: the oldest in-window node has every later one in its future cone.
    expect(g.weight(next - 48)).toBe(48);
    const after = (g as unknown as { memory: WebAssembly.Memory }).memory.buffer.byteLength;
    expect(after).toBe(before);
  });

  test("sequence numbers wrap at 2^32", () => {
    const first = 2 ** 32 - 40;
    g.reset({ window: 32, firstSeq: first });
    let prev: number[] = [];
    const seqs: number[] = [];
    for (let i = 0; i < 50; i++) {
      const s = g.append(prev, i);
      seqs.push(s);
      prev = [s];
    }
    expect(seqs[0]).toBe(first);
    expect(seqs[40]).toBe(0);
    expect(g.parents(0)).toEqual([2 ** 32 - 1]);
    expect(g.approvers(2 ** 32 - 1)).toEqual([0]);
    expect(g.inWindow(2 ** 32 - 22)).toBe(true);
    expect(g.inWindow(2 ** 32 - 23)).toBe(false);
    expect(g.weight(2 ** 32 - 22)).toBe(32);
    for (let i = 50; i < 100; i++) prev = [g.append(prev, i)];
    expect(g.nextSeq).toBe(60);
    expect(g.inWindow(59)).toBe(true);
    expect(g.inWindow(28)).toBe(true);
    expect(g.inWindow(27)).toBe(false);
    expect(g.inWindow(2 ** 32 - 1)).toBe(false);
    expect(g.weight(28)).toBe(32);
  });

  test("id layer maps ids to seqs for the window only", () => {
    g.reset({ window: 16 });
    g.appendById("genesis", [], 0);
    for (let i = 1; i < 40; i++) g.appendById(`tx${i}`, [i === 1 ? "genesis" : `tx${i - 1}`, "unknown"], i);
    expect(g.seqOf("tx39")).toBe(39);
    expect(g.seqOf("tx24")).toBe(24);
    expect(g.seqOf("tx23")).toBeUndefined();
    expect(g.seqOf("genesis")).toBeUndefined();
    expect(g.idOf(30)).toBe("tx30");
    expect(g.parents(30)).toEqual([29]); // unknown parent dropped as a boundary
    expect(() => g.appendById("tx39", [], 0)).toThrow(/already/);
  });
});

describe("tangle graph: confirmation (white flag cone)", () => {
  const g = new TangleGraph({ window: 64 });

  test("a milestone confirms exactly its unconfirmed past cone", () => {
    g.reset({ window: 64 });
    const a = g.append([], 0);
    const b = g.append([a], 0);
    const c = g.append([a], 0);
    const m1 = g.appendMilestone([b], 0, 1);
    expect([a, b, m1].map((s) => g.confirmedIndex(s))).toEqual([1, 1, 1]);
    expect(g.confirmedIndex(c)).toBe(0);
    const d = g.append([c, m1], 0);
    const m2 = g.appendMilestone([m1, d], 0, 2);
    expect([a, b, m1, c, d, m2].map((s) => g.confirmedIndex(s))).toEqual([1, 1, 1, 2, 2, 2]);
    expect(g.milestoneSeq(1)).toBe(m1);
    expect(g.milestoneSeq(3)).toBeUndefined();
    expect(g.latestMilestone).toBe(2);
    expect(g.milestoneRef(d)).toBe(1);
  });
});

describe("cumulative weight: exact against a brute-force reference", () => {
  // Thousands of seeded random DAGs: diamonds (parents among the last few), 8-parent fan-in,
  // parents anywhere in the window or already evicted, roots without parents, milestones at
  // random points (some skipping their predecessor), windows smaller than the ring. Small
  // windows also scale the weight-checkpoint policy down to one designation per append or so.
  const g = new TangleGraph({ window: 64 });

  function checkAll(seed: number, window: number, capacity: number, appends: number,
    milestoneRate: number, skipRate: number, checkpoints?: [number, number]): void {
    runScenario(
      {
        seed,
        window,
        capacity,
        appends,
        milestoneRate,
        skipRate,
        checkpoints,
        after(graph, ref, seq) {
          // Plain comparisons here: jest's expect() costs more than the whole check.
          if (graph.size !== ref.nodes.size) throw new Error(`seed ${seed}: size ${graph.size}`);
          for (const [s, n] of ref.nodes) {
            const w = graph.weight(s);
            const c = graph.confirmedIndex(s);
            if (w !== ref.weight(s) || c !== n.conf) {
              throw new Error(
                `seed ${seed} after seq ${seq}: node ${s} weight ${w} (want ${ref.weight(s)}),` +
                  ` confirmed ${c} (want ${n.conf})`,
              );
            }
          }
        },
      },
      g,
    );
  }

  test("3000 random DAGs, checked after every append", () => {
    const rand = mulberry32(12345);
    for (let i = 0; i < 3000; i++) {
      const window = 8 + Math.floor(rand() * 40);
      let capacity = 16;
      while (capacity < window) capacity *= 2;
      if (rand() < 0.3) capacity *= 2;
      const appends = Math.floor(window * (0.5 + rand() * 2.5));
      const milestoneRate = [0, 0.05, 0.15, 0.4][i % 4];
      const skipRate = i % 8 === 3 ? 0.3 : 0.02;
      // Every third DAG with a random checkpoint policy (interval, lag in 1..8).
      const cp: [number, number] | undefined =
        i % 3 === 0 ? [1 + Math.floor(rand() * 8), 1 + Math.floor(rand() * 8)] : undefined;
      checkAll(1000 + i, window, capacity, appends, milestoneRate, skipRate, cp);
    }
  });

  test("longer runs, with and without milestones, checkpoints designated throughout", () => {
    for (let i = 0; i < 20; i++) checkAll(900000 + i, 64, 64, 600, i % 2 ? 0.08 : 0, 0);
    for (let i = 0; i < 10; i++) checkAll(910000 + i, 128, 128, 800, 0, 0, [4, 16]);
  });

  test("a checkpoint on almost every append: the checkpoint ring wraps many times", () => {
    for (let i = 0; i < 30; i++) checkAll(920000 + i, 16, 16, 1500, 0.1, 0, [1, 1]);
  });

  for (const milestones of [true, false]) {
    test(`upkeep stays local, not the window (${milestones ? "with" : "without"} milestones)`, () => {
      g.reset({ window: 4096 });
      let ms = g.appendMilestone([], 0, 1);
      const recent: number[] = [ms];
      for (let i = 1; i <= 3000; i++) {
        const a = recent[recent.length - 1 - (i % Math.min(recent.length, 5))];
        const b = recent[recent.length - 1];
        const s = g.append(a === b ? [a] : [a, b], i);
        recent.push(s);
        if (milestones && i % 20 === 0) {
          ms = g.appendMilestone(ms === s ? [s] : [ms, s], i, g.latestMilestone + 1);
          recent.push(ms);
        }
      }
      const perAppend = g.weightVisits / g.size;
      expect(perAppend).toBeLessThan(60); // a full past-cone traversal would be ~1500 on average
      const oldest = g.nextSeq - g.size;
      expect(g.weight(oldest)).toBe(g.size); // everything descends from the first milestone
    });
  }

  test("a checkpoint chain stranded on a branch nobody approves any more is rebased; weights stay exact", () => {
    // A mixing tangle designates checkpoints; then its gateways go quiet and a new, separate chain
    // takes over: no new transaction holds the latest checkpoint, so designation stalls until the
    // chain is rebased and starts again on the live branch.
    const window = 512;
    g.reset({ window });
    const ref = new RefTangle(window);
    const rand = mulberry32(4242);
    const both = (parents: number[]) => {
      const a = g.append(parents, 0);
      const b = ref.append(parents, TxFlags.SOLID);
      if (a !== b) throw new Error(`seq ${a} vs ${b}`);
      return a;
    };
    const check = (seq: number) => {
      for (const [x] of ref.nodes) {
        if (g.weight(x) !== ref.weight(x)) throw new Error(`after ${seq}: node ${x} weight ${g.weight(x)}, want ${ref.weight(x)}`);
      }
    };
    const recent: number[] = [both([])];
    for (let i = 0; i < 400; i++) {
      const k = Math.min(recent.length, 6);
      const ps = [...new Set([recent[recent.length - 1 - Math.floor(rand() * k)], recent[recent.length - 1 - Math.floor(rand() * k)]])];
      recent.push(both(ps));
    }
    const before = g.weightRebases;
    let last = both([]); // the new branch's root: nothing of the old tangle in its past cone
    for (let i = 0; i < 700; i++) {
      last = both([last]);
      if (i % 7 === 0) check(last);
    }
    check(last);
    expect(g.weightRebases).toBeGreaterThan(before);
    // After the rebase the new chain designates checkpoints again: upkeep is local once more.
    const v0 = g.weightVisits;
    for (let i = 0; i < 100; i++) last = both([last]);
    check(last);
    expect((g.weightVisits - v0) / 100).toBeLessThan(64);
  });

  test("explicit credit stops at the horizon: bounded upkeep where checkpoints cannot help", () => {
    // No checkpoints at all (a policy that never designates one): every append credits its past
    // cone explicitly. A chain of 20,000 would cost up to 20,000 visits an append without the
    // horizon of 8,192.
    g.reset({ window: 65536 });
    g.setWeightCheckpointPolicy(2 ** 31, 1);
    let last = g.append([], 0);
    const chain: number[] = [last];
    let worst = 0;
    for (let i = 0; i < 20000; i++) {
      const v = g.weightVisits;
      last = g.append([last], 0);
      chain.push(last);
      worst = Math.max(worst, g.weightVisits - v);
    }
    expect(worst).toBe(8191); // the strict past cone inside the horizon
    // Inside the horizon weights are exact: 1 + the later nodes of the chain.
    for (let k = 1; k <= 8000; k += 397) expect(g.weight(chain[chain.length - k])).toBe(k);
  });

  test("milestones that skip their predecessor do not disturb weights", () => {
    for (let i = 0; i < 20; i++) checkAll(700000 + i, 32, 32, 400, 0.2, 0.5);
  });
});

describe("TIP-3 cone roots (YMRSI/OMRSI)", () => {
  const g = new TangleGraph({ window: 256 });

  test("match the from-scratch definition on random tangles (no eviction)", () => {
    const rand = mulberry32(777);
    for (let i = 0; i < 400; i++) {
      const appends = 20 + Math.floor(rand() * 100);
      runScenario(
        {
          seed: 50000 + i,
          window: 256,
          appends,
          milestoneRate: 0.12,
          skipRate: 0.1,
          after(graph, ref) {
            for (const s of ref.nodes.keys()) {
              const want = ref.roots(s);
              const got = graph.coneRoots(s);
              if (got.ymrsi !== want.ymrsi || got.omrsi !== want.omrsi) {
                throw new Error(`seed ${50000 + i}: roots of ${s} ${JSON.stringify(got)} want ${JSON.stringify(want)}`);
              }
            }
          },
        },
        g,
      );
    }
  });

  test("parents outside the window count as roots at the boundary index", () => {
    g.reset({ window: 16 });
    let prev = g.append([], 0);
    for (let i = 1; i <= 40; i++) {
      prev = i % 4 === 0 ? g.appendMilestone([prev], i, i / 4) : g.append([prev], i);
    }
    // Confirmed nodes confirmed by milestones 1..6 have left; the boundary rose to their index.
    const oldest = g.nextSeq - 16;
    const conf = g.confirmedIndex(oldest); // the node the next append evicts
    expect(conf).toBeGreaterThan(0);
    const late = g.append([oldest - 1], 99); // parent left the window
    expect(g.coneRoots(late)).toEqual({ ymrsi: conf, omrsi: conf });
    // Set explicitly (e.g. a snapshot index after a restart); evictions only ever raise it.
    g.setBoundaryIndex(20);
    expect(g.coneRoots(g.append([oldest - 3], 99))).toEqual({ ymrsi: 20, omrsi: 20 });
  });
});
