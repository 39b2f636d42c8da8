/**
 * node/bounded.ts: the bounded map (the node's decoded-transaction cache) and bounded set (the
 * peering's recent-id filters) keep at most `limit` entries and forget the oldest insertion first.
 */
import { BoundedMap, BoundedSet } from "../../node/bounded";

test("a full map drops its oldest key for a new one; replacing a key evicts nothing and keeps its age", () => {
  const m = new BoundedMap<string, number>(3);
  m.set("a", 1);
  m.set("b", 2);
  m.set("c", 3);
  m.set("a", 10); // replaced in place: still the oldest, nothing evicted
  expect(m.size).toBe(3);
  expect(m.get("a")).toBe(10);
  expect(m.get("b")).toBe(2);
  m.set("d", 4); // evicts "a"
  expect(m.has("a")).toBe(false);
  expect([m.get("b"), m.get("c"), m.get("d")]).toEqual([2, 3, 4]);
  m.delete("c");
  m.set("e", 5); // room again: nothing evicted
  expect([m.has("b"), m.has("d"), m.has("e"), m.size]).toEqual([true, true, true, 3]);
});

test("a read does not refresh an entry (insertion order, not recency)", () => {
  const m = new BoundedMap<string, number>(2);
  m.set("x", 1);
  m.set("y", 2);
  expect(m.get("x")).toBe(1);
  m.set("z", 3);
  expect(m.has("x")).toBe(false);
  expect(m.has("y")).toBe(true);
});

test("a full set forgets its oldest member; re-adding a member keeps its age", () => {
  const s = new BoundedSet(2);
  s.add("p");
  s.add("q");
  s.add("p");
  expect(s.size).toBe(2);
  s.add("r"); // evicts "p", the oldest
  expect([s.has("p"), s.has("q"), s.has("r")]).toEqual([false, true, true]);
  s.delete("q");
  expect(s.size).toBe(1);
});

test("the limit must be a positive integer", () => {
  expect(() => new BoundedMap(0)).toThrow(RangeError);
  expect(() => new BoundedSet(1.5)).toThrow(RangeError);
});

test("with a weight bound, a new entry drops the oldest until the summed weight fits; replacing and deleting keep the sum exact", () => {
  const m = new BoundedMap<string, number>(100, { maxWeight: 10, weight: (v) => v });
  m.set("a", 4);
  m.set("b", 4);
  expect(m.weight).toBe(8);
  m.set("c", 5); // 13 > 10: "a" goes, 9 fits
  expect([m.has("a"), m.has("b"), m.has("c"), m.weight]).toEqual([false, true, true, 9]);
  m.set("b", 1); // replaced in place: weight 6, nothing evicted
  expect([m.size, m.weight]).toEqual([2, 6]);
  m.set("d", 9); // 15 > 10: "b" goes (11 still > 10), then "c" (9)
  expect([m.has("b"), m.has("c"), m.has("d"), m.weight]).toEqual([false, false, true, 9]);
  m.delete("d");
  m.delete("d"); // deleting twice takes nothing twice
  expect([m.size, m.weight]).toEqual([0, 0]);
  m.set("huge", 50); // heavier than the bound: kept, alone
  expect([m.size, m.weight]).toEqual([1, 50]);
  m.set("e", 1);
  expect([m.has("huge"), m.has("e"), m.weight]).toEqual([false, true, 1]);
  expect(() => new BoundedMap(1, { maxWeight: 0, weight: () => 1 })).toThrow(RangeError);
});
