/** Proposer order and round timing of committee milestones (node/committee/rounds.ts). */
import { nextTurn, proposerOf, roundAt, roundDueMs } from "../../../node/committee/rounds";

const t = { intervalMs: 250, roundTimeoutMs: 1000 };

test("the proposer of index i in round r is member (i + r) mod n", () => {
  expect(proposerOf(1, 0, 4)).toBe(1);
  expect(proposerOf(4, 0, 4)).toBe(0);
  expect(proposerOf(4, 1, 4)).toBe(1);
  expect(proposerOf(7, 3, 4)).toBe(2);
  // A committee of one: always member 0.
  for (let i = 1; i < 20; i++) for (let r = 0; r < 5; r++) expect(proposerOf(i, r, 1)).toBe(0);
  // Within n consecutive rounds of one index every member proposes exactly once.
  for (const n of [2, 3, 4, 7]) {
    for (let i = 1; i <= 10; i++) {
      const who = Array.from({ length: n }, (_, r) => proposerOf(i, r, n));
      expect(new Set(who).size).toBe(n);
    }
  }
});

test("nonsense arguments are refused, not rounded", () => {
  expect(() => proposerOf(0, 0, 4)).toThrow(RangeError);
  expect(() => proposerOf(1.5, 0, 4)).toThrow(RangeError);
  expect(() => proposerOf(1, -1, 4)).toThrow(RangeError);
  expect(() => proposerOf(1, 0, 0)).toThrow(RangeError);
  expect(() => nextTurn(4, 1, 4, 0, 0, t)).toThrow(RangeError);
});

test("round 0 lasts the interval plus one timeout; each later round one timeout", () => {
  const since = 10_000;
  expect(roundAt(since, since, t)).toBe(0);
  expect(roundAt(since + 250 + 999, since, t)).toBe(0);
  expect(roundAt(since + 250 + 1000, since, t)).toBe(1);
  expect(roundAt(since + 250 + 2999, since, t)).toBe(2);
  expect(roundAt(since + 250 + 3000, since, t)).toBe(3);
  // A clock that went back is round 0.
  expect(roundAt(since - 5000, since, t)).toBe(0);
  expect(roundDueMs(0, since, t)).toBe(since + 250);
  expect(roundDueMs(2, since, t)).toBe(since + 2250);
  for (let r = 0; r < 6; r++) expect(roundAt(roundDueMs(r, since, t), since, t)).toBe(r);
});

test("a member's next turn: its own round from the one under way, due when that round is", () => {
  const since = 0;
  // Index 5 in a committee of 4: round 0 is member 1's, round 1 member 2's, round 2 member 3's, round 3 member 0's.
  expect(nextTurn(1, 5, 4, 0, since, t)).toEqual({ round: 0, atMs: 250 });
  expect(nextTurn(2, 5, 4, 0, since, t)).toEqual({ round: 1, atMs: 1250 });
  expect(nextTurn(0, 5, 4, 0, since, t)).toEqual({ round: 3, atMs: 3250 });
  // In round 1 (member 2 proposing, member 1's round is past): member 1 waits for round 4.
  expect(nextTurn(1, 5, 4, 1300, since, t)).toEqual({ round: 4, atMs: 4250 });
  expect(nextTurn(2, 5, 4, 1300, since, t)).toEqual({ round: 1, atMs: 1250 });
  // The member whose turn it is in the round under way is due now (already).
  const now = 2400;
  const turn = nextTurn(proposerOf(5, roundAt(now, since, t), 4), 5, 4, now, since, t);
  expect(turn.atMs).toBeLessThanOrEqual(now);
});
