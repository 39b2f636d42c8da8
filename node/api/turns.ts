/**
 * Turns: the order in which the API server runs the requests it has read. Every connection has a
 * queue of requests ready to run; the queues are served round robin, one request per connection
 * per round, in slices of at most `sliceMs` of work, and between slices the event loop reads the
 * sockets again. So a connection that pipelines hundreds of expensive requests (a getStream page of
 * 170 KiB each) delays another connection's request by at most one round of the connections that
 * have work, not by its whole backlog: before, every request of a socket read ran before the next
 * read, and 32 such clients kept an honest client waiting 4 s.
 *
 * A connection that is not to be served now (paused for backpressure) keeps its queue and leaves
 * the round until `wake`. Pure scheduling: no I/O; the clock and the way a slice is scheduled are
 * given (the server uses performance.now and setImmediate).
 */

export interface TurnsOptions<C> {
  /** Whether `conn` may run a request now (false: paused; its requests wait). */
  ready(conn: C): boolean;
  /** Work per slice before yielding to the event loop, in the clock's units (ms). */
  sliceMs: number;
  now(): number;
  /** Runs `fn` after pending I/O (setImmediate in the server). */
  later(fn: () => void): void;
}

export class Turns<C> {
  private readonly queues = new Map<C, (() => void)[]>();
  /** Connections with requests and ready, in the order they are served. */
  private readonly ring: C[] = [];
  private readonly inRing = new Set<C>();
  private scheduled = false;

  constructor(private readonly opts: TurnsOptions<C>) {}

  /** Queues `task` (one request) for `conn`. */
  enqueue(conn: C, task: () => void): void {
    let q = this.queues.get(conn);
    if (!q) this.queues.set(conn, (q = []));
    q.push(task);
    this.join(conn);
  }

  /** Requests waiting for `conn`. */
  waiting(conn: C): number {
    return this.queues.get(conn)?.length ?? 0;
  }

  /** `conn` may be ready again (its backpressure cleared): it rejoins the round if it has work. */
  wake(conn: C): void {
    if (this.waiting(conn) > 0) this.join(conn);
  }

  /** Forgets `conn` and its waiting requests (it closed). */
  drop(conn: C): void {
    this.queues.delete(conn);
    if (this.inRing.delete(conn)) this.ring.splice(this.ring.indexOf(conn), 1);
  }

  private join(conn: C): void {
    if (!this.inRing.has(conn)) {
      this.inRing.add(conn);
      this.ring.push(conn);
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.ring.length === 0) return;
    this.scheduled = true;
    this.opts.later(() => this.slice());
  }

  /** One slice: rounds of one request per ready connection until the ring is empty or the slice is spent. */
  private slice(): void {
    this.scheduled = false;
    const start = this.opts.now();
    while (this.ring.length > 0 && this.opts.now() - start < this.opts.sliceMs) {
      const conn = this.ring.shift()!;
      this.inRing.delete(conn);
      const q = this.queues.get(conn);
      if (!q || q.length === 0 || !this.opts.ready(conn)) continue; // leaves the round until enqueue or wake
      const task = q.shift()!;
      if (q.length > 0) {
        this.inRing.add(conn);
        this.ring.push(conn);
      }
      task();
    }
    this.schedule();
  }
}
