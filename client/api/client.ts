/**
 * The node API client: one WebSocket, msgpack frames, typed methods for every node method
 * (docs/api.md), subscriptions, request timeouts, and reconnection with exponential backoff that
 * restores the subscriptions.
 *
 * Connection life:  connecting → open → (dropped) → waiting (backoff) → connecting → … → closed.
 * Requests made while not open wait in a queue and go out on the next open (their timeout runs
 * from the call). Requests in flight when the socket drops fail with ERR_CLIENT_DISCONNECTED: the
 * node may or may not have handled them, so callers retry only what is idempotent (submitting a
 * transaction is: the node answers `duplicate: true` for one it has).
 *
 * Runs in Node and browsers: the WebSocket is injected (socket.ts), nothing here imports Node.
 */
import { toHex } from "../protocol/bytes";
import { packFrame, unpackFrame } from "../protocol/frame";
import { backoffDelayMs } from "../util/backoff";
import { Emitter } from "./emitter";
import { abortError, ClientErrorCode as C, NodeApiError, TangleClientError } from "./errors";
import { defaultWebSocket, frameBytes, WebSocketConstructor, WebSocketLike, WS_OPEN } from "./socket";
import { Subscription } from "./subscription";
import type {
  Balance,
  Bytes32,
  Difficulty,
  Milestone,
  NodeInfo,
  Outputs,
  StreamPage,
  SubmitResult,
  Topic,
  TopicData,
  TransactionBytes,
  TransactionMetadata,
  WireResult,
} from "./types";
import { SHARED_API_LIMITS } from "../protocol/limits";

/** Topics per subscribe request and subscriptions per connection (the node's limits). */
const MAX_TOPICS_PER_REQUEST = SHARED_API_LIMITS.maxTopicsPerRequest;
const MAX_SUBSCRIPTIONS = SHARED_API_LIMITS.maxSubscriptionsPerConnection;

export interface BackoffOptions {
  /** First delay after a drop (default 100 ms). */
  initialMs?: number;
  /** Longest delay (default 5000 ms). */
  maxMs?: number;
  /** Growth per failed attempt (default 2). */
  factor?: number;
  /** Random spread, as a share of the delay (default 0.2). */
  jitter?: number;
}

/** Reconnect delays unless the caller says otherwise: 100 ms, doubling, at most 5 s, ±20 %. */
export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 100, maxMs: 5000, factor: 2, jitter: 0.2 };

export interface ApiClientOptions {
  /** WebSocket constructor (default: the registered or global one; see socket.ts). */
  WebSocket?: WebSocketConstructor;
  /** Default timeout of a request, from the call to the answer (default 15000 ms). */
  requestTimeoutMs?: number;
  /** Reconnect after a drop (default true). */
  reconnect?: boolean;
  backoff?: BackoffOptions;
  /** Consecutive failed connection attempts before giving up and closing (default: never). */
  maxReconnectAttempts?: number;
  /** Pushes buffered per subscription for its iterator (default 1000). */
  maxBufferedPushes?: number;
}

export interface RequestOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type ConnectionState = "connecting" | "open" | "waiting" | "closed";

export interface ClientEvents extends Record<string, unknown> {
  /** The connection is open (the first time and after each reconnection). */
  open: { reconnected: boolean };
  /** Open again after a drop, subscriptions restored. Pushes sent meanwhile were missed. */
  reconnect: { attempts: number };
  /** The connection dropped. */
  disconnect: { code: number; reason: string };
  /** An error not tied to a request (e.g. the node refused an unattributable frame). */
  error: Error;
  /** Every push, whatever the topic. */
  push: { topic: string; data: unknown };
  closed: undefined;
}

interface Pending {
  id: number;
  method: string;
  frame: Uint8Array;
  sent: boolean;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  cleanup: () => void;
}

const HEX32 = /^[0-9a-fA-F]{64}$/;

/** 32 bytes as lowercase hex; throws ERR_CLIENT_BAD_ARGUMENT naming the parameter. */
export function hex32(name: string, v: Bytes32): string {
  if (v instanceof Uint8Array && v.length === 32) return toHex(v);
  if (typeof v === "string" && HEX32.test(v)) return v.toLowerCase();
  throw new TangleClientError(C.BAD_ARGUMENT, `${name} must be 32 bytes or 64 hex characters`);
}

/**
 * An address parameter: 32 bytes or 64 hex characters (sent as lowercase hex), or a bech32m address
 * (sent as it is, lowercased when all uppercase; the node checks its checksum and network prefix).
 */
export function addressParam(name: string, v: Bytes32): string {
  if (typeof v === "string" && !HEX32.test(v) && /^[0-9a-zA-Z]{8,90}$/.test(v) && v.includes("1")) return v === v.toUpperCase() ? v.toLowerCase() : v;
  return hex32(name, v);
}

/** A topic as the node names it in `subscribed` and pushes: hex and all-uppercase bech32m lowercased. */
export function normalizeTopic(topic: string): string {
  return topic.replace(/^(address|tx|stream):([0-9A-Za-z]+)$/, (m, kind: string, id: string) => (HEX32.test(id) || id === id.toUpperCase() ? `${kind}:${id.toLowerCase()}` : m));
}

function bigintOf(name: string, v: unknown): bigint {
  if (typeof v === "string" && /^\d+$/.test(v)) return BigInt(v);
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  throw new TangleClientError(C.BAD_RESPONSE, `${name} is not a decimal amount`);
}

export class ApiClient extends Emitter<ClientEvents> {
  readonly url: string;
  private readonly WS: WebSocketConstructor;
  private readonly opts: Required<Omit<ApiClientOptions, "WebSocket" | "backoff">> & { backoff: Required<BackoffOptions> };
  private ws?: WebSocketLike;
  private _state: ConnectionState = "connecting";
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly queue: Pending[] = [];
  private readonly topics = new Map<string, Set<Subscription<unknown>>>();
  private attempts = 0;
  private everOpened = false;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private openWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(url: string, options: ApiClientOptions = {}) {
    super();
    if (typeof url !== "string" || !/^wss?:\/\//.test(url)) throw new TangleClientError(C.BAD_ARGUMENT, `url must start with ws:// or wss://, got '${String(url)}'`);
    const WS = options.WebSocket ?? defaultWebSocket();
    if (!WS) throw new TangleClientError(C.NO_WEBSOCKET, "no WebSocket implementation: pass { WebSocket } or import the Node entry point (client/node)");
    this.url = url;
    this.WS = WS;
    this.opts = {
      requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
      reconnect: options.reconnect ?? true,
      maxReconnectAttempts: options.maxReconnectAttempts ?? Infinity,
      maxBufferedPushes: options.maxBufferedPushes ?? 1000,
      backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
    };
    this.open();
  }

  /** A client whose connection is open; rejects with ERR_CLIENT_CONNECT after `timeoutMs`. */
  static async connect(url: string, options: ApiClientOptions & { connectTimeoutMs?: number } = {}): Promise<ApiClient> {
    const c = new ApiClient(url, options);
    try {
      await c.ready(options.connectTimeoutMs ?? 10_000);
      return c;
    } catch (err) {
      c.close();
      throw err;
    }
  }

  get state(): ConnectionState {
    return this._state;
  }

  /** Resolves when the connection is open (now or later), or rejects after `timeoutMs`. */
  ready(timeoutMs = this.opts.requestTimeoutMs): Promise<void> {
    if (this._state === "open") return Promise.resolve();
    if (this._state === "closed") return Promise.reject(new TangleClientError(C.CLOSED, "client closed"));
    return new Promise<void>((resolve, reject) => {
      const w = {
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
        reject: (e: Error) => {
          clearTimeout(t);
          reject(e);
        },
      };
      const t = setTimeout(() => {
        this.openWaiters = this.openWaiters.filter((x) => x !== w);
        reject(new TangleClientError(C.CONNECT, `could not connect to ${this.url} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.openWaiters.push(w);
    });
  }

  // ---- connection -----------------------------------------------------------------------------

  private open(): void {
    this._state = "connecting";
    let ws: WebSocketLike;
    try {
      ws = new this.WS(this.url);
    } catch (err) {
      this.emit("error", err as Error);
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.binaryType = "arraybuffer";
    ws.onopen = () => this.onOpen(ws);
    ws.onmessage = (ev) => this.onMessage(ev.data);
    ws.onerror = () => {
      /* a close event follows; errors are reported there */
    };
    ws.onclose = (ev) => this.onClose(ws, ev?.code ?? 1006, ev?.reason ?? "");
  }

  private onOpen(ws: WebSocketLike): void {
    if (ws !== this.ws || this._state === "closed") return;
    const reconnected = this.everOpened;
    const attempts = this.attempts;
    this.everOpened = true;
    this.attempts = 0;
    this._state = "open";
    // Subscriptions first, so pushes caused by queued requests are not missed.
    const topics = [...this.topics.keys()];
    for (let i = 0; i < topics.length; i += MAX_TOPICS_PER_REQUEST) {
      const chunk = topics.slice(i, i + MAX_TOPICS_PER_REQUEST);
      this.request("subscribe", { topics: chunk }).catch((err: Error) => this.emit("error", err));
    }
    for (const p of this.queue.splice(0)) this.transmit(p);
    for (const w of this.openWaiters.splice(0)) w.resolve();
    this.emit("open", { reconnected });
    if (reconnected) this.emit("reconnect", { attempts });
  }

  private onClose(ws: WebSocketLike, code: number, reason: string): void {
    if (ws !== this.ws) return;
    this.ws = undefined;
    const wasOpen = this._state === "open";
    for (const p of [...this.pending.values()]) {
      if (!p.sent) continue;
      p.cleanup();
      p.reject(new TangleClientError(C.DISCONNECTED, `${p.method}: connection to ${this.url} dropped (${code}) before the answer`));
    }
    if (this._state === "closed") return;
    if (wasOpen) this.emit("disconnect", { code, reason });
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this._state === "closed") return;
    this.attempts++;
    if (!this.opts.reconnect || this.attempts > this.opts.maxReconnectAttempts) {
      const err = new TangleClientError(C.CONNECT, `could not connect to ${this.url}`);
      for (const w of this.openWaiters.splice(0)) w.reject(err);
      this.shutdown(err);
      return;
    }
    this._state = "waiting";
    const delay = backoffDelayMs(this.attempts, this.opts.backoff);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this._state === "waiting") this.open();
    }, delay);
  }

  /** Drops the current connection as if the network had failed (tests, and a manual "retry now"). */
  reconnectNow(): void {
    if (this._state === "closed") return;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.open();
      return;
    }
    this.ws?.close(4000, "reconnect requested");
  }

  /** Closes the connection for good: pending and queued requests fail with ERR_CLIENT_CLOSED. */
  close(): void {
    this.shutdown(new TangleClientError(C.CLOSED, "client closed"));
  }

  private shutdown(err: Error): void {
    if (this._state === "closed") return;
    this._state = "closed";
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      ws.onclose = null;
      ws.onmessage = null;
      try {
        ws.close(1000, "client closed");
      } catch {
        /* already closing */
      }
    }
    for (const p of [...this.pending.values()]) {
      p.cleanup();
      p.reject(err);
    }
    this.queue.length = 0;
    for (const w of this.openWaiters.splice(0)) w.reject(err);
    for (const subs of this.topics.values()) for (const s of subs) s.end();
    this.topics.clear();
    this.emit("closed", undefined);
  }

  // ---- frames ---------------------------------------------------------------------------------

  private onMessage(data: unknown): void {
    const bytes = frameBytes(data);
    let msg: { id?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown }; topic?: unknown; data?: unknown };
    try {
      if (!bytes) throw new Error("not binary");
      msg = unpackFrame(bytes) as typeof msg;
      if (!msg || typeof msg !== "object") throw new Error("not a map");
    } catch {
      this.emit("error", new TangleClientError(C.BAD_RESPONSE, "undecodable frame from the node"));
      return;
    }
    if (typeof msg.topic === "string") {
      const subs = this.topics.get(msg.topic);
      this.emit("push", { topic: msg.topic, data: msg.data });
      if (subs) for (const s of [...subs]) s.deliver(msg.data);
      return;
    }
    const p = typeof msg.id === "number" ? this.pending.get(msg.id) : undefined;
    if (!p) {
      if (msg.error) this.emit("error", new NodeApiError(String(msg.error.code ?? C.BAD_RESPONSE), String(msg.error.message ?? ""), "(unattributed)"));
      return;
    }
    p.cleanup();
    if (msg.error && typeof msg.error === "object") p.reject(new NodeApiError(String(msg.error.code), String(msg.error.message ?? ""), p.method));
    else if ("result" in msg) p.resolve(msg.result);
    else p.reject(new TangleClientError(C.BAD_RESPONSE, `${p.method}: response without result or error`));
  }

  private transmit(p: Pending): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WS_OPEN || this._state !== "open") {
      this.queue.push(p);
      return;
    }
    p.sent = true;
    try {
      ws.send(p.frame);
    } catch (err) {
      p.cleanup();
      p.reject(new TangleClientError(C.DISCONNECTED, `${p.method}: send failed: ${(err as Error).message}`));
    }
  }

  /** Sends a request and resolves with its result; rejects with NodeApiError or a client error. */
  request<T = unknown>(method: string, params?: Record<string, unknown>, options: RequestOptions = {}): Promise<T> {
    if (this._state === "closed") return Promise.reject(new TangleClientError(C.CLOSED, `${method}: client closed`));
    if (options.signal?.aborted) return Promise.reject(abortError());
    const id = this.nextId++;
    const timeoutMs = options.timeoutMs ?? this.opts.requestTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        p.cleanup();
        reject(abortError());
      };
      const p: Pending = {
        id,
        method,
        frame: packFrame(params === undefined ? { id, method } : { id, method, params }),
        sent: false,
        resolve: resolve as (v: unknown) => void,
        reject,
        timer: setTimeout(() => {
          p.cleanup();
          reject(new TangleClientError(C.TIMEOUT, `${method}: no answer from ${this.url} within ${timeoutMs} ms`));
        }, timeoutMs),
        cleanup: () => {
          clearTimeout(p.timer);
          this.pending.delete(id);
          const q = this.queue.indexOf(p);
          if (q >= 0) this.queue.splice(q, 1);
          options.signal?.removeEventListener("abort", onAbort);
        },
      };
      options.signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, p);
      this.transmit(p);
    });
  }

  // ---- methods (docs/api.md) ------------------------------------------------------------------

  ping(o?: RequestOptions): Promise<"pong"> {
    return this.request("ping", undefined, o);
  }

  getNodeInfo(o?: RequestOptions): Promise<NodeInfo> {
    return this.request("getNodeInfo", undefined, o);
  }

  /** Bits the issuer's next transaction of `size` bytes needs (adaptive extra bits included). */
  getDifficulty(issuer: Bytes32, size?: number, o?: RequestOptions): Promise<Difficulty> {
    return this.request("getDifficulty", { issuer: hex32("issuer", issuer), ...(size === undefined ? {} : { size }) }, o);
  }

  /** 2..8 tips to attach to, sorted. */
  async selectParents(count?: number, o?: RequestOptions): Promise<string[]> {
    const r = await this.request<WireResult<"selectParents">>("selectParents", count === undefined ? undefined : { count }, o);
    return r.parents;
  }

  /** Resolves once the node validated and durably stored the transaction (or already had it). */
  submitTransaction(bytes: Uint8Array, options: RequestOptions & { pow?: boolean } = {}): Promise<SubmitResult> {
    if (!(bytes instanceof Uint8Array)) return Promise.reject(new TangleClientError(C.BAD_ARGUMENT, "bytes must be a Uint8Array"));
    const { pow, ...o } = options;
    return this.request("submitTransaction", pow ? { bytes, pow: true } : { bytes }, o);
  }

  async getTransaction(id: Bytes32, o?: RequestOptions): Promise<TransactionBytes> {
    const r = await this.request<WireResult<"getTransaction">>("getTransaction", { id: hex32("id", id) }, o);
    return { id: r.id, bytes: new Uint8Array(r.bytes) };
  }

  getTransactionMetadata(id: Bytes32, o?: RequestOptions): Promise<TransactionMetadata> {
    return this.request("getTransactionMetadata", { id: hex32("id", id) }, o);
  }

  /** `address`: 32 bytes, 64 hex characters or bech32m of the node's network. */
  async getBalance(address: Bytes32, o?: RequestOptions): Promise<Balance> {
    const r = await this.request<WireResult<"getBalance">>("getBalance", { address: addressParam("address", address) }, o);
    if (typeof r.used !== "boolean") throw new TangleClientError(C.BAD_RESPONSE, "used is not a boolean");
    return {
      address: r.address,
      bech32: r.bech32,
      confirmed: bigintOf("confirmed", r.confirmed),
      pending: { incoming: bigintOf("pending.incoming", r.pending?.incoming), outgoing: bigintOf("pending.outgoing", r.pending?.outgoing) },
      used: r.used,
    };
  }

  /** `address`: 32 bytes, 64 hex characters or bech32m of the node's network. */
  async getOutputs(address: Bytes32, o?: RequestOptions): Promise<Outputs> {
    const r = await this.request<WireResult<"getOutputs">>("getOutputs", { address: addressParam("address", address) }, o);
    return { address: r.address, bech32: r.bech32, outputs: r.outputs.map((x) => ({ txId: x.txId, index: x.index, amount: bigintOf("amount", x.amount) })) };
  }

  getMilestone(index: number | "latest", o?: RequestOptions): Promise<Milestone> {
    return this.request("getMilestone", { index }, o);
  }

  async getStream(streamId: Bytes32, options: RequestOptions & { fromSeq?: number; limit?: number } = {}): Promise<StreamPage> {
    const { fromSeq, limit, ...o } = options;
    const params: Record<string, unknown> = { streamId: hex32("streamId", streamId) };
    if (fromSeq !== undefined) params.fromSeq = fromSeq;
    if (limit !== undefined) params.limit = limit;
    const r = await this.request<WireResult<"getStream">>("getStream", params, o);
    return { streamId: r.streamId, records: r.records.map((x) => ({ ...x, bytes: new Uint8Array(x.bytes) })) };
  }

  // ---- subscriptions --------------------------------------------------------------------------

  /**
   * Subscribes to a topic. The subscription survives reconnections (the client subscribes again on
   * every open). Several local subscriptions to one topic share one subscription on the node.
   */
  async subscribe<T extends Topic>(topic: T, o?: RequestOptions): Promise<Subscription<TopicData<T>>> {
    const norm = normalizeTopic(topic);
    const sub = new Subscription<TopicData<T>>(norm, (s) => this.release(s as Subscription<unknown>), this.opts.maxBufferedPushes);
    let set = this.topics.get(norm);
    const first = !set;
    if (!set) {
      if (this.topics.size >= MAX_SUBSCRIPTIONS) throw new TangleClientError(C.BAD_ARGUMENT, `at most ${MAX_SUBSCRIPTIONS} topics per connection`);
      this.topics.set(norm, (set = new Set()));
    }
    set.add(sub as Subscription<unknown>);
    if (first) {
      try {
        await this.request("subscribe", { topics: [norm] }, o);
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
    if (this._state !== "open") return; // not restored on the next open anyway
    try {
      await this.request("unsubscribe", { topics: [sub.topic] });
    } catch {
      /* the connection went away: nothing to undo */
    }
  }

  /** Topics subscribed on the node (restored after reconnecting). */
  subscribedTopics(): string[] {
    return [...this.topics.keys()];
  }
}
