/**
 * Milestone sync: what each peer claims (the latest milestone index in its hello and heartbeats)
 * and what it has proven; while this node is behind, asking a peer that proved it is ahead for the
 * next milestone, one at a time (the milestone's cone follows through solidification requests);
 * answering peers' requests for a milestone.
 *
 * A claim is not believed: a claimed index above this node's own counts only once the peer has sent
 * the milestone at that index and it passed validation (decodes, index as claimed, valid PoW,
 * signed by a key allowed to issue milestones). Until then it changes nothing here (`synced`,
 * whom sync asks); a peer that does not produce it within PEER_LIMITS.claimProofTimeoutMs, or
 * produces an invalid one, is penalised (peers.ts: the connection closed, its address banned on
 * repeat). A peer that leaves takes its claims with it.
 *
 * A peer also says which cones it no longer holds (`prunedMilestoneIndex`, protocol 6: pruned, or
 * below the snapshot it was imported from). Sync asks for milestone m only a peer that holds m's
 * cone (pruned index below m): a pruned peer still has every milestone transaction, and a node that
 * took one whose cone nobody sends would wait for the cone forever. When every peer ahead pruned
 * the cone of the next milestone, the node says so once (a warning) and `syncProblem` says it for
 * /health and getNodeInfo, until a peer that holds it connects: the node cannot sync from these
 * peers and needs a snapshot or an archive node.
 */
import { decodeTransaction } from "../../client/protocol/codec";
import { isMilestone } from "../../client/protocol/payloads/milestone";
import { validateTransaction } from "../validation/pipeline";
import type { Logger } from "../logger";
import type { TangleNode } from "../tangle-node";
import type { Peer } from "./peer";
import { PEER_LIMITS } from "./protocol";

interface Claim {
  /** Highest index this peer claimed and proved (or that this node had itself when claimed). */
  proven: number;
  /** A claim above `proven` waiting for its milestone: asked at `at`. */
  pending?: { index: number; at: number };
  /** The highest milestone whose cone the peer does not hold (0: all, or a peer of protocol 5 or older that does not say). */
  pruned: number;
}

/** The highest milestone whose cone `node` does not hold: its pruning index, or the snapshot milestone it was imported at. */
export function prunedMilestoneIndexOf(node: TangleNode): number {
  return node.historyFloor;
}

/** Why sync cannot go on from the peers connected: each peer ahead pruned the cone of `next`; the lowest of them holds cones from `prunedBelow` on. */
export interface HistoryGap {
  next: number;
  prunedBelow: number;
}

/** What to do with a transaction a peer sent: "proof" when it answered a claim above what sync needs next (checked here, not stored). */
export type ProofOutcome = "none" | "proof";

export class MilestoneSync {
  private syncing?: { index: number; at: number };
  private readonly claims = new Map<Peer, Claim>();
  /** Set while every peer ahead pruned the next milestone's cone. */
  private gap?: HistoryGap;

  constructor(
    private readonly node: TangleNode,
    private readonly log: Logger,
    private readonly peers: () => Iterable<Peer>,
    private readonly closed: () => boolean,
    /** Closes (and on repeat bans) a peer whose claim did not hold. */
    private readonly penalize: (peer: Peer, why: string) => void,
  ) {}

  /** Highest milestone index a connected peer claimed and proved. */
  get bestKnownMilestone(): number {
    let best = 0;
    for (const [p, c] of this.claims) if (p.ready && c.proven > best) best = c.proven;
    return best;
  }

  /**
   * Whether this node has caught up with the best milestone its peers proved, give or take
   * PEER_LIMITS.syncToleranceMilestones (a milestone in flight does not make a node unsynced).
   */
  get synced(): boolean {
    return this.node.ledgerIndex + PEER_LIMITS.syncToleranceMilestones >= this.bestKnownMilestone;
  }

  private claimOf(peer: Peer): Claim {
    let c = this.claims.get(peer);
    if (!c) this.claims.set(peer, (c = { proven: 0, pruned: 0 }));
    return c;
  }

  /** The highest milestone whose cone `peer` said it does not hold (0: all, or it did not say). */
  prunedOf(peer: Peer): number {
    return this.claims.get(peer)?.pruned ?? 0;
  }

  /** The history gap sync is stuck at, if any. */
  get historyGap(): HistoryGap | undefined {
    return this.gap;
  }

  /** The sentence /health and getNodeInfo give while sync cannot go on (null: it can, or it is done). */
  get syncProblem(): string | null {
    const g = this.gap;
    if (!g) return null;
    return `cannot sync milestone ${g.next} (at ${this.node.ledgerIndex} of ${this.bestKnownMilestone}): the peers pruned below ${g.prunedBelow}: boot from a snapshot (--bootstrap snapshot) or peer with an archive node`;
  }

  /**
   * A peer claimed `index` as its latest milestone (hello or beat), and said it does not hold the
   * cones up to `pruned` (protocol 6; undefined: it did not say, and is taken to hold them all).
   */
  learn(peer: Peer, index: number, pruned?: number): void {
    const c = this.claimOf(peer);
    if (pruned !== undefined) c.pruned = pruned;
    const ours = this.node.ledgerIndex;
    if (index <= c.proven) {
      // nothing new
    } else if (index <= ours) {
      c.proven = index; // this node has that milestone: nothing to prove
    } else if (!c.pending) {
      // One proof at a time per peer; a higher claim meanwhile is checked at the next beat.
      c.pending = { index, at: Date.now() };
      peer.send({ t: "msreq", index });
    }
    this.continueSync();
  }

  /** Whether `peer` owes the milestone of a claim (its transactions go through offer first). */
  owesProof(peer: Peer): boolean {
    return this.claims.get(peer)?.pending !== undefined;
  }

  /** A peer left: its claims go with it. */
  forget(peer: Peer): void {
    this.claims.delete(peer);
  }

  /**
   * A transaction from `peer`: if the peer owes a proof and this is a milestone at the claimed
   * index, it is checked. "proof": it answered a claim beyond the next milestone sync needs, so the
   * caller does not store it (it arrives again, in order, when sync asks for it).
   */
  async offer(peer: Peer, bytes: Uint8Array): Promise<ProofOutcome> {
    const c = this.claims.get(peer);
    const pending = c?.pending;
    if (!c || !pending) return "none";
    const d = decodeTransaction(bytes);
    if (!d.ok || !isMilestone(d.value.tx.payload) || d.value.tx.payload.index !== pending.index) return "none";
    const v = await validateTransaction(bytes, { ...this.node.params, maxPastMs: Number.POSITIVE_INFINITY }, Date.now());
    if (c.pending !== pending) return "none";
    c.pending = undefined;
    if (!v.ok) {
      this.penalize(peer, `claimed milestone ${pending.index} and sent an invalid one (${v.code})`);
      return "proof";
    }
    if (pending.index > c.proven) c.proven = pending.index;
    this.log.debug({ peer: peer.key, milestone: pending.index }, "peer proved its claim");
    this.continueSync();
    return pending.index > this.node.ledgerIndex + 1 ? "proof" : "none";
  }

  /** Asks a peer that proved it is ahead, and holds the cone, for the next milestone we lack. */
  continueSync(): void {
    const next = this.node.ledgerIndex + 1;
    const best = this.bestKnownMilestone;
    if (this.closed() || next > best || this.node.diverged) return this.noGap();
    const ahead = [...this.peers()].filter((p) => p.ready && (this.claims.get(p)?.proven ?? 0) >= next);
    if (ahead.length === 0) return;
    const holding = ahead.filter((p) => this.claims.get(p)!.pruned < next);
    if (holding.length === 0) return this.stuck(next, 1 + Math.min(...ahead.map((p) => this.claims.get(p)!.pruned)));
    this.noGap();
    if (this.syncing && this.syncing.index === next) return;
    const p = holding[Math.floor(Math.random() * holding.length)];
    this.syncing = { index: next, at: Date.now() };
    p.send({ t: "msreq", index: next });
    if (next % 50 === 0 || next === best) this.log.info({ milestone: next, of: best }, "syncing");
  }

  /** Said once per milestone it stops at; the peers' pruned index moves on silently (getNodeInfo and /health show it). */
  private stuck(next: number, prunedBelow: number): void {
    const again = this.gap?.next === next;
    this.gap = { next, prunedBelow };
    if (again) return;
    this.syncing = undefined;
    this.log.warn({ milestone: next, ledgerIndex: this.node.ledgerIndex, best: this.bestKnownMilestone, prunedBelow }, this.syncProblem!);
  }

  private noGap(): void {
    if (!this.gap) return;
    this.log.info({ milestone: this.gap.next }, "sync: no longer stopped at pruned history");
    this.gap = undefined;
  }

  /** A milestone asked for long ago (3 request retry periods) and not arrived: ask again; claims not proven in time: penalised. */
  retry(now: number): void {
    if (this.syncing && now - this.syncing.at > PEER_LIMITS.requestRetryMs * 3) {
      this.syncing = undefined;
      this.continueSync();
    }
    for (const [p, c] of this.claims) {
      if (!c.pending || now - c.pending.at <= PEER_LIMITS.claimProofTimeoutMs) continue;
      const index = c.pending.index;
      c.pending = undefined;
      // Our own ledger got there meanwhile (another peer, or the coordinator): the claim holds.
      if (index <= this.node.ledgerIndex) {
        if (index > c.proven) c.proven = index;
        continue;
      }
      this.penalize(p, `claimed milestone ${index} and did not send it within ${PEER_LIMITS.claimProofTimeoutMs} ms`);
    }
  }

  /**
   * Answers a peer's request for milestone `index` with its transaction, if we have it, within the
   * peer's send-buffer bound like an answer to `req` (Peer.answer: over the bound it is dropped,
   * counted, and the peer is not read until its buffer drains): a peer that floods msreq and never
   * reads costs the bound, not the node's memory. Nothing is looked up for a congested peer.
   */
  serve(peer: Peer, index: number): void {
    if (peer.congested) return peer.dropAnswers(1);
    const m = this.node.getMilestone(index);
    const bytes = m ? this.node.intactTransactionBytes(m.id) : undefined;
    if (bytes && peer.answer({ t: "tx", bytes })) peer.sent++;
  }
}
