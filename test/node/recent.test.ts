/**
 * node/recent.ts: the window's metadata by id (the node's one id -> number map): lookups,
 * confirmation marks, eviction by arrival, forgetting a failed write, and the graph seq each
 * arrival got in the WASM graph, found in both directions.
 */
import { RecentIndex } from "../../node/recent";

const id = (n: number) => n.toString(16).padStart(64, "0");

test("arrivals are found by id with the metadata they were stored with", () => {
  const r = new RecentIndex(8);
  r.add(id(1), { seq: 100, receivedMs: 1_700_000_000_123 });
  r.add(id(2), { seq: 101, receivedMs: 1_700_000_000_456, milestoneIndex: 7 });
  expect(r.get(id(1))).toEqual({ seq: 100, receivedMs: 1_700_000_000_123 });
  expect(r.get(id(2))).toEqual({ seq: 101, receivedMs: 1_700_000_000_456, milestoneIndex: 7 });
  expect(r.seqOf(id(2))).toBe(101);
  expect(r.has(id(3))).toBe(false);
  expect(r.get(id(3))).toBeUndefined();
  expect(r.size).toBe(2);
});

test("confirmation marks the entry, with a conflict reason where there was one", () => {
  const r = new RecentIndex(8);
  r.add(id(1), { seq: 5, receivedMs: 10 });
  r.add(id(2), { seq: 6, receivedMs: 11 });
  r.confirm(id(1), 3);
  r.confirm(id(2), 3, "INPUT_SPENT");
  r.confirm(id(9), 3); // unknown: nothing happens
  expect(r.get(id(1))).toEqual({ seq: 5, receivedMs: 10, confirmedBy: 3 });
  expect(r.get(id(2))).toEqual({ seq: 6, receivedMs: 11, confirmedBy: 3, conflict: "INPUT_SPENT" });
  expect(r.size).toBe(2);
});

test("an arrival `capacity` newer evicts the old one, conflict and all; capacity rounds up to a power of two", () => {
  const r = new RecentIndex(5);
  expect(r.capacity).toBe(8);
  for (let s = 0; s < 8; s++) r.add(id(s), { seq: s, receivedMs: s });
  r.confirm(id(0), 1, "X");
  expect(r.size).toBe(8);
  r.add(id(100), { seq: 8, receivedMs: 8 }); // slot of seq 0
  expect(r.has(id(0))).toBe(false);
  expect(r.get(id(100))).toEqual({ seq: 8, receivedMs: 8 });
  expect(r.get(id(1))).toEqual({ seq: 1, receivedMs: 1 });
  expect(r.size).toBe(8);
  for (let s = 9; s < 1000; s++) r.add(id(1000 + s), { seq: s, receivedMs: s });
  expect(r.size).toBe(8);
  expect(r.get(id(1999))).toEqual({ seq: 999, receivedMs: 999 });
  expect(r.has(id(1991))).toBe(false);
});

test("delete forgets an entry (a failed write) without touching its neighbours", () => {
  const r = new RecentIndex(4);
  r.add(id(1), { seq: 1, receivedMs: 1 });
  r.add(id(2), { seq: 2, receivedMs: 2 });
  r.delete(id(1));
  r.delete(id(7));
  expect(r.has(id(1))).toBe(false);
  expect(r.get(id(2))).toEqual({ seq: 2, receivedMs: 2 });
  expect(r.size).toBe(1);
  r.add(id(1), { seq: 5, receivedMs: 5 }); // slot of seq 1, free again
  expect(r.get(id(1))).toEqual({ seq: 5, receivedMs: 5 });
});

test("the graph seq of each arrival is found by id and the id by graph seq, only while both entries are current", () => {
  const r = new RecentIndex(4);
  r.add(id(1), { seq: 10, receivedMs: 1 });
  expect(r.graphSeqOf(id(1))).toBeUndefined(); // stored, not yet in the graph
  r.placed(id(1), 0);
  r.add(id(2), { seq: 11, receivedMs: 2 });
  r.placed(id(2), 1);
  expect([r.graphSeqOf(id(1)), r.graphSeqOf(id(2))]).toEqual([0, 1]);
  expect([r.idAtGraphSeq(0), r.idAtGraphSeq(1), r.idAtGraphSeq(2)]).toEqual([id(1), id(2), undefined]);
  expect(() => r.placed(id(9), 2)).toThrow(/not a recent arrival/);
  // A failed write (12) takes an arrival number but no graph seq; the next arrival gets graph seq 2.
  r.add(id(3), { seq: 12, receivedMs: 3 });
  r.delete(id(3));
  r.add(id(4), { seq: 13, receivedMs: 4 });
  r.placed(id(4), 2);
  expect(r.idAtGraphSeq(2)).toBe(id(4));
  // Arrival 14 takes the slot of arrival 10: id(1)'s graph seq 0 no longer names it.
  r.add(id(5), { seq: 14, receivedMs: 5 });
  expect([r.graphSeqOf(id(1)), r.idAtGraphSeq(0), r.graphSeqOf(id(5))]).toEqual([undefined, undefined, undefined]);
  r.placed(id(5), 3);
  // Graph seq 4 shares a slot with graph seq 0; it names id(6) once placed, never id(1).
  r.add(id(6), { seq: 15, receivedMs: 6 });
  r.placed(id(6), 4);
  expect([r.idAtGraphSeq(4), r.idAtGraphSeq(0), r.idAtGraphSeq(3)]).toEqual([id(6), undefined, id(5)]);
});
