/**
 * Solidification requests: missing parents asked of peers, first of the peer that sent the child
 * (it has them), then of one not yet asked, then of any; retried every PEER_LIMITS.requestRetryMs
 * while something here still waits for them; bounded in count (maxOutstandingRequests) and age
 * (requestGiveUpMs). One request lives until the transaction is stored, or nothing here waits for
 * it any more, or it is too old.
 *
 * Transactions a peer advertised in its reconnect inventory (`inv`, inventory.ts) and this node
 * lacks are asked of that peer (`advertised`), and only of it: every requestRetryMs until they
 * arrive (its answers stop at its send-buffer bound, so a large inventory comes in several
 * rounds), until that peer leaves, or for requestGiveUpMs. A second peer advertising the same id
 * meanwhile is not asked. If something here comes to wait for it, it is an ordinary request from
 * then on.
 */
import type { Peer } from "./peer";
import { PEER_LIMITS } from "./protocol";

/** What the requests need to know of the node. */
export interface RequestsNode {
  hasTransaction(id: string): boolean;
  /** Something here waits for this transaction (a child in the solidifier). */
  isAwaited(id: string): boolean;
  /** It is here already, on its way in (waiting for its own parents or being stored). */
  isArriving(id: string): boolean;
}

interface Request {
  /** When it was last sent (0: not yet). */
  at: number;
  /** When it was first wanted. */
  first: number;
  tried: Set<Peer>;
  /** Asked because this peer advertised it (inv), not because something here waits for it. */
  advertisedBy?: Peer;
}

export class SolidificationRequests {
  private readonly open = new Map<string, Request>();
  /** Missing transactions no peer delivered in time. */
  givenUp = 0;

  /**
   * `peers`: the current peers (only the ready ones are asked); `seen(id)`: a peer sent it already
   * and it is being taken.
   */
  constructor(
    private readonly node: RequestsNode,
    private readonly peers: () => Iterable<Peer>,
    private readonly seen: (id: string) => boolean,
  ) {}

  has(id: string): boolean {
    return this.open.has(id);
  }

  /** The transaction arrived (stored and gossiped): nothing to ask for any more. */
  delete(id: string): void {
    this.open.delete(id);
  }

  /** A peer went away: it may be asked again if it comes back (and what only it advertised is forgotten). */
  forget(peer: Peer): void {
    for (const [id, r] of this.open) {
      if (r.advertisedBy === peer && !this.node.isAwaited(id)) this.open.delete(id);
      else r.tried.delete(peer);
    }
  }

  /**
   * Ids `peer` advertised (inv) that this node lacks: asked of that peer in req messages of at
   * most maxIdsPerRequest (and again by retry() until they arrive). Ids already requested are left
   * alone. Returns how many were asked.
   */
  advertised(ids: readonly string[], peer: Peer, now: number): number {
    const fresh: string[] = [];
    for (const id of ids) {
      if (this.open.has(id) || this.open.size >= PEER_LIMITS.maxOutstandingRequests) continue;
      this.open.set(id, { at: now, first: now, tried: new Set([peer]), advertisedBy: peer });
      fresh.push(id);
    }
    askOf(peer, fresh);
    return fresh.length;
  }

  /** `peer` sent it but it could not be taken yet: if something waits for it, keep asking (others first). */
  keepAsking(id: string, peer: Peer, now: number): void {
    if (this.node.isAwaited(id) && !this.open.has(id)) this.open.set(id, { at: now, first: now, tried: new Set([peer]) });
  }

  /** Asks for missing parents, first of `first` when given and ready. */
  missing(ids: string[], now: number, first?: Peer): void {
    const fresh: string[] = [];
    for (const id of ids) {
      if (this.open.has(id) || this.open.size >= PEER_LIMITS.maxOutstandingRequests) continue;
      this.open.set(id, { at: 0, first: now, tried: new Set() });
      fresh.push(id);
    }
    if (fresh.length) this.send(fresh, now, first);
  }

  /** Drops what arrived, what nobody waits for and what is too old; asks again what is due. */
  retry(now: number): void {
    const again: string[] = [];
    const advertisedAgain = new Map<Peer, string[]>();
    for (const [id, r] of this.open) {
      if (this.node.hasTransaction(id)) this.open.delete(id);
      else if (r.advertisedBy && !this.node.isAwaited(id)) {
        // Asked again of the peer that advertised it; not a loss when it never comes: nothing waits for it.
        if (now - r.first > PEER_LIMITS.requestGiveUpMs || !r.advertisedBy.ready) this.open.delete(id);
        else if (this.node.isArriving(id) || this.seen(id)) r.at = now;
        else if (now - r.at >= PEER_LIMITS.requestRetryMs) {
          r.at = now;
          const list = advertisedAgain.get(r.advertisedBy) ?? [];
          list.push(id);
          advertisedAgain.set(r.advertisedBy, list);
        }
      } else if (!this.node.isAwaited(id) || now - r.first > PEER_LIMITS.requestGiveUpMs) {
        this.open.delete(id);
        this.givenUp++;
      } else if (this.node.isArriving(id) || this.seen(id)) {
        r.at = now; // here already, waiting for its own parents: asking again would only echo it
      } else if (now - r.at >= PEER_LIMITS.requestRetryMs) again.push(id);
    }
    if (again.length) this.send(again, now);
    for (const [p, list] of advertisedAgain) askOf(p, list);
  }

  private send(ids: string[], now: number, first?: Peer): void {
    const ready = [...this.peers()].filter((p) => p.ready);
    if (ready.length === 0) return;
    const byPeer = new Map<Peer, string[]>();
    for (const id of ids) {
      const r = this.open.get(id);
      if (!r) continue;
      // The preferred peer first, then one not yet asked, then any.
      const candidates = ready.filter((p) => !r.tried.has(p));
      const pool = candidates.length ? candidates : ready;
      const p = first && !r.tried.has(first) ? first : pool[Math.floor(Math.random() * pool.length)];
      r.tried.add(p);
      r.at = now;
      const list = byPeer.get(p) ?? [];
      list.push(id);
      byPeer.set(p, list);
    }
    for (const [p, list] of byPeer) askOf(p, list);
  }
}

/** `ids` asked of `peer` in req messages of at most maxIdsPerRequest. */
function askOf(peer: Peer, ids: readonly string[]): void {
  for (let i = 0; i < ids.length; i += PEER_LIMITS.maxIdsPerRequest) peer.send({ t: "req", ids: ids.slice(i, i + PEER_LIMITS.maxIdsPerRequest) });
}
