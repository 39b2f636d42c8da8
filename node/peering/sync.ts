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
}

/** What to do with a transaction a peer sent: "proof" when it answered a claim above what sync needs next (checked here, not stored). */
export type ProofOutcome = "none" | "proof";

export class MilestoneSync {
  private syncing?: { index: number; at: number };
  private readonly claims = new Map<Peer, Claim>();

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
    if (!c) this.claims.set(peer, (c = { proven: 0 }));
    return c;
  }

  /** A peer claimed `index` as its latest milestone (hello or beat). */
  learn(peer: Peer, index: number): void {
    const c = this.claimOf(peer);
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

  /** Asks a peer that proved it is ahead for the next milestone we lack. */
  continueSync(): void {
    const next = this.node.ledgerIndex + 1;
    const best = this.bestKnownMilestone;
    if (this.closed() || next > best || this.node.diverged) return;
    if (this.syncing && this.syncing.index === next) return;
    const ahead = [...this.peers()].filter((p) => p.ready && (this.claims.get(p)?.proven ?? 0) >= next);
    if (ahead.length === 0) return;
    const p = ahead[Math.floor(Math.random() * ahead.length)];
    this.syncing = { index: next, at: Date.now() };
    p.send({ t: "msreq", index: next });
    if (next % 50 === 0 || next === best) this.log.info({ milestone: next, of: best }, "syncing");
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
