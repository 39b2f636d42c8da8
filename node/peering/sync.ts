/**
 * Milestone sync: the best milestone index any peer announced (in its hello and heartbeats), and,
 * while this node is behind, asking a peer that is ahead for the next milestone, one at a time
 * (the milestone's cone follows through solidification requests); answering peers' requests for a
 * milestone.
 */
import type { Logger } from "../logger";
import type { TangleNode } from "../tangle-node";
import type { Peer } from "./peer";
import { PEER_LIMITS } from "./protocol";

export class MilestoneSync {
  /** Highest milestone index any peer announced. */
  bestKnownMilestone = 0;
  private syncing?: { index: number; at: number };

  constructor(
    private readonly node: TangleNode,
    private readonly log: Logger,
    private readonly peers: () => Iterable<Peer>,
    private readonly closed: () => boolean,
  ) {}

  /**
   * Whether this node has caught up with the best milestone its peers announced, give or take
   * PEER_LIMITS.syncToleranceMilestones (a milestone in flight does not make a node unsynced).
   */
  get synced(): boolean {
    return this.node.ledgerIndex + PEER_LIMITS.syncToleranceMilestones >= this.bestKnownMilestone;
  }

  /** A peer announced its latest milestone index. */
  learn(index: number): void {
    if (index > this.bestKnownMilestone) this.bestKnownMilestone = index;
    this.continueSync();
  }

  /** Asks a peer that is ahead for the next milestone we lack. */
  continueSync(): void {
    const next = this.node.ledgerIndex + 1;
    if (this.closed() || next > this.bestKnownMilestone || this.node.diverged) return;
    if (this.syncing && this.syncing.index === next) return;
    const ahead = [...this.peers()].filter((p) => p.ready && (p.hello?.latestMilestoneIndex ?? 0) >= next);
    if (ahead.length === 0) return;
    const p = ahead[Math.floor(Math.random() * ahead.length)];
    this.syncing = { index: next, at: Date.now() };
    p.send({ t: "msreq", index: next });
    if (next % 50 === 0 || next === this.bestKnownMilestone) this.log.info({ milestone: next, of: this.bestKnownMilestone }, "syncing");
  }

  /** A milestone asked for long ago (3 request retry periods) and not arrived: ask again. */
  retry(now: number): void {
    if (this.syncing && now - this.syncing.at > PEER_LIMITS.requestRetryMs * 3) {
      this.syncing = undefined;
      this.continueSync();
    }
  }

  /** Answers a peer's request for milestone `index` with its transaction, if we have it. */
  serve(peer: Peer, index: number): void {
    const m = this.node.getMilestone(index);
    const bytes = m ? this.node.intactTransactionBytes(m.id) : undefined;
    if (bytes) {
      peer.send({ t: "tx", bytes });
      peer.sent++;
    }
  }
}
