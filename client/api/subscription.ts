/**
 * One local subscription to a topic: listeners (`on`) and an async iterator over the pushes. Pushes
 * are buffered for the iterator up to a bound; beyond it the oldest are dropped and counted, so a
 * consumer that stops reading cannot grow memory without limit.
 */
export class Subscription<T> implements AsyncIterableIterator<T> {
  private readonly queue: T[] = [];
  private readonly waiters: ((r: IteratorResult<T>) => void)[] = [];
  private readonly handlers = new Set<(data: T) => void>();
  private closed = false;
  /** Pushes dropped from the iterator buffer because nobody read them in time. */
  dropped = 0;

  constructor(
    readonly topic: string,
    private readonly release: (s: Subscription<T>) => Promise<void>,
    private readonly maxBuffered = 1000,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /** Calls `fn` for every push from now on; returns a function that stops it. */
  on(fn: (data: T) => void): () => void {
    this.handlers.add(fn);
    return () => this.handlers.delete(fn);
  }

  /** Called by the client for each push of the topic. */
  deliver(data: T): void {
    if (this.closed) return;
    for (const fn of [...this.handlers]) fn(data);
    const w = this.waiters.shift();
    if (w) w({ value: data, done: false });
    else {
      this.queue.push(data);
      if (this.queue.length > this.maxBuffered) {
        this.queue.shift();
        this.dropped++;
      }
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) return Promise.resolve({ value: this.queue.shift()!, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async return(): Promise<IteratorResult<T>> {
    await this.close();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Ends the subscription: the iterator finishes, and the node is told once no one else listens. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.end();
    await this.release(this);
  }

  /** Ends local delivery without talking to the node (client closed). */
  end(): void {
    this.closed = true;
    this.handlers.clear();
    this.queue.length = 0;
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
  }
}
