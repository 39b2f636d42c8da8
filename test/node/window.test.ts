/**
 * node/window.ts: one numbering for the WASM graph and the window's index. Ids resolve to the
 * graph's seqs through RecentIndex, tips come back as ids, parents the graph no longer holds are
 * window boundaries, and "in the window" follows the graph's eviction.
 */
import { TangleGraph } from "../../core-wasm/src/tangle";
import { TangleWindow } from "../../node/window";

const id = (n: number) => n.toString(16).padStart(64, "0");

function arrive(w: TangleWindow, n: number, seq: number, parents: string[], milestone?: number): number {
  w.recent.add(id(n), { seq, receivedMs: seq });
  return w.append(id(n), parents, 1000 + seq, milestone);
}

test("the graph numbers its appends; the index keeps those numbers; a failed write leaves no hole in the graph", () => {
  const w = new TangleWindow(8, 1n);
  expect(arrive(w, 1, 100, [])).toBe(0);
  expect(arrive(w, 2, 101, [id(1)])).toBe(1);
  w.recent.add(id(3), { seq: 102, receivedMs: 0 }); // its write fails
  w.recent.delete(id(3));
  expect(arrive(w, 4, 103, [id(1), id(2)])).toBe(2);
  expect([w.seqOf(id(1)), w.seqOf(id(2)), w.seqOf(id(3)), w.seqOf(id(4))]).toEqual([0, 1, undefined, 2]);
  expect([w.idOf(0), w.idOf(1), w.idOf(2), w.idOf(3)]).toEqual([id(1), id(2), id(4), undefined]);
  expect(w.graph.parents(2).sort()).toEqual([0, 1]);
  expect(() => w.append(id(4), [], 0)).toThrow(/already in the window/);
});

test("the same appends by id on a plain TangleGraph give the same seqs, weights and tips", () => {
  const w = new TangleWindow(16, 7n);
  const g = new TangleGraph({ window: 16, seed: 7n });
  const parentsOf = (n: number) => (n === 0 ? [] : n < 3 ? [id(n - 1)] : [id(n - 1), id(n - 3)]);
  for (let n = 0; n < 12; n++) {
    expect(arrive(w, n, 500 + n, parentsOf(n), n === 6 ? 1 : undefined)).toBe(n === 6 ? g.appendMilestoneById(id(n), parentsOf(n), 1000 + 500 + n, 1) : g.appendById(id(n), parentsOf(n), 1000 + 500 + n));
  }
  for (let n = 0; n < 12; n++) expect(w.graph.weight(n)).toBe(g.weight(n));
  expect(w.graph.nonLazyTipCount).toBe(g.nonLazyTipCount);
  // Same seed, same appends: the same URTS pick, as ids.
  g.setClockMs(0);
  const expected = g.selectTips(4).map((seq) => g.idOf(seq)!);
  expect(expected.length).toBe(Math.min(4, g.nonLazyTipCount));
  expect(w.selectParents(4, 0, [])).toEqual([...expected].sort());
});

test("an id leaves the window with the graph's eviction; a parent outside it is a boundary", () => {
  const w = new TangleWindow(4, 1n);
  for (let n = 0; n < 4; n++) arrive(w, n, n, n ? [id(n - 1)] : []);
  expect(w.has(id(0))).toBe(true);
  arrive(w, 4, 4, [id(3), id(0)]);
  expect([w.has(id(0)), w.has(id(1)), w.has(id(4))]).toEqual([false, true, true]);
  expect(w.graph.parents(4)).toEqual([3]);
  expect(w.confidence(id(0), 10)).toBeUndefined();
  expect(w.hints(id(0))).toEqual({ confidence: 0, shouldReattach: true, shouldPromote: false });
  // Fallbacks top the parents up to two.
  expect(w.selectParents(2, 0, [id(99), id(98)]).length).toBe(2);
});
