/**
 * The API client's request/response core: one WebSocket, msgpack frames, request ids, timeouts and
 * aborts, the queue of requests made while not open, and reconnection with exponential backoff.
 * The typed methods are in client.ts, the subscriptions' bookkeeping in subscriptions.ts.
 *
 * Connection life:  connecting → open → (dropped) → waiting (backoff) → connecting → … → closed.
 * Requests made while not open wait in a queue and go out on the next open (their timeout runs
 * from the call). Requests in flight when the socket drops fail with ERR_CLIENT_DISCONNECTED: the
 * node may or may not have handled them, so callers retry only what is idempotent (submitting a
 * transaction is: the node answers `duplicate: true` for one it has).
 *
 * Runs in Node and browsers: the WebSocket is injected (socket.ts), nothing here imports Node.
 */
import { packFrame, unpackFrame } from "../protocol/frame";
import { backoffDelayMs } from "../util/backoff";
import { Emitter } from "./emitter";
import { abortError, ClientErrorCode as C, NodeApiError, TangleClientError } from "./errors";
import { ApiClientOptions, BackoffOptions, ClientEvents, ConnectionState, DEFAULT_BACKOFF, RequestOptions } from "./options";
import { defaultWebSocket, frameBytes, WebSocketConstructor, WebSocketLike, WS_OPEN } from "./socket";
import { Subscriptions } from "./subscriptions";

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

/** The connection core ApiClient (client.ts) builds its typed methods on; not used on its own. */
export class ApiConnection extends Emitter<ClientEvents> {
  readonly url: string;
  private readonly WS: WebSocketConstructor;
  private readonly opts: Required<Omit<ApiClientOptions, "WebSocket" | "backoff" | "maxBufferedPushes">> & { backoff: Required<BackoffOptions> };
  /** The topics subscribed through this connection (subscriptions.ts). */
  protected readonly subscriptions: Subscriptions;
  private ws?: WebSocketLike;
  private _state: ConnectionState = "connecting";
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly queue: Pending[] = [];
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
      backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
    };
    const transport = {
      state: (): ConnectionState => this._state,
      request: (method: string, params?: Record<string, unknown>, o?: RequestOptions) => this.request(method, params, o),
      reportError: (err: Error) => void this.emit("error", err),
    };
    this.subscriptions = new Subscriptions(transport, options.maxBufferedPushes ?? 1000);
    this.open();
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
    this.subscriptions.restore();
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
    this.subscriptions.endAll();
    this.emit("closed", undefined);
  }

  // ---- frames ---------------------------------------------------------------------------------

  private onMessage(data: unknown): void {
    const bytes = frameBytes(data);
    let msg: { id?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown }; topic?: unknown; data?: unknown };
    try {
      if (!bytes) throw new Error("not binary");
      msg = unpackFrame(bytes) as typeof msg;
      if (!msg || typeof msg !== "object") throw new Error("not a map");
    } catch {
      this.emit("error", new TangleClientError(C.BAD_RESPONSE, "undecodable frame from the node"));
      return;
    }
    if (typeof msg.topic === "string") {
      const deliver = this.subscriptions.deliverer(msg.topic);
      this.emit("push", { topic: msg.topic, data: msg.data });
      deliver(msg.data);
      return;
    }
    const p = typeof msg.id === "number" ? this.pending.get(msg.id) : undefined;
    if (!p) {
      if (msg.error) this.emit("error", new NodeApiError(String(msg.error.code ?? C.BAD_RESPONSE), String(msg.error.message ?? ""), "(unattributed)"));
      return;
    }
    p.cleanup();
    if (msg.error && typeof msg.error === "object") {
      const data = msg.error.data && typeof msg.error.data === "object" ? (msg.error.data as Record<string, unknown>) : undefined;
      p.reject(new NodeApiError(String(msg.error.code), String(msg.error.message ?? ""), p.method, data));
    }
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
}
