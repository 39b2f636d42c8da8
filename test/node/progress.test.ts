/**
 * Not making progress (node/progress.ts): a stalled coordinator, and a ledger that stays put while
 * peers proved later milestones, are reported; a ledger that moves, or has nothing to follow, is not.
 */
import { ProgressWatch } from "../../node/progress";

function sources() {
  const s = { now: 0, index: 5, best: 0, coordinator: undefined as string | undefined };
  const watch = new ProgressWatch({ now: () => s.now, ledgerIndex: () => s.index, bestKnownMilestone: () => s.best, coordinator: { stalled: () => s.coordinator } }, 10_000);
  return { s, watch };
}

test("a ledger that does not move while peers proved later milestones is reported after followStallMs", () => {
  const { s, watch } = sources();
  s.best = 9;
  expect(watch.stalled()).toBeUndefined();
  s.now = 10_000;
  expect(watch.stalled()).toBeUndefined();
  s.now = 10_001;
  expect(watch.stalled()).toBe("not making progress: ledger at milestone 5 for 10 s while peers proved milestone 9");
  // It moves: the clock starts again.
  s.index = 6;
  expect(watch.stalled()).toBeUndefined();
  s.now = 20_000;
  expect(watch.stalled()).toBeUndefined();
  s.now = 20_002;
  expect(watch.stalled()).toMatch(/^not making progress: ledger at milestone 6 for 10 s/);
});

test("a ledger with nothing to follow is not stalled, however long it stays put", () => {
  const { s, watch } = sources();
  s.best = 5;
  s.now = 1_000_000;
  expect(watch.stalled()).toBeUndefined();
  // Peers ahead from now on: counted from the moment they are.
  s.best = 6;
  s.now = 1_005_000;
  expect(watch.stalled()).toBeUndefined();
});

test("a stalled coordinator is reported as such", () => {
  const { s, watch } = sources();
  s.coordinator = "no milestone issued for 2 s (interval 300 ms, ledger at 5)";
  expect(watch.stalled()).toBe("not making progress: no milestone issued for 2 s (interval 300 ms, ledger at 5)");
});
