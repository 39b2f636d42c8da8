/**
 * Peering: static peers from config and runtime additions, handshake (network, genesis, protocol),
 * reconnect with backoff, and peer accounting (a peer that sends invalid data is disconnected and
 * refused for a while); each message handed to the part whose job it is. Gossip of every new valid
 * transaction to the peers that did not send it, and solidification requests for missing parents:
 * gossip.ts (with requests.ts: retried at another peer, bounded in count and age);
 * milestone-by-milestone sync for a node that is behind: sync.ts. On every connection, after the
 * hellos, each side offers its newest unconfirmed, non-lazy transactions (inv) and asks for those
 * it lacks, so what a node took while cut off reaches the others: inventory.ts. One connection:
 * peer.ts; the messages and what makes one invalid: protocol.ts. A peer that does not read (its
 * send buffer over the bound for PEER_LIMITS.slowReaderCloseMs) is closed, not banned.
 *
 * Every failed or lost connection is logged once with its reason (code and sentence, failures.ts)
 * and kept as the peer's `lastError` for getPeers: for configured and added peers whether or not
 * they are connected now, and for the last few peers that connected here and failed.
 */
import { IncomingMessage } from "node:http";
import WebSocket from "ws";
import { toHex } from "../../client/protocol/bytes";
import { backoffDelayMs } from "../../client/util/backoff";
import type { TangleNode } from "../tangle-node";
import type { Logger } from "../logger";
import { Hello, INVENTORY_PROTOCOL_VERSION, parsePeerMessage, PEER_LIMITS, PEER_REDIAL, PEER_PATH, PEER_PROTOCOL_VERSION, PeerCloseCode, SNAPSHOT_PROTOCOL_VERSION } from "./protocol";
import { SnapshotServer } from "./snapshot-serve";
import { Inventory } from "./inventory";
import { hostOf, normalizeUrl, Peer } from "./peer";
import { Gossip } from "./gossip";
import { MilestoneSync, prunedMilestoneIndexOf } from "./sync";
import type { PeerInfo } from "../../client/api/types";
import { closeFailure, dialFailure, helloFailure, PeerFailure, PeerFailureCode, PeerLastError } from "./failures";
import { CommitteeRelay } from "./committee-relay";
import type { CommitteeMessage } from "../committee/member";
import type { MilestoneFields } from "../../client/protocol/payloads/milestone";
import { decodeTransaction } from "../../client/protocol/codec";
import { verifyEd25519 } from "../crypto/ed25519";

/** One peer as getPeers reports it: the wire type (client/api/types.ts), with the node's failure codes. */
export interface PeerStats extends PeerInfo {
  lastError: PeerLastError | null;
}

interface Outgoing {
  url: string;
  peer?: Peer;
  timer?: NodeJS.Timeout;
  removed: boolean;
  lastError?: PeerLastError;
  /** Failed connections since the last handshake that succeeded. */
  failures: number;
}

export interface PeerManagerOptions {
  node: TangleNode;
  log: Logger;
  maxPeers?: number;
  /** Where this node's snapshot files are (`<data>/snapshots`): the newest full one is served to peers that ask (snapshot-serve.ts). */
  snapshotDir?: string;
}

export class PeerManager {
  private readonly node: TangleNode;
  private readonly log: Logger;
  private readonly peers = new Set<Peer>();
  private readonly outgoing = new Map<string, Outgoing>();
  private readonly banned = new Map<string, number>();
  /** Recent offences (unproven claims) by address, times in ms, within PEER_LIMITS.offenceWindowMs. */
  private readonly offences = new Map<string, number[]>();
  /** Peers that connected here and failed, by host, oldest first. */
  private readonly inboundFailures = new Map<string, PeerLastError>();
  private readonly gossip: Gossip;
  private readonly sync: MilestoneSync;
  private readonly inventory: Inventory;
  /** Snapshot files to peers that ask (protocol 5). */
  readonly snapshots: SnapshotServer;
  /** Committee proposals and signatures: checked, passed on once, their signers counted (committee-relay.ts). */
  readonly committee: CommitteeRelay;
  private readonly wss: WebSocket.Server;
  private beatTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private flushTimer?: NodeJS.Timeout;
  private closed = false;
  private readonly maxPeers: number;
  private readonly unhook: (() => void)[] = [];

  constructor(opts: PeerManagerOptions) {
    this.node = opts.node;
    this.log = opts.log;
    this.maxPeers = opts.maxPeers ?? PEER_LIMITS.maxPeers;
    this.wss = new WebSocket.Server({ noServer: true, maxPayload: PEER_LIMITS.maxFrameBytes });
    this.gossip = new Gossip(this.node, this.log, () => this.peers);
    this.inventory = new Inventory(this.node.window);
    this.snapshots = new SnapshotServer(opts.snapshotDir ?? "", this.log);
    this.sync = new MilestoneSync(this.node, this.log, () => this.peers, () => this.closed, (peer, why) => this.offence(peer, why));
    this.gossip.behind = () => !this.sync.synced;
    const onTx = (e: { id: string; bytes: Uint8Array; source?: string }) => this.gossip.announce(e.id, e.bytes, e.source);
    const onMissing = (e: { ids: string[]; source?: string }) => this.gossip.requestMissing(e.ids, e.source);
    this.committee = new CommitteeRelay({
      networkId: this.node.params.networkId,
      workingIndex: () => this.node.ledgerIndex + 1,
      committee: (index) => this.node.committees.at(index),
      verify: verifyEd25519,
      now: () => this.node.now(),
    });
    const onMilestone = (e: { id: string }) => {
      this.sync.continueSync();
      // Its signers were up a moment ago: they count as reachable (a committee of one sends no other message).
      let bytes: Uint8Array | undefined;
      try {
        bytes = this.node.getTransactionBytes(e.id);
      } catch {
        return; // damaged on disk: reported by the store, asked of peers
      }
      const d = bytes && decodeTransaction(bytes);
      if (d && d.ok && d.value.tx.payload.type === "milestone") this.committee.signed(d.value.tx.payload.signatures.map((s) => s.publicKey));
    };
    this.node.on("transaction", onTx);
    this.node.on("missing", onMissing);
    this.node.on("milestone", onMilestone);
    this.unhook.push(() => {
      this.node.off("transaction", onTx);
      this.node.off("missing", onMissing);
      this.node.off("milestone", onMilestone);
    });
    this.beatTimer = setInterval(() => this.beat(), PEER_LIMITS.beatIntervalMs);
    this.retryTimer = setInterval(() => this.retryRequests(), PEER_LIMITS.requestRetryMs);
    // A WebSocket has no 'drain' event: queued gossip is flushed as the socket buffer empties.
    this.flushTimer = setInterval(() => {
      for (const p of this.peers) if (p.queue.length > 0) p.flush();
    }, PEER_LIMITS.flushIntervalMs);
  }

  /**
   * Whether this node has caught up with the best milestone its peers proved, give or take
   * PEER_LIMITS.syncToleranceMilestones (a milestone in flight does not make a node unsynced).
   */
  get synced(): boolean {
    return this.sync.synced;
  }

  /** Highest milestone index a connected peer claimed and proved (sync.ts). */
  get bestKnownMilestone(): number {
    return this.sync.bestKnownMilestone;
  }

  /** Why this node cannot sync from its peers (every peer ahead pruned the next cone), or null (sync.ts). */
  get syncProblem(): string | null {
    return this.sync.syncProblem;
  }

  /** Transactions from peers not taken for a benign reason (not solid in time, solidifier full). */
  get dropped(): number {
    return this.gossip.dropped;
  }

  /** Missing transactions no peer delivered in time. */
  get requestsGivenUp(): number {
    return this.gossip.requests.givenUp;
  }

  get count(): number {
    let n = 0;
    for (const p of this.peers) if (p.ready) n++;
    return n;
  }

  stats(): PeerStats[] {
    const out: PeerStats[] = [];
    for (const p of this.peers) {
      out.push({
        url: p.key,
        direction: p.direction,
        connected: p.ready,
        latestMilestoneIndex: p.hello?.latestMilestoneIndex ?? 0,
        prunedMilestoneIndex: this.sync.prunedOf(p),
        sent: p.sent,
        received: p.received,
        invalid: p.invalid,
        latencyMs: p.latencyMs,
        queued: p.queue.length,
        queueDrops: p.queueDrops,
        lastError: (p.direction === "out" ? this.outgoing.get(p.key)?.lastError : undefined) ?? null,
      });
    }
    const none = { connected: false, latestMilestoneIndex: 0, sent: 0, received: 0, invalid: 0, latencyMs: null } as const;
    for (const o of this.outgoing.values()) {
      if (!o.peer) out.push({ url: o.url, direction: "out", ...none, lastError: o.lastError ?? null });
    }
    const connectedHosts = new Set([...this.peers].filter((p) => p.direction === "in" && p.ready).map((p) => hostOf(p.key)));
    for (const [host, e] of this.inboundFailures) {
      if (!connectedHosts.has(host)) out.push({ url: `in:${host}`, direction: "in", ...none, lastError: e });
    }
    return out;
  }

  // ---- connections --------------------------------------------------------------------------

  /** Adds a peer to dial (and keep dialing). Returns false if it is already configured. */
  addPeer(url: string): boolean {
    const u = normalizeUrl(url);
    if (this.outgoing.has(u)) return false;
    const o: Outgoing = { url: u, removed: false, failures: 0 };
    this.outgoing.set(u, o);
    this.dial(o);
    return true;
  }

  /** Stops dialing a peer and closes its connection. */
  removePeer(url: string): boolean {
    const u = normalizeUrl(url);
    const o = this.outgoing.get(u);
    if (!o) return false;
    o.removed = true;
    if (o.timer) clearTimeout(o.timer);
    o.peer?.ws.close(PeerCloseCode.REMOVED, "peer removed");
    this.outgoing.delete(u);
    return true;
  }

  private dial(o: Outgoing): void {
    if (this.closed || o.removed) return;
    const ws = new WebSocket(o.url + PEER_PATH, { maxPayload: PEER_LIMITS.maxFrameBytes, handshakeTimeout: PEER_LIMITS.handshakeTimeoutMs });
    const peer = new Peer(o.url, ws, "out");
    let opened = false;
    ws.on("open", () => {
      opened = true;
      if (this.count >= this.maxPeers) {
        peer.failure = { code: PeerFailureCode.TOO_MANY_PEERS, message: `this node is at its peer limit (${this.maxPeers})` };
        ws.close(PeerCloseCode.TOO_MANY_PEERS, "peer limit reached");
        return;
      }
      o.peer = peer;
      this.attach(peer);
    });
    // 'close' follows every error.
    ws.on("error", (err: Error & { code?: string }) => {
      peer.failure ??= opened ? { code: PeerFailureCode.CLOSED, message: `connection error: ${err.message}` } : dialFailure(err, o.url);
    });
    ws.on("close", (code: number, reason: Buffer) => {
      if (o.peer === peer) o.peer = undefined;
      if (this.closed || o.removed) return;
      this.outgoingFailed(o, peer.failure ?? closeFailure(code, String(reason)), peer.hello !== undefined);
      const bannedUntil = this.banned.get(o.url) ?? 0;
      const delay = Math.max(backoffDelayMs(o.failures, PEER_REDIAL), bannedUntil - Date.now());
      o.timer = setTimeout(() => this.dial(o), delay);
      o.timer.unref();
    });
  }

  /** Upgrade handler for `/peer` on the API server's port. */
  handleUpgrade(req: IncomingMessage, socket: import("node:stream").Duplex, head: Buffer): void {
    const addr = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const host = req.socket.remoteAddress ?? "";
    if (this.closed) {
      socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n");
      return;
    }
    // Refused with a close code and reason, so the dialing node can log and report why.
    const bannedForMs = (this.banned.get(host) ?? 0) - Date.now();
    if (bannedForMs > 0 || this.count >= this.maxPeers) {
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        if (bannedForMs > 0) ws.close(PeerCloseCode.BANNED, `banned for another ${Math.ceil(bannedForMs / 1000)} s`);
        else ws.close(PeerCloseCode.TOO_MANY_PEERS, `peer limit reached (${this.maxPeers})`);
      });
      this.log.debug({ peer: addr, why: bannedForMs > 0 ? "banned" : "peer limit" }, "peer refused");
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.attach(new Peer(`in:${addr}`, ws, "in"), host));
  }

  private attach(peer: Peer, host?: string): void {
    this.peers.add(peer);
    const ws = peer.ws;
    ws.on("message", (data: Buffer, isBinary: boolean) => this.onMessage(peer, data, isBinary, host));
    ws.on("close", (code: number, reason: Buffer) => {
      this.peers.delete(peer);
      this.sync.forget(peer);
      void this.snapshots.forget(peer);
      if (peer.helloTimer) clearTimeout(peer.helloTimer);
      this.gossip.requests.forget(peer);
      // Outgoing connections are reported by dial(); incoming ones here, if they failed.
      if (peer.direction === "in" && !this.closed && (peer.failure || !peer.hello)) this.inboundFailed(host ?? hostOf(peer.key), peer, peer.failure ?? closeFailure(code, String(reason)));
    });
    ws.on("error", (err: Error) => {
      peer.failure ??= { code: PeerFailureCode.CLOSED, message: `connection error: ${err.message}` };
      ws.terminate();
    });
    peer.helloTimer = setTimeout(() => {
      if (peer.hello) return;
      peer.failure ??= { code: PeerFailureCode.HANDSHAKE_TIMEOUT, message: `no hello within ${PEER_LIMITS.helloTimeoutMs} ms of connecting` };
      ws.close(PeerCloseCode.HANDSHAKE_TIMEOUT, "no hello in time");
    }, PEER_LIMITS.helloTimeoutMs);
    peer.helloTimer.unref();
    peer.send(this.helloMessage());
  }

  /** A dialed connection failed or ended: remembered for getPeers, logged (repeats of the same reason at debug). */
  private outgoingFailed(o: Outgoing, f: PeerFailure, hadHello: boolean): void {
    const repeat = o.lastError?.code === f.code && o.lastError.message === f.message;
    o.lastError = { ...f, at: Date.now() };
    o.failures++;
    const fields = { peer: o.url, direction: "out", code: f.code, reason: f.message, failures: o.failures };
    if (repeat) this.log.debug(fields, "peer connection failed");
    else this.log.warn(fields, hadHello ? "peer disconnected" : "peer connection failed");
  }

  private inboundFailed(host: string, peer: Peer, f: PeerFailure): void {
    this.inboundFailures.delete(host);
    this.inboundFailures.set(host, { ...f, at: Date.now() });
    if (this.inboundFailures.size > PEER_LIMITS.maxInboundFailures) this.inboundFailures.delete(this.inboundFailures.keys().next().value as string);
    this.log.warn({ peer: peer.key, direction: "in", code: f.code, reason: f.message }, "peer connection failed");
  }

  private helloMessage(): Hello {
    return {
      t: "hello",
      protocol: PEER_PROTOCOL_VERSION,
      networkId: this.node.params.networkId,
      genesisId: toHex(this.node.genesisId),
      latestMilestoneIndex: this.node.ledgerIndex,
      prunedMilestoneIndex: prunedMilestoneIndexOf(this.node),
    };
  }

  private penalize(peer: Peer, host: string | undefined, why: string): void {
    peer.invalid++;
    peer.failure ??= { code: PeerFailureCode.BANNED, message: `banned for ${PEER_LIMITS.banMs / 1000} s: ${why}` };
    this.log.warn({ peer: peer.key, why }, "peer sent invalid data; disconnecting");
    const until = Date.now() + PEER_LIMITS.banMs;
    this.banned.set(peer.direction === "out" ? peer.key : (host ?? peer.key), until);
    peer.ws.close(PeerCloseCode.INVALID_DATA, why.slice(0, 100));
  }

  /**
   * A claim that did not hold (sync.ts). An address may be a whole NAT, so the connection is
   * closed first; the address is banned only at PEER_LIMITS.offencesBeforeBan offences within
   * PEER_LIMITS.offenceWindowMs.
   */
  private offence(peer: Peer, why: string): void {
    if (peer.ws.readyState !== WebSocket.OPEN) return;
    peer.invalid++;
    const addr = peer.direction === "out" ? peer.key : hostOf(peer.key);
    const now = Date.now();
    const recent = (this.offences.get(addr) ?? []).filter((t) => now - t < PEER_LIMITS.offenceWindowMs);
    recent.push(now);
    this.offences.set(addr, recent);
    if (recent.length >= PEER_LIMITS.offencesBeforeBan) {
      this.offences.delete(addr);
      peer.failure ??= { code: PeerFailureCode.BANNED, message: `banned for ${PEER_LIMITS.banMs / 1000} s: ${recent.length} offences in ${PEER_LIMITS.offenceWindowMs / 60_000} min, the last: ${why}` };
      this.log.warn({ peer: peer.key, why, offences: recent.length }, "peer claim did not hold; banning its address");
      this.banned.set(addr, now + PEER_LIMITS.banMs);
      peer.ws.close(PeerCloseCode.BANNED, `banned: ${why}`.slice(0, 100));
      return;
    }
    peer.failure ??= { code: PeerFailureCode.CLOSED, message: `disconnected (offence ${recent.length} of ${PEER_LIMITS.offencesBeforeBan} before a ban): ${why}` };
    this.log.warn({ peer: peer.key, why, offences: recent.length }, "peer claim did not hold; disconnecting");
    peer.ws.close(PeerCloseCode.UNPROVEN_CLAIM, why.slice(0, 100));
  }

  // ---- messages ------------------------------------------------------------------------------

  private onMessage(peer: Peer, data: Buffer, isBinary: boolean, host?: string): void {
    const parsed = parsePeerMessage(data, isBinary, !peer.hello);
    if (!parsed.ok) return this.penalize(peer, host, parsed.why);
    const msg = parsed.msg;
    if (msg.t === "hello") {
      const h = msg;
      const refused = helloFailure(h, { networkId: this.node.params.networkId, genesisId: toHex(this.node.genesisId) });
      if (refused) {
        peer.failure ??= { code: refused.code, message: refused.message };
        peer.ws.close(refused.closeCode, refused.closeReason);
        return;
      }
      peer.hello = h;
      if (peer.helloTimer) clearTimeout(peer.helloTimer);
      const o = this.outgoing.get(peer.key);
      if (o) o.failures = 0;
      this.log.info({ peer: peer.key, latestMilestoneIndex: h.latestMilestoneIndex }, "peer connected");
      if (![...this.peers].some((p) => p !== peer && p.hello)) this.committee.peersConnected();
      this.sync.learn(peer, h.latestMilestoneIndex, h.prunedMilestoneIndex);
      // What this node took that the peer may lack (a peer of protocol 1 knows no inv).
      if (h.protocol >= INVENTORY_PROTOCOL_VERSION) {
        const ids = this.inventory.ids(Date.now());
        if (ids.length > 0) peer.send({ t: "inv", ids });
      }
      return;
    }
    const hello = peer.hello!;
    switch (msg.t) {
      case "tx":
        peer.received++;
        if (!this.sync.owesProof(peer)) void this.gossip.receive(peer, msg.bytes, (why) => this.penalize(peer, host, why));
        else
          void this.sync.offer(peer, msg.bytes).then((o) => {
            if (o === "none") return this.gossip.receive(peer, msg.bytes, (why) => this.penalize(peer, host, why));
          });
        return;
      case "req":
        this.gossip.serve(peer, msg.ids);
        return;
      case "msreq":
        this.sync.serve(peer, msg.index);
        return;
      case "inv": {
        if (hello.protocol < INVENTORY_PROTOCOL_VERSION) return this.penalize(peer, host, `inv from a peer of protocol ${hello.protocol}`);
        if (peer.inventoryReceived) return this.penalize(peer, host, "a second inv on one connection");
        peer.inventoryReceived = true;
        const asked = this.gossip.inventory(peer, msg.ids);
        this.log.debug({ peer: peer.key, advertised: msg.ids.length, asked }, "peer inventory");
        return;
      }
      case "beat":
        hello.latestMilestoneIndex = msg.latestMilestoneIndex;
        peer.send({ t: "beatack", sentMs: msg.sentMs });
        this.sync.learn(peer, msg.latestMilestoneIndex, msg.prunedMilestoneIndex);
        return;
      case "beatack":
        if (msg.sentMs !== undefined) peer.latencyMs = Math.max(0, Date.now() - msg.sentMs);
        return;
      case "snapreq":
        if (hello.protocol < SNAPSHOT_PROTOCOL_VERSION) return this.penalize(peer, host, `snapreq from a peer of protocol ${hello.protocol}`);
        void this.snapshots.request(peer);
        return;
      case "snapget":
        if (hello.protocol < SNAPSHOT_PROTOCOL_VERSION) return this.penalize(peer, host, `snapget from a peer of protocol ${hello.protocol}`);
        void this.snapshots.get(peer, msg.index, msg.offset, (why) => this.penalize(peer, host, why));
        return;
      case "snapinfo":
      case "snapnone":
      case "snapchunk":
        // Answers to a snapreq or snapget, which a running node never sends (node/snapshot/bootstrap.ts does, before the node runs).
        return this.penalize(peer, host, `unsolicited ${msg.t}`);
      case "committee":
        void this.committee.receive(msg.wire).then((v) => {
          if (!v.valid) return this.penalize(peer, host, v.why);
          if (v.pass) for (const p of this.peers) if (p !== peer && p.ready) p.send(msg.wire);
        });
        return;
    }
  }

  /** Sends this node's committee message (its driver's) to every peer. */
  broadcastCommittee(m: CommitteeMessage<MilestoneFields>): void {
    const w = this.committee.outgoing(m);
    for (const p of this.peers) if (p.ready) p.send(w);
  }

  // ---- timers --------------------------------------------------------------------------------

  private retryRequests(): void {
    const now = Date.now();
    this.gossip.requests.retry(now);
    this.sync.retry(now);
  }

  private beat(): void {
    const now = Date.now();
    const msg = { t: "beat", latestMilestoneIndex: this.node.ledgerIndex, sentMs: now, prunedMilestoneIndex: prunedMilestoneIndexOf(this.node) };
    for (const p of this.peers) {
      if (p.stalled(now)) this.closeSlowReader(p);
      else if (p.ready) p.send(msg);
    }
  }

  /** A peer that does not read: closed (not banned: it may only be slow), the socket gone a second later whatever it does. */
  private closeSlowReader(peer: Peer): void {
    if (peer.ws.readyState !== WebSocket.OPEN) return;
    const secs = PEER_LIMITS.slowReaderCloseMs / 1000;
    peer.failure ??= { code: PeerFailureCode.CLOSED, message: `the peer did not read: its send buffer stayed over ${PEER_LIMITS.maxBufferedBytes} bytes for ${secs} s` };
    peer.ws.close(PeerCloseCode.SLOW_READER, `not reading: send buffer over its bound for ${secs} s`);
    // The close frame waits behind the unread bytes; the socket goes regardless.
    setTimeout(() => peer.ws.terminate(), 1000).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.beatTimer) clearInterval(this.beatTimer);
    if (this.retryTimer) clearInterval(this.retryTimer);
    if (this.flushTimer) clearInterval(this.flushTimer);
    for (const u of this.unhook) u();
    for (const o of this.outgoing.values()) if (o.timer) clearTimeout(o.timer);
    for (const p of this.peers) p.ws.close(1001, "node shutting down");
    await this.snapshots.close();
    await new Promise<void>((r) => this.wss.close(() => r()));
    for (const p of this.peers) p.ws.terminate();
  }
}
