/**
 * Checkpoints (issue 16): right before the issuing node builds a milestone, it sweeps every
 * unconfirmed tip of its window into checkpoint transactions, so that the milestone's past cone
 * holds every transaction the node has accepted, whatever the traffic looked like (a burst on the
 * same two parents leaves hundreds of parallel tips; URTS and a milestone's seven tip slots reach
 * only a few of them before TIP-3 calls the rest lazy).
 *
 * Three parts, each testable alone (docs/checkpoints.md), and the node's use of them:
 * - `planCheckpoints` (pure): which checkpoints to issue for a list of tips, as a tree: each
 *   checkpoint references up to `fanIn` (8) tips or checkpoints of the level below, until at most
 *   `slots` references are left for the milestone. Depth grows with log8 of the tips (a chain of
 *   checkpoints, each with 7 tips and the previous one, would make every checkpoint wait for its
 *   predecessor's durable write: 75 writes in a row for a 520-tip burst, not 3).
 * - `TipSweeper`: the tips to sweep, read from the WASM window: unconfirmed, no approver, not
 *   flagged bad, oldest first, whatever their TIP-3 score (lazy ones too: see docs/checkpoints.md).
 * - `CheckpointDriver`: plans and issues one sweep through an injected `issue(parents)` (the node
 *   builds, signs, stamps and submits a checkpoint transaction there), level by level, the
 *   checkpoints of one level at once; resolves with what the milestone must reference.
 * - `MilestoneCheckpoints`: the three on a node, with checkpoint transactions signed by the
 *   issuing member's key (coordinator.ts and committee/driver.ts call its `sweep`).
 */
import { attach, signTransaction, SignedEssence, stampSync } from "../client/protocol/build";
import { fromHex } from "../client/protocol/bytes";
import type { KeyPair } from "../client/protocol/keys";
import { PROTOCOL_VERSION } from "../client/protocol/limits";
import type { CheckpointPayload } from "../client/protocol/payloads/checkpoint";
import { TxFlags } from "../core-wasm/src/tangle";
import { requiredDifficulty } from "./validation/pipeline";
import type { TangleNode } from "./tangle-node";
import type { TangleWindow } from "./window";

/** Parents of a transaction (protocol: 2..8). */
export const CHECKPOINT_FAN_IN = 8;
/**
 * Checkpoints one sweep issues at most: up to 7 * 256 + 7 = 1,799 tips per milestone (a few
 * fewer where a level ends in a partial group). Past that (a flood of parallel tips), the oldest
 * tips go first and the rest wait for the next milestone.
 */
export const MAX_CHECKPOINTS_PER_SWEEP = 256;

/** A parent of a planned checkpoint or of the milestone: a swept tip, or an earlier checkpoint of the plan (its index). */
export type CheckpointRef = { tip: string } | { checkpoint: number };

export interface PlannedCheckpoint {
  /** 1 for checkpoints over tips only; a checkpoint references only refs of lower levels. */
  level: number;
  /** 2..fanIn parents. */
  parents: CheckpointRef[];
}

export interface CheckpointPlan {
  /** In issue order: levels ascending; a checkpoint's parents come earlier in this list (or are tips). */
  checkpoints: PlannedCheckpoint[];
  /** What the milestone references (at most `slots`): checkpoints and tips that needed none. */
  top: CheckpointRef[];
  /** Tips left for the next sweep (past `maxCheckpoints`): the newest ones. */
  deferred: string[];
}

export interface PlanOptions {
  /** References the milestone has room for besides the previous milestone (1..7). */
  slots: number;
  /** Parents per checkpoint (2..8, default 8). */
  fanIn?: number;
  /** Checkpoints in one plan at most (default MAX_CHECKPOINTS_PER_SWEEP). */
  maxCheckpoints?: number;
}

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${v}`);
}

/** The tree for exactly these tips (no bound on its size). */
function planTree(tips: readonly string[], slots: number, fanIn: number): { checkpoints: PlannedCheckpoint[]; top: CheckpointRef[] } {
  const checkpoints: PlannedCheckpoint[] = [];
  let items: CheckpointRef[] = tips.map((tip) => ({ tip }));
  for (let level = 1; items.length > slots; level++) {
    // Full groups of fanIn from the front, each replacing fanIn refs by one, until the refs left
    // fit the milestone's slots; the rest of this level is carried up unchanged. A group of one
    // is carried too: a checkpoint needs two parents, and one ref needs no checkpoint.
    const next: CheckpointRef[] = [];
    let i = 0;
    while (i < items.length && next.length + (items.length - i) > slots) {
      const group = items.slice(i, i + fanIn);
      i += group.length;
      if (group.length === 1) next.push(group[0]);
      else {
        next.push({ checkpoint: checkpoints.length });
        checkpoints.push({ level, parents: group });
      }
    }
    next.push(...items.slice(i));
    items = next;
  }
  return { checkpoints, top: items };
}

/**
 * The checkpoints that bring `tips` (oldest or most at risk first; duplicates ignored) into at
 * most `slots` references. Deterministic: the same tips in the same order give the same plan.
 * Each checkpoint merges up to `fanIn` refs into one, so a plan over n tips has about
 * (n - slots) / (fanIn - 1) checkpoints and ⌈log_fanIn(n / slots)⌉ levels.
 */
export function planCheckpoints(tips: readonly string[], opts: PlanOptions): CheckpointPlan {
  const fanIn = opts.fanIn ?? CHECKPOINT_FAN_IN;
  const max = opts.maxCheckpoints ?? MAX_CHECKPOINTS_PER_SWEEP;
  checkInt("slots", opts.slots, 1, 7);
  checkInt("fanIn", fanIn, 2, 8);
  checkInt("maxCheckpoints", max, 0, 1 << 20);
  const unique = [...new Set(tips)];
  // Each checkpoint removes fanIn - 1 refs: past `take` tips the plan could not stay within max.
  let take = Math.min(unique.length, opts.slots + max * (fanIn - 1));
  for (;;) {
    const plan = planTree(unique.slice(0, take), opts.slots, fanIn);
    // Groups left partial at some level cost a checkpoint more than the estimate: take fewer.
    if (plan.checkpoints.length <= max) return { ...plan, deferred: unique.slice(take) };
    take -= plan.checkpoints.length - max;
  }
}

/**
 * Reads the tips to sweep from the window: every transaction the graph holds that no milestone
 * has confirmed, that has no approver in the window, and that is not flagged bad (INVALID or
 * INVALID_CONE; CONFLICTING is only set on confirmed ones). Every unconfirmed transaction in the
 * window has such a tip in its future cone (its approvers are unconfirmed too), so a milestone
 * over all of them confirms the whole unconfirmed window.
 *
 * Each sweep starts at the oldest transaction the previous sweep found unconfirmed: everything
 * older was confirmed then and stays so, so a sweep costs the arrivals since about the last
 * milestone, not the whole window.
 */
export class TipSweeper {
  private cursor?: number;

  constructor(private readonly window: TangleWindow) {}

  /** Unconfirmed tips, oldest first. */
  tips(): string[] {
    const g = this.window.graph;
    const n = g.size;
    const end = g.nextSeq;
    const oldest = (end - n) >>> 0;
    // The cursor is valid while it lies inside the window (arrival order wraps at 2^32).
    let seq = this.cursor !== undefined && ((end - this.cursor) >>> 0) <= n ? this.cursor : oldest;
    let firstUnconfirmed: number | undefined;
    const out: string[] = [];
    const bad = TxFlags.INVALID | TxFlags.INVALID_CONE;
    for (; seq !== end; seq = (seq + 1) >>> 0) {
      if (!g.inWindow(seq) || g.confirmedIndex(seq) !== 0) continue;
      firstUnconfirmed ??= seq;
      if (g.childCount(seq) !== 0 || (g.flags(seq) & bad) !== 0) continue;
      const id = this.window.idOf(seq);
      if (id !== undefined) out.push(id);
    }
    this.cursor = firstUnconfirmed ?? end;
    return out;
  }
}

export interface SweepResult {
  /** What the milestone must reference (ids): the top checkpoints and the tips that needed none. */
  top: string[];
  /** Checkpoint transactions issued (and acknowledged) in this sweep. */
  issued: number;
  /** Tips found. */
  tips: number;
  /** Tips left for the next sweep (over the bound per sweep). */
  deferred: number;
  /** Levels of the plan (the checkpoints of one level are issued at once). */
  levels: number;
}

export interface CheckpointDriverOptions {
  /** The tips to sweep, oldest (or most at risk) first (TipSweeper.tips). */
  tips: () => string[];
  /**
   * Builds, signs, stamps and submits a checkpoint with these parents (2..8 ids, any order);
   * resolves with its id once the node stored it.
   */
  issue: (parents: string[]) => Promise<string>;
  /** As PlanOptions. */
  slots: number;
  fanIn?: number;
  maxCheckpoints?: number;
}

/** Totals since the driver was made (for metrics and the bench). */
export interface CheckpointTotals {
  sweeps: number;
  issued: number;
  deferred: number;
}

export class CheckpointDriver {
  readonly totals: CheckpointTotals = { sweeps: 0, issued: 0, deferred: 0 };

  constructor(private readonly opts: CheckpointDriverOptions) {}

  /**
   * One sweep: plans the checkpoints for the tips found now and issues them, level by level. A
   * failed issue rejects the sweep (the caller's milestone then references what it can by tip
   * selection, and the next sweep finds these tips again). `slots` overrides the option.
   */
  async sweep(slots = this.opts.slots): Promise<SweepResult> {
    const tips = this.opts.tips();
    const plan = planCheckpoints(tips, { slots, fanIn: this.opts.fanIn, maxCheckpoints: this.opts.maxCheckpoints });
    const ids: string[] = new Array(plan.checkpoints.length);
    const idOf = (r: CheckpointRef) => ("tip" in r ? r.tip : ids[r.checkpoint]);
    let levels = 0;
    for (let i = 0; i < plan.checkpoints.length; ) {
      const level = plan.checkpoints[i].level;
      levels = level;
      const batch: Promise<void>[] = [];
      for (; i < plan.checkpoints.length && plan.checkpoints[i].level === level; i++) {
        const k = i;
        batch.push(this.opts.issue(plan.checkpoints[k].parents.map(idOf)).then((id) => void (ids[k] = id)));
      }
      await Promise.all(batch);
    }
    this.totals.sweeps++;
    this.totals.issued += plan.checkpoints.length;
    this.totals.deferred += plan.deferred.length;
    return { top: plan.top.map(idOf), issued: plan.checkpoints.length, tips: tips.length, deferred: plan.deferred.length, levels };
  }
}

/**
 * The issuing node's checkpoints (coordinator.ts calls `sweep` right before it builds a milestone):
 * checkpoint transactions (payload 4) signed with the member's key, stamped at the network's base
 * difficulty and submitted to this node, like the milestone after them.
 */
export class MilestoneCheckpoints {
  readonly driver: CheckpointDriver;
  /** The signed essence for the latest milestone index (the signature does not cover parents). */
  private signed?: { index: number; essence: SignedEssence };

  constructor(
    private readonly node: TangleNode,
    private readonly keys: KeyPair,
  ) {
    const sweeper = new TipSweeper(node.window);
    this.driver = new CheckpointDriver({ tips: () => sweeper.tips(), issue: (parents) => this.issue(parents), slots: 7 });
  }

  private async issue(parents: string[]): Promise<string> {
    const node = this.node;
    const index = node.ledgerIndex;
    if (this.signed?.index !== index) {
      const payload: CheckpointPayload = { type: "checkpoint", milestoneIndex: index };
      this.signed = { index, essence: signTransaction({ version: PROTOCOL_VERSION, networkId: node.params.networkId, issuer: this.keys.publicKey, payload }, this.keys.secretKey) };
    }
    const bytes = attach(this.signed.essence, parents.map((p) => fromHex(p)), node.now());
    stampSync(bytes, requiredDifficulty(bytes.length, node.params.baseDifficulty));
    return (await node.submit(bytes)).id;
  }

  /**
   * Sweeps the unconfirmed tips into checkpoints; resolves with at most `slots` ids for the
   * milestone to reference. A failure (a checkpoint refused, storage full) is reported and gives
   * no ids: the milestone goes out with tip selection alone, and the next sweep finds the tips again.
   */
  async sweep(slots: number, onError?: (err: Error) => void): Promise<string[]> {
    if (slots < 1) return [];
    try {
      return (await this.driver.sweep(Math.min(7, slots))).top;
    } catch (err) {
      onError?.(new Error(`checkpoints: ${(err as Error).message}`));
      return [];
    }
  }
}
