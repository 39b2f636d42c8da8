/**
 * Who proposes a milestone, and when a round gives way to the next (docs/committee.md).
 *
 * The members are numbered in the committee's order (the genesis's `committee.members`, then each
 * committee change's list). The proposer of index i in round r is member (i + r) mod n. Round r of
 * index i is due `intervalMs + r × roundTimeoutMs` after milestone i - 1 was applied (round 0 once
 * the milestone interval has passed), and lasts until the next is due. A member whose turn it is
 * proposes once per round; the others sign what they can check. So a proposer that is down costs one round timeout,
 * and a committee with fewer than k members up produces nothing, whatever the round.
 *
 * Pure: no clock, no I/O. Times are milliseconds on one clock (the caller's).
 */

export interface RoundTiming {
  /** The network's milestone interval (genesis `milestoneIntervalMs`). */
  intervalMs: number;
  /** How long a round waits for a milestone before the next member proposes. */
  roundTimeoutMs: number;
}

/** A round's length unless configured: four milestone intervals, at least a second. */
export function defaultRoundTimeoutMs(intervalMs: number): number {
  return Math.max(1000, 4 * intervalMs);
}

/**
 * How recently a member must have been seen signing to count as reachable: three rounds (a live
 * member proposes, or announces what it signed, at least once a round once it signed at an index)
 * and at least five intervals and 3 s.
 */
export function reachableWindowMs(t: RoundTiming): number {
  return Math.max(3 * t.roundTimeoutMs, 5 * t.intervalMs, 3000);
}

/** Member (index + round) mod n: the proposer of `index` in `round`. */
export function proposerOf(index: number, round: number, members: number): number {
  if (!Number.isSafeInteger(index) || index < 1) throw new RangeError(`milestone index ${index} is not a positive integer`);
  if (!Number.isSafeInteger(round) || round < 0) throw new RangeError(`round ${round} is not a non-negative integer`);
  if (!Number.isSafeInteger(members) || members < 1) throw new RangeError(`a committee of ${members} members`);
  return (index + round) % members;
}

/**
 * The round of the next index at `nowMs`, when the previous milestone was applied at `sinceMs`:
 * 0 until round 1 is due, then one more per round timeout. A clock that went back is round 0.
 */
export function roundAt(nowMs: number, sinceMs: number, t: RoundTiming): number {
  const late = nowMs - sinceMs - t.intervalMs;
  if (!(late >= t.roundTimeoutMs)) return 0;
  return Math.floor(late / t.roundTimeoutMs);
}

/** When `round` of the next index is due: `intervalMs + round × roundTimeoutMs` after `sinceMs`. */
export function roundDueMs(round: number, sinceMs: number, t: RoundTiming): number {
  return sinceMs + t.intervalMs + round * t.roundTimeoutMs;
}

/**
 * When a member proposes the next index: the first round, from the one under way at `nowMs`, in
 * which it is the proposer, and when that round is due (possibly already: then propose now).
 */
export function nextTurn(member: number, index: number, members: number, nowMs: number, sinceMs: number, t: RoundTiming): { round: number; atMs: number } {
  if (!Number.isSafeInteger(member) || member < 0 || member >= members) throw new RangeError(`member ${member} of a committee of ${members}`);
  const current = roundAt(nowMs, sinceMs, t);
  // Within n rounds every member has its turn once.
  const wait = (((member - proposerOf(index, current, members)) % members) + members) % members;
  const round = current + wait;
  return { round, atMs: roundDueMs(round, sinceMs, t) };
}
