/**
 * The coordinator: when this node holds the key of a committee member and the committee in force
 * needs one signature (k = 1: the dev network, a committee of 1), it issues a milestone v2 every
 * interval. Right before, it sweeps every unconfirmed tip into checkpoints (checkpoints.ts); a
 * milestone references the previous milestone, the checkpoints' top and URTS tips; its payload
 * carries the white-flag result this node computes for exactly those parents, the previous
 * milestone's id and the ledger root after it, so every node that applies it must reach the same
 * merkle root, ledger state hash and ledger root; the member signs the milestone essence (which
 * binds the parents) and the transaction. A committee change an operator queued on this node
 * (committee/change-queue.ts) rides in the next milestone that may carry it, so a network of one key
 * can hand over to a committee (docs/committee.md, "Changing the committee"). With k > 1 a member
 * does not issue alone: the node runs the committee driver (committee/driver.ts) instead, and
 * node/main.ts switches between the two when a change makes the committee in force need one
 * signature or more; a coordinator asked to issue where it cannot says so (`cannotIssue`, `stalled`).
 */
import { attach, milestonePayload, signMilestone, signTransaction, stampSync } from "../client/protocol/build";
import { fromHex, toHex } from "../client/protocol/bytes";
import { transactionId } from "../client/protocol/codec";
import { keyPairFromSeed, KeyPair } from "../client/protocol/keys";
import { ID_BYTES, PROTOCOL_VERSION } from "../client/protocol/limits";
import { milestonePayloadFor } from "./ledger/whiteflag";
import { MilestoneCheckpoints } from "./checkpoints";
import { requiredDifficulty } from "./validation/pipeline";
import type { TangleNode } from "./tangle-node";
import type { ChangeQueue } from "./committee/change-queue";

export interface CoordinatorOptions {
  intervalMs: number;
  /** Tips referenced besides the previous milestone (default 7). */
  tips?: number;
  onError?: (err: Error) => void;
  /**
   * An issue that has not finished after this long is given up (default 10 intervals, at least
   * 10 s): the timer issues again instead of waiting forever on a write that never ends.
   */
  issueTimeoutMs?: number;
  /**
   * No milestone for this long, while issuing is possible, is a stall (`stalled`). Default
   * STALL_INTERVALS intervals, at least STALL_MIN_MS: a garbage collection or a busy core must not
   * make a coordinator on a short interval look stuck.
   */
  stallAfterMs?: number;
  /** The committee change an operator queued on this node: carried by the next milestone that may. */
  changes?: ChangeQueue;
  /**
   * Called once at start when this node cannot issue alone: its key is not in the committee in force,
   * or that committee needs more than one signature (the committee driver's work, not the coordinator's).
   */
  onCannotIssue?: (reason: string, committee: { members: number; threshold: number }) => void;
}

/** No milestone for this many intervals (and at least STALL_MIN_MS) means the coordinator is stalled. */
export const STALL_INTERVALS = 3;
export const STALL_MIN_MS = 10_000;

export class Coordinator {
  private readonly keys: KeyPair;
  /** Sweeps every unconfirmed tip into checkpoints before each milestone (checkpoints.ts). */
  private readonly checkpoints: MilestoneCheckpoints;
  private timer?: NodeJS.Timeout;
  private busy?: Promise<unknown>;
  issued = 0;
  /** When the last milestone was issued (or the coordinator started), by the node's clock. */
  private lastIssuedMs = 0;
  /** Why the last attempt failed, if it did. */
  private lastError?: string;

  constructor(
    private readonly node: TangleNode,
    seed: Uint8Array,
    private readonly opts: CoordinatorOptions,
  ) {
    this.keys = keyPairFromSeed(seed);
    this.checkpoints = new MilestoneCheckpoints(node, this.keys);
    node.committeeMember = toHex(this.keys.publicKey);
  }

  /** Ids of the milestones this coordinator is submitting now (only these are taken at its indexes). */
  private readonly submitting = new Set<string>();

  get publicKey(): Uint8Array {
    return this.keys.publicKey;
  }

  /** Why this node cannot issue the next milestone alone, or undefined when its key suffices. */
  cannotIssue(index = this.node.ledgerIndex + 1): string | undefined {
    const { members, threshold } = this.node.committees.at(index);
    if (!members.includes(toHex(this.keys.publicKey))) return `this node's key is not a member of the committee in force at milestone ${index}`;
    if (threshold <= 1) return undefined;
    return (
      `committee of ${members.length} needs ${threshold} signatures per milestone; one member's key cannot issue alone ` +
      `(the members propose and sign in rounds: the committee driver, docs/committee.md)`
    );
  }

  /** Why start() did not start issuing, if it did not. */
  private blocked?: string;

  /** Issues on a timer; meanwhile the node takes no other milestone for an index not yet applied. */
  start(): void {
    if (this.timer || this.blocked) return;
    this.blocked = this.cannotIssue();
    if (this.blocked) {
      const { members, threshold } = this.node.committees.at(this.node.ledgerIndex + 1);
      this.opts.onCannotIssue?.(this.blocked, { members: members.length, threshold });
      return;
    }
    this.node.ownMilestones = (id) => this.submitting.has(id);
    this.lastIssuedMs = this.node.now();
    const timeoutMs = this.opts.issueTimeoutMs ?? Math.max(10_000, 10 * this.opts.intervalMs);
    this.timer = setInterval(() => {
      if (this.busy) return;
      // Below the free-space reserve a milestone could not be stored: wait for space (no error);
      // time spent waiting there (or halted, or closing) does not count as a stall.
      if (this.node.closed || this.node.diverged || !this.node.writable) {
        this.lastIssuedMs = this.node.now();
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`issuing took longer than ${timeoutMs} ms; given up`)), timeoutMs);
      });
      const run = (this.busy = Promise.race([this.issue(), timeout])
        .then(
          () => (this.lastError = undefined),
          (err: Error) => {
            this.lastError = err.message;
            this.opts.onError?.(err);
          },
        )
        .finally(() => {
          clearTimeout(timer);
          if (this.busy === run) this.busy = undefined;
        }));
    }, this.opts.intervalMs);
  }

  /**
   * Why this coordinator is not making progress, or undefined: no milestone issued for
   * `stallAfterMs` although the node is writable and not diverged (those say so themselves).
   */
  stalled(): string | undefined {
    if (this.blocked) return `no milestones: ${this.blocked}`;
    if (!this.timer || this.node.closed || this.node.diverged || !this.node.writable) return undefined;
    const sinceMs = this.node.now() - this.lastIssuedMs;
    if (sinceMs <= (this.opts.stallAfterMs ?? Math.max(STALL_MIN_MS, STALL_INTERVALS * this.opts.intervalMs))) return undefined;
    return `no milestone issued for ${Math.round(sinceMs / 1000)} s (interval ${this.opts.intervalMs} ms, ledger at ${this.node.ledgerIndex})${this.lastError ? `; last attempt: ${this.lastError}` : ""}`;
  }

  /** Stops the timer and waits for a milestone being issued. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.busy;
    this.node.ownMilestones = undefined;
  }

  /** Builds, stamps and submits the next milestone; resolves with its id once applied. */
  /**
   * The milestone being submitted and not yet settled (a write may hang: the timer gives that
   * attempt up). Issuing the same index again while it may still land sends the same bytes, never
   * a second milestone: two signed essences at one index make every node halt
   * (ERR_MILESTONE_EQUIVOCATION, docs/committee.md). An attempt that failed (refused, or its
   * commit failed) is settled, and the index is built anew.
   */
  private unsettled?: { index: number; bytes: Uint8Array };

  async issue(): Promise<string> {
    const node = this.node;
    const index = node.ledgerIndex + 1;
    const pending = this.unsettled;
    if (pending && pending.index === index) return this.submit(pending.bytes, index);
    // The previous milestone first, then every unconfirmed tip through the checkpoints issued
    // just before (docs/checkpoints.md), then URTS tips, at most eight in all, in canonical order.
    const chosen = new Set<string>();
    if (node.latestMilestone) chosen.add(node.latestMilestone.id);
    if (!this.cannotIssue(index)) for (const t of await this.checkpoints.sweep(8 - chosen.size, this.opts.onError)) chosen.add(t);
    for (const t of node.selectParents(this.opts.tips ?? 7)) if (chosen.size < 8) chosen.add(t);
    const parents = [...chosen].sort().map((h) => fromHex(h));
    const alone = this.cannotIssue(index);
    if (alone) throw new Error(alone);
    const wf = node.whiteFlag(index, parents);
    const now = node.now();
    const networkId = node.params.networkId;
    const committeeChange = this.opts.changes?.forMilestone(index, (c) => node.committees.checkChange(index, c).ok);
    const fields = {
      ...milestonePayloadFor(wf, now),
      previousMilestoneId: node.latestMilestone ? fromHex(node.latestMilestone.id) : new Uint8Array(ID_BYTES),
      ledgerRoot: node.ledgerRootAfter(wf),
      ...(committeeChange ? { committeeChange } : {}),
    };
    const payload = milestonePayload(fields, [signMilestone(networkId, parents, fields, this.keys.publicKey, this.keys.secretKey)]);
    const signed = signTransaction({ version: PROTOCOL_VERSION, networkId, issuer: this.keys.publicKey, payload }, this.keys.secretKey);
    const bytes = attach(signed, parents, now);
    stampSync(bytes, requiredDifficulty(bytes.length, node.params.baseDifficulty));
    return this.submit(bytes, index);
  }

  private async submit(bytes: Uint8Array, index: number): Promise<string> {
    const node = this.node;
    const id = toHex(transactionId(bytes));
    const attempt = { index, bytes };
    this.unsettled ??= attempt;
    this.submitting.add(id);
    let r;
    try {
      r = await node.submit(bytes);
    } finally {
      this.submitting.delete(id);
      if (this.unsettled?.index === index && toHex(transactionId(this.unsettled.bytes)) === id) this.unsettled = undefined;
    }
    this.issued++;
    this.lastIssuedMs = node.now();
    return r.id;
  }
}
