/**
 * Which milestones to prune next: a pure function of what the node knows, so that the rules are
 * tested without a database (docs/storage.md, Pruning).
 *
 * - Never within the depth: milestones above `ledgerIndex - depth` keep everything.
 * - Never while unsynced (a syncing node walks cones it is still fetching) or diverged.
 * - Never above what solidification or white flag may still walk back to: the recent window holds
 *   transactions by arrival, and a milestone's cone arrived before it did, so a milestone whose own
 *   transaction is older than the window's first arrival has its whole cone out of the window.
 *   `walkFloor` is the highest index the node says is safe that way.
 * - In steps of at most `stepMilestones`, so a step's deletions are small and the node goes on.
 * - Over the target size (pages in use, --pruning-target-mib), deeper: down to MIN_PRUNING_DEPTH.
 */

/** The default depth: about a week of milestones at the network's interval. */
export function defaultPruningDepth(milestoneIntervalMs: number): number {
  const week = 7 * 24 * 3600 * 1000;
  return Math.max(1, Math.ceil(week / Math.max(1, milestoneIntervalMs)));
}

/** The fewest milestones kept, whatever the depth or target size say. */
export const MIN_PRUNING_DEPTH = 2;

/** Milestones pruned per step by default. */
export const PRUNING_STEP_MILESTONES = 4;

export interface PruningState {
  /** The confirmed ledger index. */
  ledgerIndex: number;
  /** The pruning index recorded now (0: nothing pruned yet). */
  pruningIndex: number;
  /** Milestones kept whole below the ledger index. */
  depth: number;
  /** Whether the node is synced with its peers and not diverged. */
  synced: boolean;
  /** The highest milestone index whose cone solidification and white flag no longer walk. */
  walkFloor: number;
  /** Milestones per step (default PRUNING_STEP_MILESTONES). */
  stepMilestones?: number;
  /** The database holds more pages than --pruning-target-mib allows: prune down to the minimum depth. */
  overTarget?: boolean;
}

/** The milestone index the next step prunes up to (inclusive), or undefined when there is nothing to do. */
export function nextPruningIndex(s: PruningState): number | undefined {
  if (!s.synced) return undefined;
  const depth = s.overTarget ? MIN_PRUNING_DEPTH : Math.max(MIN_PRUNING_DEPTH, Math.floor(s.depth));
  const step = Math.max(1, Math.floor(s.stepMilestones ?? PRUNING_STEP_MILESTONES));
  const limit = Math.min(s.ledgerIndex - depth, s.walkFloor);
  if (limit <= s.pruningIndex) return undefined;
  return Math.min(limit, s.pruningIndex + step);
}
