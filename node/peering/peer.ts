/**
 * One connected peer: its socket, hello, counters, and gossip with backpressure (a queue while the
 * socket buffer is full, dropping the oldest). Frames go out through the one frame codec.
 *
 * Answers to a peer's requests respect its socket buffer too: over PEER_LIMITS.maxBufferedBytes the
 * rest of a request goes unanswered (counted in `answerDrops`; the peer asks again if it still
 * needs them) and the peer's socket is not read (ws `pause()`) until the buffer is back under half
 * the bound, looked at every flushIntervalMs (ws has no drain event on a WebSocket). A peer that
 * asks and never reads so costs at most the bound, not the node's memory. A peer whose buffer
 * stays over the bound for PEER_LIMITS.slowReaderCloseMs (looked at every beat) is closed with
 * PeerCloseCode.SLOW_READER (peers.ts), as the API closes a client that does not read.
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
  /** Answers to this peer's requests left out because its send buffer was over the bound. */
  answerDrops = 0;
  private drainTimer?: NodeJS.Timeout;
  /** When the send buffer was first seen over the bound, in an unbroken row of looks (0: not over). */
  private overSince = 0;
  /** This connection's `inv` came already (one per connection). */
  inventoryReceived = false;
  latencyMs: number | null = null;
  /** Why this connection is being closed, when this node decided it (or the dial failed). */
  failure?: PeerFailure;
  helloTimer?: NodeJS.Timeout;
  readonly queue: Uint8Array[] = [];
  /** Bytes in `queue` (bounded by PEER_LIMITS.maxQueuedBytesPerPeer). */
  queuedBytes = 0;
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
  /** Gossip with backpressure: queue while the socket buffer is full, dropping the oldest (bounded in count and bytes). */
  sendTx(bytes: Uint8Array): void {
    if (this.queue.length > 0) this.flush();
    if (this.ws.bufferedAmount > PEER_LIMITS.maxBufferedBytes || this.queue.length > 0) {
      while (this.queue.length > 0 && (this.queue.length >= PEER_LIMITS.maxQueuedPerPeer || this.queuedBytes + bytes.length > PEER_LIMITS.maxQueuedBytesPerPeer)) {
        this.queuedBytes -= this.queue.shift()!.length;
        this.queueDrops++;
      }
      this.queue.push(bytes);
      this.queuedBytes += bytes.length;
      return;
    }
    this.send({ t: "tx", bytes });
    this.sent++;
  }
  /** Whether the send buffer is over the bound (answers wait, reading pauses). */
  get congested(): boolean {
    return this.ws.bufferedAmount > PEER_LIMITS.maxBufferedBytes;
  }
  /**
   * An answer to the peer's request, unless its buffer is over the bound: then it is dropped and
   * the socket is not read until the buffer drains. Returns whether it was sent.
   */
  answer(msg: unknown): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    if (this.congested) {
      this.dropAnswers(1);
      return false;
    }
    this.send(msg);
    if (this.congested) this.pauseUntilDrained();
    return true;
  }
  /** `n` answers left out for backpressure: counted, and the socket is not read until it drains. */
  dropAnswers(n: number): void {
    this.answerDrops += n;
    this.pauseUntilDrained();
  }
  /**
   * Looked at every beat: whether the send buffer has stayed over the bound for
   * PEER_LIMITS.slowReaderCloseMs (the peer does not read what it is sent).
   */
  stalled(now: number): boolean {
    if (!this.congested) {
      this.overSince = 0;
      return false;
    }
    if (this.overSince === 0) this.overSince = now;
    return now - this.overSince >= PEER_LIMITS.slowReaderCloseMs;
  }
  private pauseUntilDrained(): void {
    if (this.drainTimer) return;
    this.ws.pause();
    this.drainTimer = setInterval(() => {
      if (this.ws.readyState !== WebSocket.OPEN) return this.stopDrainTimer();
      if (this.ws.bufferedAmount > PEER_LIMITS.maxBufferedBytes / 2) return;
      this.stopDrainTimer();
      this.ws.resume();
    }, PEER_LIMITS.flushIntervalMs);
    this.drainTimer.unref();
  }
  private stopDrainTimer(): void {
    if (this.drainTimer) clearInterval(this.drainTimer);
    this.drainTimer = undefined;
  }
  flush(): void {
    while (this.queue.length > 0 && this.ws.bufferedAmount <= PEER_LIMITS.maxBufferedBytes) {
      const bytes = this.queue.shift()!;
      this.queuedBytes -= bytes.length;
      this.send({ t: "tx", bytes });
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
