/**
 * The client's subscription plumbing: which topics are subscribed on the node, the local
 * Subscriptions that share each one, delivering pushes to them, subscribing again after every
 * reconnection, and unsubscribing on the node when the last local one for a topic ends.
 *
 * It talks to the node only through the connection's `request` (connection.ts), which calls
 * `restore`, `deliver` and `endAll` at the right moments of the connection's life.
 */
import { SHARED_API_LIMITS } from "../protocol/limits";
import { ClientErrorCode as C, TangleClientError } from "./errors";
import type { ConnectionState, RequestOptions } from "./options";
import { normalizeTopic } from "./params";
import { Subscription } from "./subscription";

/** Topics per subscribe request and subscriptions per connection (the node's limits). */
const MAX_TOPICS_PER_REQUEST = SHARED_API_LIMITS.maxTopicsPerRequest;
const MAX_SUBSCRIPTIONS = SHARED_API_LIMITS.maxSubscriptionsPerConnection;

/** What the plumbing needs of the connection. */
export interface SubscriptionTransport {
  state(): ConnectionState;
  request(method: string, params?: Record<string, unknown>, options?: RequestOptions): Promise<unknown>;
  /** Reports an error not tied to a caller (a failed re-subscription). */
  reportError(err: Error): void;
}

export class Subscriptions {
  private readonly topics = new Map<string, Set<Subscription<unknown>>>();

  constructor(
    private readonly transport: SubscriptionTransport,
    private readonly maxBufferedPushes: number,
  ) {}

  /**
   * Subscribes to a topic. Several local subscriptions to one topic share one subscription on the
   * node: only the first asks the node.
   */
  async subscribe<T>(topic: string, o?: RequestOptions): Promise<Subscription<T>> {
    const norm = normalizeTopic(topic);
    const sub = new Subscription<T>(norm, (s) => this.release(s as Subscription<unknown>), this.maxBufferedPushes);
    let set = this.topics.get(norm);
    const first = !set;
    if (!set) {
      if (this.topics.size >= MAX_SUBSCRIPTIONS) throw new TangleClientError(C.BAD_ARGUMENT, `at most ${MAX_SUBSCRIPTIONS} topics per connection`);
      this.topics.set(norm, (set = new Set()));
    }
    set.add(sub as Subscription<unknown>);
    if (first) {
      try {
        await this.transport.request("subscribe", { topics: [norm] }, o);
      } catch (err) {
        set.delete(sub as Subscription<unknown>);
        if (set.size === 0) this.topics.delete(norm);
        sub.end();
        throw err;
      }
    }
    return sub;
  }

  private async release(sub: Subscription<unknown>): Promise<void> {
    const set = this.topics.get(sub.topic);
    if (!set || !set.delete(sub) || set.size > 0) return;
    this.topics.delete(sub.topic);
    if (this.transport.state() !== "open") return; // not restored on the next open anyway
    try {
      await this.transport.request("unsubscribe", { topics: [sub.topic] });
    } catch {
      /* the connection went away: nothing to undo */
    }
  }

  /** Subscribes every topic again on a new connection, in requests of at most the node's topic limit. */
  restore(): void {
    const topics = [...this.topics.keys()];
    for (let i = 0; i < topics.length; i += MAX_TOPICS_PER_REQUEST) {
      const chunk = topics.slice(i, i + MAX_TOPICS_PER_REQUEST);
      this.transport.request("subscribe", { topics: chunk }).catch((err: Error) => this.transport.reportError(err));
    }
  }

  /**
   * Hands a push to every local subscription of its topic. The topic's subscribers are looked up
   * when this is called, so the connection calls it before its own `push` listeners run and calls
   * the returned function after them.
   */
  deliverer(topic: string): (data: unknown) => void {
    const subs = this.topics.get(topic);
    return (data) => {
      if (subs) for (const s of [...subs]) s.deliver(data);
    };
  }

  /** Ends every local subscription (the client closed for good). */
  endAll(): void {
    for (const subs of this.topics.values()) for (const s of subs) s.end();
    this.topics.clear();
  }

  /** Topics subscribed on the node (restored after reconnecting). */
  list(): string[] {
    return [...this.topics.keys()];
  }
}
