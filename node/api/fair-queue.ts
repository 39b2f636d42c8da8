/**
 * Fair admission of submissions to the node: a bounded number are processed at once, the rest wait
 * in queues served round robin, first across connections, then, within a connection, across the
 * issuers it submits for (a gateway's flooding sensor does not delay its other sensors). A
 * connection that pipelines hundreds of submissions therefore gets one turn in each round like a
 * connection that sends one: a newcomer's submission waits for at most one admission per other
 * waiting connection, not for the flooder's backlog; and since a few turns are kept for
 * connections with nothing running, a connection sending one at a time is admitted on arrival
 * even while the busy ones hold all their turns. Bounds: queued submissions per connection,
 * and submissions pending (queued or being processed) per issuer across all connections, so one
 * key spread over many connections gets no more than one connection's worth of work in the node.
 *
 * Why admission and not the node's stages: the node's stages (validation, the verify pool's
 * batches, the store's write batches, the work after each commit) are FIFO and batch what is in
 * flight; with few in flight at once their batches stay small, so a submission admitted now is
 * processed with at most `maxRunning - 1` others, whoever sent them. (Ending a turn once the
 * submission was validated was tried: validation outruns the durable writes, so a flood's
 * validated backlog piled up in the write stage and a newcomer was acknowledged after all of it,
 * as in FIFO: test/node/api/fairness.test.ts.)
 *
 * `FairQueue` is the pure structure (no I/O, no clock); `FairScheduler` runs tasks through it.
 * Limits: API_LIMITS (maxSubmissionsInProgress, reservedSubmissionsForIdleConnections,
 * maxQueuedSubmissionsPerConnection, maxPendingSubmissionsPerIssuer) in ./limits.ts; docs/api.md,
 * "Fair scheduling"; measured by `tangle bench fairness` (bench/README.md).
 */
import { ApiError, ApiErrorCode as E } from "./errors";

export interface FairQueueLimits {
  /** Items admitted (being processed) at once, over all connections. */
  maxRunning: number;
  /**
   * Of maxRunning, turns only a connection with nothing running may take: a busy connection
   * waits once `maxRunning - reservedForIdle` are running, so a newcomer is admitted at once
   * instead of after the next acknowledgements.
   */
  reservedForIdle: number;
  /** Items waiting per connection. */
  maxQueuedPerConnection: number;
  /** Items queued or running per issuer, over all connections. */
  maxPendingPerIssuer: number;
}

/** Why an item was refused: its connection's queue is full, or its issuer has too much pending. */
export type Refusal = "connection" | "issuer";

export interface Admitted<C, T> {
  conn: C;
  issuer: string;
  item: T;
}

/** One connection's waiting items: per issuer FIFO, issuers in round-robin order (Map order). */
interface ConnectionQueue<T> {
  byIssuer: Map<string, T[]>;
  size: number;
}

export class FairQueue<C, T> {
  /** Connections with waiting items, in round-robin order (the next to serve first). */
  private readonly ring = new Map<C, ConnectionQueue<T>>();
  /** Queued + running per issuer. */
  private readonly pending = new Map<string, number>();
  /** Running per connection. */
  private readonly runningBy = new Map<C, number>();
  private _running = 0;
  private _queued = 0;

  constructor(readonly limits: FairQueueLimits) {}

  get running(): number {
    return this._running;
  }

  get queued(): number {
    return this._queued;
  }

  /** Items the connection has waiting. */
  queuedFor(conn: C): number {
    return this.ring.get(conn)?.size ?? 0;
  }

  /** Admitted, not finished items of the connection. */
  runningFor(conn: C): number {
    return this.runningBy.get(conn) ?? 0;
  }

  /** Queued + running items of the issuer. */
  pendingFor(issuer: string): number {
    return this.pending.get(issuer) ?? 0;
  }

  /** Queues an item; returns why it was refused (nothing changed then), or undefined. */
  push(conn: C, issuer: string, item: T): Refusal | undefined {
    let q = this.ring.get(conn);
    if ((q?.size ?? 0) >= this.limits.maxQueuedPerConnection) return "connection";
    const p = this.pending.get(issuer) ?? 0;
    if (p >= this.limits.maxPendingPerIssuer) return "issuer";
    if (!q) this.ring.set(conn, (q = { byIssuer: new Map(), size: 0 }));
    let items = q.byIssuer.get(issuer);
    if (!items) q.byIssuer.set(issuer, (items = []));
    items.push(item);
    q.size++;
    this._queued++;
    this.pending.set(issuer, p + 1);
    return undefined;
  }

  /**
   * The next item to process, admitted (counted as running until `finish`), or undefined when
   * nothing waits or `maxRunning` are running. Round robin: the connection served goes to the back
   * of the ring, and within it the issuer served goes to the back of its issuers. In the reserved
   * turns only the first waiting connection with nothing running is served.
   */
  next(): Admitted<C, T> | undefined {
    if (this._running >= this.limits.maxRunning) return undefined;
    const reserved = this._running >= this.limits.maxRunning - this.limits.reservedForIdle;
    let pick: [C, ConnectionQueue<T>] | undefined;
    for (const entry of this.ring) {
      if (!reserved || !this.runningBy.has(entry[0])) {
        pick = entry;
        break;
      }
    }
    if (!pick) return undefined;
    const [conn, q] = pick;
    const [issuer, items] = q.byIssuer.entries().next().value as [string, T[]];
    const item = items.shift() as T;
    q.byIssuer.delete(issuer);
    if (items.length) q.byIssuer.set(issuer, items);
    q.size--;
    this.ring.delete(conn);
    if (q.size) this.ring.set(conn, q);
    this._queued--;
    this._running++;
    this.runningBy.set(conn, (this.runningBy.get(conn) ?? 0) + 1);
    return { conn, issuer, item };
  }

  /** An admitted item of `conn` and `issuer` is done. */
  finish(conn: C, issuer: string): void {
    this._running--;
    const r = (this.runningBy.get(conn) ?? 0) - 1;
    if (r > 0) this.runningBy.set(conn, r);
    else this.runningBy.delete(conn);
    this.release(issuer, 1);
  }

  /** Removes everything the connection has waiting (it closed); returns the items, oldest first per issuer. */
  dropConnection(conn: C): T[] {
    const q = this.ring.get(conn);
    if (!q) return [];
    this.ring.delete(conn);
    const dropped: T[] = [];
    for (const [issuer, items] of q.byIssuer) {
      this.release(issuer, items.length);
      dropped.push(...items);
    }
    this._queued -= dropped.length;
    return dropped;
  }

  private release(issuer: string, n: number): void {
    const p = (this.pending.get(issuer) ?? 0) - n;
    if (p > 0) this.pending.set(issuer, p);
    else this.pending.delete(issuer);
  }
}

interface Task {
  run: (release: () => void) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * Runs tasks (the node's submit) through a FairQueue: at most maxRunning at once, fairly ordered.
 * A task holds its turn until it calls `release` (the submission passed the node's CPU stages) or
 * settles, whichever comes first.
 */
export class FairScheduler<C> {
  private readonly queue: FairQueue<C, Task>;

  constructor(limits: FairQueueLimits) {
    this.queue = new FairQueue(limits);
  }

  get running(): number {
    return this.queue.running;
  }

  get queued(): number {
    return this.queue.queued;
  }

  /** Whether `conn` has nothing waiting or being processed (its next submission is a lone one). */
  idle(conn: C): boolean {
    return this.queue.runningFor(conn) === 0 && this.queue.queuedFor(conn) === 0;
  }

  /**
   * Runs `task` when its turn comes; refuses at once (nothing run) with ERR_TOO_MANY_IN_FLIGHT when
   * the connection's queue is full, ERR_ISSUER_BUSY when the issuer has too much pending.
   */
  run<R>(conn: C, issuer: string, task: (release: () => void) => Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const refusal = this.queue.push(conn, issuer, { run: task, resolve: resolve as (v: unknown) => void, reject });
      if (refusal === "connection") {
        reject(new ApiError(E.TOO_MANY_IN_FLIGHT, `at most ${this.queue.limits.maxQueuedPerConnection} submissions of one connection wait at once`));
        return;
      }
      if (refusal === "issuer") {
        reject(new ApiError(E.ISSUER_BUSY, `at most ${this.queue.limits.maxPendingPerIssuer} submissions of one issuer wait or are processed at once; retry once some are acknowledged`));
        return;
      }
      this.pump();
    });
  }

  /** Drops the connection's waiting tasks (it closed): they reject with `reason` and never run. */
  dropConnection(conn: C, reason: Error): void {
    for (const t of this.queue.dropConnection(conn)) t.reject(reason);
  }

  private pump(): void {
    for (let a = this.queue.next(); a; a = this.queue.next()) {
      const { conn, issuer, item } = a;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.queue.finish(conn, issuer);
        // The next turn starts after the current caller's step, never inside it.
        queueMicrotask(() => this.pump());
      };
      let p: Promise<unknown>;
      try {
        p = item.run(release);
      } catch (err) {
        p = Promise.reject(err);
      }
      p.then(item.resolve, item.reject).finally(release);
    }
  }
}
