/**
 * One connected peer: its socket, hello, counters, and gossip with backpressure (a queue while the
 * socket buffer is full, dropping the oldest). Frames go out through the one frame codec.
 */
import WebSocket from "ws";
import { packFrame } from "../../client/protocol/frame";
import { BoundedSet } from "../bounded";
import { sendCorked } from "../net/corked-send";
import type { PeerFailure } from "./failures";
import { Hello, PEER_LIMITS } from "./protocol";

export class Peer {
  hello?: Hello;
  sent = 0;
  received = 0;
  invalid = 0;
  queueDrops = 0;
  latencyMs: number | null = null;
  /** Why this connection is being closed, when this node decided it (or the dial failed). */
  failure?: PeerFailure;
  helloTimer?: NodeJS.Timeout;
  readonly queue: Uint8Array[] = [];
  readonly known = new BoundedSet(50_000);
  constructor(
    readonly key: string,
    readonly ws: WebSocket,
    readonly direction: "out" | "in",
  ) {}
  get ready(): boolean {
    return this.hello !== undefined && this.ws.readyState === WebSocket.OPEN;
  }
  send(msg: unknown): void {
    if (this.ws.readyState === WebSocket.OPEN) sendCorked(this.ws, packFrame(msg));
  }
  /** Gossip with backpressure: queue while the socket buffer is full, dropping the oldest. */
  sendTx(bytes: Uint8Array): void {
    if (this.queue.length > 0) this.flush();
    if (this.ws.bufferedAmount > PEER_LIMITS.maxBufferedBytes || this.queue.length > 0) {
      if (this.queue.length >= PEER_LIMITS.maxQueuedPerPeer) {
        this.queue.shift();
        this.queueDrops++;
      }
      this.queue.push(bytes);
      return;
    }
    this.send({ t: "tx", bytes });
    this.sent++;
  }
  flush(): void {
    while (this.queue.length > 0 && this.ws.bufferedAmount <= PEER_LIMITS.maxBufferedBytes) {
      this.send({ t: "tx", bytes: this.queue.shift()! });
      this.sent++;
    }
  }
}

/** The host of an incoming peer's key (`in:host:port`; IPv6 hosts hold colons). */
export function hostOf(key: string): string {
  const k = key.startsWith("in:") ? key.slice(3) : key;
  const i = k.lastIndexOf(":");
  return i < 0 ? k : k.slice(0, i);
}

export function normalizeUrl(url: string): string {
  const u = new URL(url);
  if (u.protocol !== "ws:" && u.protocol !== "wss:") throw new Error(`peer URL must be ws:// or wss://, got ${url}`);
  return `${u.protocol}//${u.host}`;
}
