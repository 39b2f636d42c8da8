/**
 * The client API server: WebSocket with msgpack frames, plus plain HTTP on the same port for
 * `GET /health` and `GET /metrics`.
 *
 *   request   {id, method, params}   →   {id, result}  |  {id, error: {code, message}}
 *   push      {topic, data}
 *
 * Nothing a client sends can crash the node or change state outside the methods' own contracts:
 * frames are size-limited before they are buffered (ws maxPayload), undecodable frames and bad
 * requests get coded errors (frames are encoded and decoded by client/protocol/frame.ts, shared with the
 * client: integers always as MessagePack integers), and every handler runs inside a catch that turns surprises into
 * ERR_INTERNAL. Limits: ./limits.ts.
 */
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer, RawData } from "ws";
import { packFrame, unpackFrame } from "../../client/protocol/frame";
import type { PowPool } from "../../client/pow";
import { AdaptivePow } from "../adaptive-pow";
import type { NodeMetrics } from "../node-metrics";
import type { TangleNode } from "../tangle-node";
import type { MilestoneEvent, TransactionEvent } from "../events";
import type { TopicPush } from "../../client/api/types";
import type { Logger } from "../logger";
import { API_LIMITS } from "./limits";
import { ApiError, ApiErrorCode as E, CloseCode } from "./errors";
import { Caller, createMethods, Method, MethodContext } from "./methods";
import { FairScheduler } from "./fair-queue";
import { publishMilestone, publishTransaction, PushSink, TopicRef } from "./topics";
import { Turns } from "./turns";
import type { PeerManager } from "../peering/peers";
import { PEER_PATH } from "../peering/protocol";
import { sendCorked } from "../net/corked-send";

export interface ApiServerOptions {
  node: TangleNode;
  port: number;
  host: string;
  log: Logger;
  version: string;
  /** Pool for remote proof of work; absent = disabled. */
  powPool?: PowPool;
  /** Peering: handles `/peer` upgrades, answers the peer methods, tells whether we are synced. */
  peering?: PeerManager;
  /** Token for the admin methods (addPeer, removePeer); absent = admin disabled. */
  adminToken?: string;
  /** The committee change queue of a node that holds a committee key (committee/change-queue.ts). */
  committeeChanges?: MethodContext["committeeChanges"];
  /** The node's metrics (made by the composition root): this server counts requests into them and renders them at /metrics. */
  metrics: NodeMetrics;
  /** Why the node is not making progress (a stalled coordinator, a ledger that does not follow its peers), or undefined. */
  stalled?: () => string | undefined;
}

/** What a connection reports to the server: a held request to handle now, a backpressure event to count, reading resumed. */
interface ConnectionHooks {
  handle(c: Connection, data: RawData, isBinary: boolean): void;
  resumed(c: Connection): void;
  backpressure(event: "paused" | "push_dropped" | "closed"): void;
}

/**
 * One client connection. Backpressure: when its send buffer (ws `bufferedAmount`: the socket's
 * unsent bytes plus ws's own queue) goes over API_LIMITS.maxBufferedBytesPerConnection, the
 * connection is paused: its socket is not read (ws `pause()`), and requests ws had already parsed
 * from the last read wait in `held`, unanswered, so no new answers are made for a client that does
 * not read them. ws has no drain event on a WebSocket, so a timer looks at the buffer every
 * drainPollMs: under half the bound, reading resumes and the held requests are handled in order;
 * still over the bound after maxBufferedStallMs, the connection is closed with 1008.
 *
 * Requests run in turns across connections (./turns.ts), and only while their connection is being
 * read: one parsed before the pause but whose turn comes after it waits in its queue (it counts as
 * in flight). Without this, every request of the read that filled the buffer was answered anyway
 * (up to maxInFlightPerConnection answers of a getStream page each: a connection held ~15 MiB, not 4).
 */
class Connection implements Caller {
  /** Subscribed topic (as the client named it) → the key it is published under. */
  readonly topics = new Map<string, string>();
  powTimes: number[] = [];
  inFlight = 0;
  tokens: number = API_LIMITS.maxRequestsPerSecond;
  lastRefill = Date.now();
  /** Refusals for rate since the connection last went rateViolationQuietMs without one. */
  violations = 0;
  lastRefusalMs = 0;
  alive = true;
  /** Requests parsed while paused, handled in order when the send buffer drains. */
  readonly held: [RawData, boolean][] = [];
  /** When reading was paused for backpressure (0: reading). */
  pausedAt = 0;
  private drainTimer?: NodeJS.Timeout;
  constructor(
    readonly ws: WebSocket,
    private readonly hub: Hub,
    private readonly hooks: ConnectionHooks,
  ) {}
  subscribe(topics: TopicRef[]): string[] {
    const fresh = new Map(topics.filter((t) => !this.topics.has(t.name)).map((t) => [t.name, t.key]));
    if (this.topics.size + fresh.size > API_LIMITS.maxSubscriptionsPerConnection) {
      throw new ApiError(E.TOO_MANY_SUBSCRIPTIONS, `at most ${API_LIMITS.maxSubscriptionsPerConnection} subscriptions per connection`);
    }
    for (const [name, key] of fresh) {
      this.topics.set(name, key);
      this.hub.add(key, name, this);
    }
    return topics.map((t) => t.name);
  }
  unsubscribe(topics: TopicRef[]): string[] {
    for (const t of topics) {
      if (this.topics.delete(t.name)) this.hub.remove(t.key, t.name, this);
    }
    return topics.map((t) => t.name);
  }
  /** Token bucket; returns false when the request must be refused. */
  take(now: number): boolean {
    const rate = API_LIMITS.maxRequestsPerSecond;
    this.tokens = Math.min(rate, this.tokens + ((now - this.lastRefill) * rate) / 1000);
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
  send(msg: unknown): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    sendCorked(this.ws, packFrame(msg));
    if (this.pausedAt === 0 && this.ws.bufferedAmount > API_LIMITS.maxBufferedBytesPerConnection) this.pause();
  }
  /** A push, unless the client is not reading what it was sent: then it is dropped (and counted). */
  push(frame: Uint8Array): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.pausedAt !== 0 || this.ws.bufferedAmount > API_LIMITS.maxBufferedBytesPerConnection) {
      this.hooks.backpressure("push_dropped");
      return;
    }
    sendCorked(this.ws, frame);
  }
  private pause(): void {
    this.pausedAt = Date.now();
    this.ws.pause();
    this.hooks.backpressure("paused");
    this.drainTimer = setInterval(() => this.poll(), API_LIMITS.drainPollMs);
    this.drainTimer.unref();
  }
  private poll(): void {
    if (this.ws.readyState !== WebSocket.OPEN) return this.stop();
    if (this.ws.bufferedAmount <= API_LIMITS.maxBufferedBytesPerConnection / 2) {
      this.stop();
      this.pausedAt = 0;
      this.ws.resume();
      this.hooks.resumed(this);
      while (this.pausedAt === 0 && this.held.length > 0 && this.ws.readyState === WebSocket.OPEN) {
        const [data, isBinary] = this.held.shift()!;
        this.hooks.handle(this, data, isBinary);
      }
      return;
    }
    if (Date.now() - this.pausedAt >= API_LIMITS.maxBufferedStallMs) {
      this.stop();
      this.held.length = 0;
      this.hooks.backpressure("closed");
      this.ws.close(CloseCode.POLICY_VIOLATION, "not reading: send buffer over its bound too long");
      // The close frame waits behind the unread bytes; the socket goes regardless.
      setTimeout(() => this.ws.terminate(), 1000).unref();
    }
  }
  /** Stops the drain timer (the connection closed, or drained). */
  stop(): void {
    if (this.drainTimer) clearInterval(this.drainTimer);
    this.drainTimer = undefined;
  }
}

/**
 * Publishing key → topic name → subscribed connections. A key has several names when one thing
 * can be named several ways (an address as hex or as bech32m); each subscriber gets its pushes
 * under the name it subscribed with. What is pushed when: ./topics.ts.
 */
class Hub implements PushSink {
  private readonly subs = new Map<string, Map<string, Set<Connection>>>();
  add(key: string, name: string, c: Connection): void {
    let names = this.subs.get(key);
    if (!names) this.subs.set(key, (names = new Map()));
    let s = names.get(name);
    if (!s) names.set(name, (s = new Set()));
    s.add(c);
  }
  remove(key: string, name: string, c: Connection): void {
    const names = this.subs.get(key);
    const s = names?.get(name);
    if (!names || !s) return;
    s.delete(c);
    if (s.size === 0) names.delete(name);
    if (names.size === 0) this.subs.delete(key);
  }
  has(key: string): boolean {
    return this.subs.has(key);
  }
  publish(push: TopicPush): void {
    const names = this.subs.get(push.topic);
    if (!names) return;
    for (const [topic, s] of names) {
      const frame = packFrame({ topic, data: push.data });
      // A slow reader loses pushes rather than growing the node's memory.
      for (const c of s) c.push(frame);
    }
  }
}

export class ApiServer {
  readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly hub = new Hub();
  /** Requests read, run round robin across connections in slices (./turns.ts). */
  private readonly turns = new Turns<Connection>({
    ready: (c) => c.pausedAt === 0 && c.ws.readyState === WebSocket.OPEN,
    sliceMs: API_LIMITS.turnSliceMs,
    now: () => performance.now(),
    later: (fn) => setImmediate(fn),
  });
  private readonly connections = new Set<Connection>();
  private readonly methods: Record<string, Method>;
  /** Submissions in turn: round robin across connections and issuers, a few at once (./fair-queue.ts). */
  private readonly admission = new FairScheduler<Caller>({
    maxRunning: API_LIMITS.maxSubmissionsInProgress,
    reservedForIdle: API_LIMITS.reservedSubmissionsForIdleConnections,
    maxQueuedPerConnection: API_LIMITS.maxQueuedSubmissionsPerConnection,
    maxPendingPerIssuer: API_LIMITS.maxPendingSubmissionsPerIssuer,
  });
  /** The node's metrics (node/node-metrics.ts); this server counts requests and renders them. */
  readonly metrics: NodeMetrics;
  private pingTimer?: NodeJS.Timeout;
  private readonly unhook: (() => void)[] = [];

  constructor(private readonly opts: ApiServerOptions) {
    const node = opts.node;
    const powCtx = opts.powPool ? { pool: opts.powPool, queued: 0 } : undefined;
    this.methods = createMethods({ node, adaptive: new AdaptivePow(), pow: powCtx, peering: opts.peering, adminToken: opts.adminToken, committeeChanges: opts.committeeChanges, version: opts.version, admission: this.admission });
    this.metrics = opts.metrics;
    this.http = http.createServer((req, res) => this.onHttp(req, res));
    this.wss = new WebSocketServer({ noServer: true, maxPayload: API_LIMITS.maxFrameBytes });
    this.http.on("upgrade", (req, socket, head) => {
      if ((req.url ?? "/").split("?")[0] === PEER_PATH) {
        if (opts.peering) opts.peering.handleUpgrade(req, socket, head);
        else socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
        return;
      }
      if (this.connections.size >= API_LIMITS.maxConnections) {
        socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n");
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
    });
    this.installPushes();
  }

  private installPushes(): void {
    const node = this.opts.node;
    const hub = this.hub;
    const onTx = (e: TransactionEvent) => publishTransaction(e, hub);
    const stored = (id: string) => node.coneView.get(Buffer.from(id, "hex"))?.tx;
    const onMilestone = (ms: MilestoneEvent) => publishMilestone(ms, stored, hub);
    node.on("transaction", onTx);
    node.on("milestone", onMilestone);
    this.unhook.push(() => {
      node.off("transaction", onTx);
      node.off("milestone", onMilestone);
    });
  }

  private onHttp(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && url === "/health") {
      const node = this.opts.node;
      const peering = this.opts.peering;
      const reason = node.closed
        ? "shutting down"
        : node.diverged
          ? `ledger diverged at milestone ${node.diverged.index}: ${node.diverged.code}`
          : node.store.damagedCount
            ? `storage damaged: ${node.store.damagedCount} transactions fail their id check; run tangle check`
            : !node.writable
              ? (node.space.state.reason ?? "storage full")
              : (this.opts.stalled?.() ?? (peering && !peering.synced ? (peering.syncProblem ?? `syncing: milestone ${node.ledgerIndex} of ${peering.bestKnownMilestone}`) : null));
      const body = JSON.stringify(reason ? { status: "unhealthy", reason } : { status: "ok", milestoneIndex: node.ledgerIndex, storedTransactions: node.storedTransactions });
      res.writeHead(reason ? 503 : 200, { "content-type": "application/json" });
      res.end(body);
      return;
    }
    if (req.method === "GET" && url === "/metrics") {
      this.metrics.render().then(
        (text) => {
          res.writeHead(200, { "content-type": this.metrics.contentType });
          res.end(text);
        },
        (err: Error) => {
          this.opts.log.warn({ err: err.message }, "metrics not rendered");
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { code: E.INTERNAL, message: "metrics could not be rendered" } }));
        },
      );
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { code: E.NOT_FOUND, message: "GET /health, GET /metrics, or a WebSocket upgrade" } }));
  }

  private readonly hooks: ConnectionHooks = {
    handle: (c, data, isBinary) => this.onMessage(c, data, isBinary),
    backpressure: (event) => this.metrics.apiBackpressure.inc({ event }),
    resumed: (c) => this.turns.wake(c),
  };

  private onConnection(ws: WebSocket): void {
    const c = new Connection(ws, this.hub, this.hooks);
    this.connections.add(c);
    ws.on("pong", () => (c.alive = true));
    ws.on("message", (data: RawData, isBinary: boolean) => this.onMessage(c, data, isBinary));
    ws.on("error", () => ws.terminate());
    ws.on("close", () => {
      c.stop();
      c.held.length = 0;
      this.turns.drop(c);
      // Its submissions still waiting for their turn are not processed: nobody would read the answer.
      this.admission.dropConnection(c, new ApiError(E.INTERNAL, "the connection closed before the submission's turn"));
      this.connections.delete(c);
      for (const [name, key] of c.topics) this.hub.remove(key, name, c);
      c.topics.clear();
    });
  }

  private onMessage(c: Connection, data: RawData, isBinary: boolean): void {
    // Paused for backpressure: ws still hands over what it parsed from the last read; it waits.
    if (c.pausedAt !== 0) {
      c.held.push([data, isBinary]);
      return;
    }
    const now = Date.now();
    const allowed = c.take(now);
    if (!allowed) {
      c.lastRefusalMs = now;
      if (++c.violations >= API_LIMITS.maxRateViolations) {
        c.ws.close(CloseCode.POLICY_VIOLATION, "request rate limit exceeded repeatedly");
        return;
      }
    } else if (c.violations > 0 && now - c.lastRefusalMs >= API_LIMITS.rateViolationQuietMs) c.violations = 0;
    let req: unknown;
    try {
      if (!isBinary) throw new Error("text frame");
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      req = unpackFrame(buf);
    } catch {
      c.send({ id: null, error: { code: E.BAD_FRAME, message: "frames must be binary msgpack" } });
      return;
    }
    const r = req as { id?: unknown; method?: unknown; params?: unknown };
    const id = r && typeof r === "object" && (typeof r.id === "number" || typeof r.id === "string") ? r.id : null;
    // Refused for rate only after decoding, so the error names the request it answers.
    if (!allowed) {
      c.send({ id, error: { code: E.RATE_LIMITED, message: `more than ${API_LIMITS.maxRequestsPerSecond} requests per second` } });
      return;
    }
    if (id === null || typeof r.method !== "string" || (r.params !== undefined && (typeof r.params !== "object" || r.params === null || Array.isArray(r.params)))) {
      c.send({ id, error: { code: E.BAD_REQUEST, message: "a request is {id: number|string, method: string, params?: object}" } });
      return;
    }
    const method = Object.prototype.hasOwnProperty.call(this.methods, r.method) ? this.methods[r.method] : undefined;
    if (!method) {
      c.send({ id, error: { code: E.UNKNOWN_METHOD, message: `unknown method '${r.method.slice(0, 64)}'` } });
      return;
    }
    if (c.inFlight >= API_LIMITS.maxInFlightPerConnection) {
      c.send({ id, error: { code: E.TOO_MANY_IN_FLIGHT, message: `at most ${API_LIMITS.maxInFlightPerConnection} requests in flight per connection` } });
      return;
    }
    this.metrics.apiRequests.inc({ method: r.method });
    c.inFlight++;
    // The in-flight count drops before the answer goes out: a client that sends its next request
    // on receiving this answer must never find the slot still taken.
    const ok = (result: unknown) => {
      c.inFlight--;
      c.send({ id, result });
    };
    const fail = (err: unknown) => {
      c.inFlight--;
      const e = err as { code?: unknown; message?: string };
      // An API error's details travel as `data` (ERR_PRUNED: {pruningIndex}).
      const data = err instanceof ApiError && err.details ? { data: err.details } : {};
      if (typeof e?.code === "string" && e.code.startsWith("ERR_")) c.send({ id, error: { code: e.code, message: e.message ?? e.code, ...data } });
      else {
        this.opts.log.error({ err, method: r.method }, "request failed");
        c.send({ id, error: { code: E.INTERNAL, message: "internal error" } });
      }
    };
    // A synchronous method's answer is sent in the same turn it is made, so the pause that its
    // answer may cause stops the connection's next request from running (see Connection).
    const run = () => {
      let out: unknown;
      try {
        out = method((r.params as Record<string, unknown>) ?? {}, c);
      } catch (err) {
        return fail(err);
      }
      if (out instanceof Promise) out.then(ok, fail);
      else ok(out);
    };
    this.turns.enqueue(c, run);
  }

  /** Open client connections (the metrics read it). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen(this.opts.port, this.opts.host, () => {
        this.http.off("error", reject);
        this.pingTimer = setInterval(() => {
          for (const c of this.connections) {
            if (!c.alive) {
              c.ws.terminate();
              continue;
            }
            c.alive = false;
            c.ws.ping();
          }
        }, API_LIMITS.pingIntervalMs);
        this.pingTimer.unref();
        resolve((this.http.address() as AddressInfo).port);
      });
    });
  }

  /** Closes every connection (1001) and stops listening. */
  async close(): Promise<void> {
    if (this.pingTimer) clearInterval(this.pingTimer);
    for (const u of this.unhook) u();
    for (const c of this.connections) c.ws.close(CloseCode.GOING_AWAY, "node shutting down");
    await new Promise<void>((resolve) => {
      this.wss.close(() => resolve());
    });
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    for (const c of this.connections) c.ws.terminate();
  }
}
