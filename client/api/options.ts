/**
 * The API client's options, events and connection states, and the reconnect backoff it uses unless
 * told otherwise. Types only, plus one default: shared by the connection core (connection.ts), the
 * subscription plumbing (subscriptions.ts) and the typed client (client.ts).
 */
import type { WebSocketConstructor } from "./socket";

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
