/**
 * Gossip: transactions in from peers (dropped on the id alone when seen before, then submitted to
 * the node; a peer that sends an invalid one is penalized), every new valid transaction out to the
 * peers that do not know it yet, answers to peers' requests for transactions, and our own requests
 * for missing parents (requests.ts). Which peers are connected is peers.ts's business: gossip only
 * reads the set.
 */
import { toHex } from "../../client/protocol/bytes";
import { decodeTransaction } from "../../client/protocol/codec";
import { Code } from "../../client/protocol/codes";
import { isMilestone } from "../../client/protocol/payloads/milestone";
import { ProtocolErrorCode } from "../../client/protocol/errors";
import { blake2b256 } from "../../core-wasm/src/blake2b";
import { BoundedSet as RecentSet } from "../bounded";
import { NodeErrorCode } from "../errors";
import type { Logger } from "../logger";
import type { TangleNode } from "../tangle-node";
import type { Peer } from "./peer";
import { PEER_LIMITS } from "./protocol";
import { SolidificationRequests } from "./requests";

/** Codes that say nothing bad about the sender (it may simply know more or less than we do). */
const BENIGN = new Set<string>([NodeErrorCode.NOT_SOLID, NodeErrorCode.SOLIDIFIER_FULL, NodeErrorCode.CLOSED, NodeErrorCode.STORAGE, NodeErrorCode.STORAGE_FULL, Code.ERR_STORAGE_CORRUPT, ProtocolErrorCode.TIMESTAMP_IN_FUTURE]);

export class Gossip {
  private readonly seen = new RecentSet(PEER_LIMITS.recentIds);
  readonly requests: SolidificationRequests;
  /** Transactions from peers not taken for a benign reason (not solid in time, solidifier full). */
  dropped = 0;
  /**
   * Whether this node is behind the milestones its peers proved (peers.ts: milestone sync). While
   * it is, a transaction nobody here asked for is not taken: its past cone would be walked from the
   * top, down to the milestones sync has not reached (the whole history for a node new to the
   * network), filling the solidifier with transactions that cannot become solid before sync gets
   * there. Sync brings each milestone's cone in order; what was skipped comes with it.
   */
  behind: () => boolean = () => false;
  /** Unasked transactions not taken while behind. */
  skippedBehind = 0;

  constructor(
    private readonly node: TangleNode,
    private readonly log: Logger,
    private readonly peers: () => Iterable<Peer>,
  ) {
    this.requests = new SolidificationRequests(node, peers, (id) => this.seen.has(id));
  }

  /** A transaction from a peer; `penalize` disconnects and bans it (invalid data). */
  async receive(peer: Peer, bytes: Uint8Array, penalize: (why: string) => void): Promise<void> {
    // Duplicates are dropped on the id alone, before any decoding.
    const idBytes = blake2b256(bytes);
    const id = toHex(idBytes);
    peer.known.add(id);
    if (this.seen.has(id)) return;
    if (this.behind() && !this.requests.has(id) && !this.nextMilestone(bytes)) {
      this.skippedBehind++;
      return;
    }
    this.seen.add(id);
    try {
      await this.node.submit(bytes, { id: idBytes, source: peer.key, maxPastMs: Number.POSITIVE_INFINITY, solidifyTimeoutMs: PEER_LIMITS.solidifyTimeoutMs });
    } catch (err) {
      const code = (err as { code?: string }).code ?? Code.ERR_INTERNAL;
      // Older than this node's history (a pruned or snapshot-started node): valid, never taken here,
      // and not asked for again (it stays seen, so repeats are dropped on the id; counted in
      // tangle_transactions_rejected_total under its code).
      if (code === Code.ERR_PRUNED) {
        this.requests.delete(id);
        return;
      }
      if (!BENIGN.has(code)) penalize(`invalid transaction: ${code}`);
      else {
        // A transaction we could not take yet (e.g. it never solidified) may be offered again, and
        // if something here still waits for it, it stays requested (the retry asks again).
        this.seen.delete(id);
        this.requests.keepAsking(id, peer, Date.now());
        this.dropped++;
        if (this.dropped <= 5 || this.dropped % 1000 === 0) this.log.warn({ peer: peer.key, code, dropped: this.dropped }, "peer transaction not taken");
      }
    }
  }

  /** Whether `bytes` is a milestone at the index the ledger needs next (what sync asks for). */
  private nextMilestone(bytes: Uint8Array): boolean {
    const d = decodeTransaction(bytes);
    return d.ok && isMilestone(d.value.tx.payload) && d.value.tx.payload.index === this.node.ledgerIndex + 1;
  }

  /** A new valid transaction goes to every ready peer except its source and those that know it. */
  announce(id: string, bytes: Uint8Array, source?: string): void {
    this.seen.add(id);
    this.requests.delete(id);
    for (const p of this.peers()) {
      if (!p.ready || p.key === source || p.known.has(id)) continue;
      p.known.add(id);
      p.sendTx(bytes);
    }
  }

  /**
   * Answers a peer's request with the transactions we have, while its send buffer has room (the
   * rest are dropped and counted: Peer.answer; it asks again if it still needs them).
   */
  serve(peer: Peer, ids: readonly string[]): void {
    for (let i = 0; i < ids.length; i++) {
      if (peer.congested) {
        peer.dropAnswers(ids.length - i);
        return;
      }
      const bytes = this.node.intactTransactionBytes(ids[i]);
      if (bytes && peer.answer({ t: "tx", bytes })) peer.sent++;
    }
  }

  /**
   * A peer's reconnect inventory (inv): the ids it has are known to it (not gossiped back), and
   * those this node lacks (not stored intact, not on their way in) are asked of it once
   * (requests.ts); they come in through receive() like any gossip. Returns how many were asked.
   */
  inventory(peer: Peer, ids: readonly string[]): number {
    const lacking: string[] = [];
    for (const id of ids) {
      peer.known.add(id);
      if (!this.seen.has(id) && !this.node.isArriving(id) && !this.node.hasTransaction(id)) lacking.push(id);
    }
    return this.requests.advertised(lacking, peer, Date.now());
  }

  /** Asks peers for missing parents; first the peer that sent the child (it has them). */
  requestMissing(ids: string[], source?: string): void {
    let first: Peer | undefined;
    if (source !== undefined) for (const p of this.peers()) if (p.key === source && p.ready) first = p;
    this.requests.missing(ids, Date.now(), first);
  }
}
