/**
 * Solidification: a transaction is processed only after every parent is stored, so the window
 * always receives parents before children. It knows the writes under way (by id), the
 * transactions between validation and their write ("arriving"), and who waits for which parent.
 *
 * Race rules kept here (each fixed a lost wake-up or a needless request before):
 * - The check of the parents and the registration of waiters happen in the same turn, after every
 *   await, so a parent stored in between cannot be missed.
 * - Parents being written are awaited; a parent whose write failed is looked at again, as missing.
 * - Parents already on their way through submit here are not announced as missing; if that attempt
 *   fails, whoever waits for them is woken to look again (and announce them).
 * - Each missing parent is announced once per waiting transaction.
 * - A peer's transaction that finds every place taken takes the place of the peer transaction that
 *   waited longest (that one fails, ERR_TX_NOT_SOLID, and may be offered again). Walking a past
 *   cone from the top, as a node syncing from genesis does for every new milestone its peer
 *   gossips, puts each level below the last: refusing the newest (the bottom of the walk, the only
 *   ones that can become solid) stalled such a node for good once its missing history was larger
 *   than maxWaiting; the oldest are the top, which come again with the next walk or milestone.
 *   Submissions of clients (no source) are still refused with ERR_SOLIDIFIER_FULL.
 * Pure of I/O: the node says what is stored and listens to the announcements.
 */
import { toHex } from "../client/protocol/bytes";
import { NodeError, NodeErrorCode } from "./errors";
import type { MissingEvent } from "./events";

export interface SolidifierOptions {
  now(): number;
  /** How many transactions may wait for parents at once. */
  maxWaiting: number;
  /** Counts as stored without being stored (the solid entry points). */
  isEntryPoint(idHex: string): boolean;
  /** Whether a transaction is stored (the window in memory, else the database). */
  isStored(idHex: string, id: Uint8Array): boolean;
  /** Parents nobody here is bringing (the node's `missing` event). */
  announce(e: MissingEvent): void;
}

export class Solidifier {
  /** Writes under way, by id: each resolves once its transaction is durable and in the window. */
  readonly writes = new Map<string, Promise<void>>();
  /** Valid transactions between validation and their write (counted: the same id may arrive twice). */
  private readonly arriving = new Map<string, number>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private waiting = 0;
  /** Peer transactions that wait, oldest first, each with what makes it give up its place. */
  private readonly peerWaiters = new Map<object, () => void>();

  constructor(private readonly opts: SolidifierOptions) {}

  /** A valid transaction starts its way to the write: others waiting for it need not ask peers. */
  arrive(idHex: string): void {
    this.arriving.set(idHex, (this.arriving.get(idHex) ?? 0) + 1);
  }

  /** That attempt got as far as it will (its write started, or it failed). */
  depart(idHex: string): void {
    const n = this.arriving.get(idHex)! - 1;
    if (n > 0) this.arriving.set(idHex, n);
    else {
      this.arriving.delete(idHex);
      // It failed (not solid in time, the node closing): whoever waits for it looks again and asks peers.
      if (!this.writes.has(idHex)) this.wake(idHex);
    }
  }

  /** Whether a transaction is wanted as a parent by something waiting here. */
  isAwaited(idHex: string): boolean {
    return this.waiters.has(idHex);
  }

  /** Whether a transaction is on its way through submit here (validated, not yet written). */
  isArriving(idHex: string): boolean {
    return this.arriving.has(idHex) || this.writes.has(idHex);
  }

  /** Wakes whoever waits for `idHex` (it was stored, or an attempt at it failed). */
  wake(idHex: string): void {
    const set = this.waiters.get(idHex);
    if (!set) return;
    this.waiters.delete(idHex);
    for (const resolve of [...set]) resolve();
  }

  /**
   * Waits until every parent is stored. Rejects with ERR_SOLIDIFIER_FULL when too many wait
   * already (a peer's transaction, `source` given, instead takes the place of the peer transaction
   * that waited longest, if any), ERR_TX_NOT_SOLID when `timeoutMs` passed with parents still
   * unknown or when it gave up its place so.
   */
  async awaitParents(parents: readonly Uint8Array[], timeoutMs: number, source?: string): Promise<void> {
    const deadline = this.opts.now() + timeoutMs;
    let counted = false;
    let evicted = false;
    const token = {};
    let stopWaiting: (() => void) | undefined;
    const announced = new Set<string>();
    const evict = () => {
      evicted = true;
      counted = false;
      this.waiting--;
      stopWaiting?.();
    };
    const gaveWay = () => new NodeError(NodeErrorCode.NOT_SOLID, `parents still unknown; gave its place to a newer peer transaction (${this.opts.maxWaiting} wait for parents)`);
    try {
      for (;;) {
        if (evicted) throw gaveWay();
        const writing: Promise<void>[] = [];
        const missing: string[] = [];
        for (const p of parents) {
          const h = toHex(p);
          if (this.opts.isEntryPoint(h)) continue;
          const w = this.writes.get(h);
          if (w) writing.push(w);
          else if (!this.opts.isStored(h, p)) missing.push(h);
        }
        if (writing.length) {
          // A parent whose write failed is looked at again (as missing) on the next pass.
          await Promise.allSettled(writing);
          continue;
        }
        if (missing.length === 0) return;
        if (!counted) {
          if (this.waiting >= this.opts.maxWaiting && !(source !== undefined && this.evictOldestPeerWaiter())) {
            throw new NodeError(NodeErrorCode.SOLIDIFIER_FULL, `${this.waiting} transactions already wait for parents`);
          }
          this.waiting++;
          counted = true;
          if (source !== undefined) this.peerWaiters.set(token, evict);
        }
        const unknown = missing.filter((h) => !this.arriving.has(h) && !announced.has(h));
        if (unknown.length) {
          for (const h of unknown) announced.add(h);
          this.opts.announce({ ids: unknown, source });
        }
        const left = deadline - this.opts.now();
        if (left <= 0) throw new NodeError(NodeErrorCode.NOT_SOLID, `parents still unknown after ${timeoutMs} ms: ${missing.join(", ")}`);
        await this.waitForAny(missing, left, (stop) => (stopWaiting = stop));
        stopWaiting = undefined;
        if (evicted) throw gaveWay();
      }
    } finally {
      this.peerWaiters.delete(token);
      if (counted) this.waiting--;
    }
  }

  /** The peer transaction that waited longest gives up its place; false when none waits. */
  private evictOldestPeerWaiter(): boolean {
    for (const [token, evict] of this.peerWaiters) {
      this.peerWaiters.delete(token);
      evict();
      return true;
    }
    return false;
  }

  /** Resolves when one of `ids` is stored or `ms` have passed (the caller looks again either way). */
  private waitForAny(ids: string[], ms: number, onStop: (stop: () => void) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        for (const h of ids) {
          const set = this.waiters.get(h);
          if (!set) continue;
          set.delete(done);
          if (set.size === 0) this.waiters.delete(h);
        }
        resolve();
      };
      const timer = setTimeout(done, ms);
      onStop(done);
      for (const h of ids) {
        let set = this.waiters.get(h);
        if (!set) this.waiters.set(h, (set = new Set()));
        set.add(done);
      }
    });
  }
}
