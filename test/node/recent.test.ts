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
