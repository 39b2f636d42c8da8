/**
 * Whether a committee network is confirming, from any node's point of view (docs/committee.md,
 * "Fewer than k members"): no milestone applied here for `stallAfterMs` while fewer than k
 * members were seen signing lately is a committee that cannot sign, and every node, member or not,
 * says so on /health and in its log (node/progress.ts). With k or more seen, a missing milestone is
 * the proposers' or the tangle's problem, reported by the coordinator's and sync's own checks.
 */
export interface CommitteeWatchSources {
  now(): number;
  /** The committee in force for the next milestone. */
  committee(): { members: readonly string[]; threshold: number };
  /** How many of `members` were seen signing lately (peering/committee-relay.ts). */
  reachable(members: readonly string[]): number;
}

export class CommitteeWatch {
  private lastMilestoneMs: number;

  constructor(
    private readonly s: CommitteeWatchSources,
    private readonly stallAfterMs: number,
  ) {
    this.lastMilestoneMs = s.now();
  }

  /** A milestone was applied here. */
  applied(): void {
    this.lastMilestoneMs = this.s.now();
  }

  /** Members seen lately, of the committee in force. */
  reachable(): number {
    return this.s.reachable(this.s.committee().members);
  }

  /** Why milestones stopped for want of members, or undefined. */
  stalled(): string | undefined {
    const { members, threshold } = this.s.committee();
    const since = this.s.now() - this.lastMilestoneMs;
    if (since <= this.stallAfterMs) return undefined;
    const up = this.s.reachable(members);
    if (up >= threshold) return undefined;
    return `committee: ${up} of ${members.length} members reachable, ${threshold} needed to sign; no milestone for ${Math.round(since / 1000)} s`;
  }
}
