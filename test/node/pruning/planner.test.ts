/** The pruning planner (node/pruning/planner.ts): pure rules, checked against a brute-force reading of them. */
import { defaultPruningDepth, MIN_PRUNING_DEPTH, nextPruningIndex } from "../../../node/pruning/planner";

test("never within the depth, never above the walk floor, never while unsynced, in steps", () => {
  const base = { ledgerIndex: 100, pruningIndex: 0, depth: 10, synced: true, walkFloor: 1000, stepMilestones: 4 };
  expect(nextPruningIndex(base)).toBe(4);
  expect(nextPruningIndex({ ...base, pruningIndex: 88 })).toBe(90);
  expect(nextPruningIndex({ ...base, pruningIndex: 90 })).toBeUndefined();
  expect(nextPruningIndex({ ...base, walkFloor: 2 })).toBe(2);
  expect(nextPruningIndex({ ...base, walkFloor: 0 })).toBeUndefined();
  expect(nextPruningIndex({ ...base, synced: false })).toBeUndefined();
  // Over the target size: down to the minimum depth, still in steps and under the walk floor.
  expect(nextPruningIndex({ ...base, pruningIndex: 90, overTarget: true })).toBe(94);
  expect(nextPruningIndex({ ...base, pruningIndex: 97, overTarget: true })).toBe(100 - MIN_PRUNING_DEPTH);
  expect(nextPruningIndex({ ...base, pruningIndex: 90, overTarget: true, walkFloor: 90 })).toBeUndefined();
  // A depth below the minimum counts as the minimum.
  expect(nextPruningIndex({ ...base, depth: 0, pruningIndex: 97 })).toBe(100 - MIN_PRUNING_DEPTH);
});

test("every answer obeys every rule (exhaustive over small states)", () => {
  for (let ledgerIndex = 0; ledgerIndex <= 12; ledgerIndex++)
    for (let pruningIndex = 0; pruningIndex <= ledgerIndex; pruningIndex++)
      for (let depth = 0; depth <= 6; depth++)
        for (let walkFloor = 0; walkFloor <= 12; walkFloor++)
          for (const stepMilestones of [1, 3]) {
            const next = nextPruningIndex({ ledgerIndex, pruningIndex, depth, synced: true, walkFloor, stepMilestones });
            const limit = Math.min(ledgerIndex - Math.max(depth, MIN_PRUNING_DEPTH), walkFloor);
            if (limit > pruningIndex) expect(next).toBe(Math.min(limit, pruningIndex + stepMilestones));
            else expect(next).toBeUndefined();
          }
});

test("the default depth keeps a week of milestones", () => {
  expect(defaultPruningDepth(10_000)).toBe(60_480);
  expect(defaultPruningDepth(1_000)).toBe(604_800);
});
