/**
 * The gateway SDK: many sensors publish readings through one gateway key.
 *
 *   publish(stream, value) ──► outbox (durable) ──► record (batched, sealed: signed) ──► PoW ──► node
 *                                                                   ▲ next sequence, previous id
 *
 * Each stream (one per sensor) is a hash chain of data records: sequence 0, 1, 2, … each carrying
 * the id of the one before. A stream has at most one record on its way at any time: the next one
 * can only be signed once the previous one's id is final, i.e. acknowledged. Streams travel in
 * parallel (`maxConcurrentStreams`).
 *
 * Batching: a stream's waiting readings become a record when they reach `maxRecordBytes` or
 * `maxReadingsPerRecord`, or when the oldest has waited `maxDelayMs`, or on `flush()`.
 *
 * Exactly once: readings leave the outbox only inside a sealed record, and a sealed record is
 * resubmitted byte for byte until a node acknowledges it (a node that already has it answers
 * `duplicate: true`). Only when the node no longer accepts those bytes (timestamp too old, parents
 * unknown) is the same signed essence attached again: same sequence, same content. Errors that no
 * retry can fix stop that stream and are reported (`error` event); its readings stay in the outbox.
 *
 * Which tangle: heads are kept per network (the networkId every signed record names), and a head
 * from the outbox is checked against the node once per connection before the stream goes on. The
 * node has the head record: go on. It lacks it, but its milestone 1 is the one the head was
 * acknowledged under: the same tangle, the record has not reached this node yet: go on. Otherwise
 * (a dev node started on an empty data directory has the same genesis but another milestone 1;
 * or the node's stream went on without us): the node's head of the stream is taken instead
 * (`rebase` event), and a sealed record that was chained to the old head is unsealed, its readings
 * sealed again after the new one. So a fresh tangle sees sequence 0, not a gap.
 *
 * Proofs: every acknowledged record is noted in the outbox as awaiting its inclusion proof (in the
 * same write as its acknowledgement); every `proofIntervalMs` the gateway asks the node for the
 * proofs of up to PROOFS_PER_SWEEP of them, oldest id first from where the last sweep stopped, and
 * stores each one a milestone confirmed. A record the node does not know (ERR_NOT_FOUND: another
 * tangle, a node started afresh; ERR_PRUNED: that, or pruned before its proof was asked for) stops
 * waiting; an unconfirmed one is asked again next time.
 *
 * This file schedules the streams and submits; sealing is in seal.ts, the head check in
 * head-check.ts, what the node said on this connection in node-session.ts.
 */
import type { ApiClient } from "../api/client";
import { Emitter } from "../api/emitter";
import { hasCode, isTransient } from "../api/errors";
import { Code } from "../protocol/codes";
import type { KeyPair } from "../protocol/keys";
import { MAX_DATA_BYTES } from "../protocol/limits";
import { prepareAttachment, REATTACHABLE_CODES, AttachOptions } from "../attach";
import { checkedHead, HeadCheck } from "./head-check";
import { NodeSession } from "./node-session";
import { MemoryOutbox, Outbox } from "./outbox";
import { sealRecord, unsealStale } from "./seal";
import { sealedContent } from "./stream-head";
import { GatewayError, GatewayErrorCode } from "./types";
import type { GatewayEvents, GatewayOptions, GatewayStats } from "./types";
import { decodeInclusionProof } from "../protocol/inclusion-proof";
import { arrayHeaderBytes, encodeReading, resolveStreamId } from "./readings";
import { backoffDelayMs, BackoffPolicy } from "../util/backoff";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A stream's transient failures: 50 ms before the first retry, doubling, at most 2 s. */
export const STREAM_RETRY: BackoffPolicy = { initialMs: 50, maxMs: 2000 };

/** Records whose proof one sweep asks for at most (one getInclusionProof each). */
export const PROOFS_PER_SWEEP = 64;

export class Gateway extends Emitter<GatewayEvents> {
  readonly client: ApiClient;
  readonly keyPair: KeyPair;
  readonly outbox: Outbox;
  private readonly o: Required<Pick<GatewayOptions, "maxRecordBytes" | "maxReadingsPerRecord" | "maxDelayMs" | "maxConcurrentStreams" | "resumeFromNode">>;
  private readonly attachOpts: AttachOptions;
  private readonly running = new Map<string, Promise<void>>();
  private readonly waitingToRun: string[] = [];
  private readonly stopped = new Map<string, GatewayError>();
  private readonly flushing = new Set<string>();
  private readonly abort = new AbortController();
  private timer?: ReturnType<typeof setInterval>;
  private closed = false;
  private acked = { records: 0, readings: 0 };
  private idleWaiters: (() => void)[] = [];
  /** What the head check needs; its session is what this connection's node said (a reconnection may reach another node, or a wiped one). */
  private readonly heads: HeadCheck;
  private readonly offOpen: () => void;
  private readonly keepProofs: boolean;
  private proofTimer?: ReturnType<typeof setInterval>;
  private proofSweep?: Promise<void>;
  /** Where the last sweep stopped (ids are asked in order, so a long wait does not starve the rest). */
  private proofCursor?: string;

  constructor(opts: GatewayOptions) {
    super();
    this.client = opts.client;
    this.keyPair = opts.keyPair;
    this.outbox = opts.outbox ?? new MemoryOutbox();
    this.o = {
      maxRecordBytes: Math.min(MAX_DATA_BYTES, opts.maxRecordBytes ?? 8192),
      maxReadingsPerRecord: opts.maxReadingsPerRecord ?? 1000,
      maxDelayMs: opts.maxDelayMs ?? 1000,
      maxConcurrentStreams: opts.maxConcurrentStreams ?? 4,
      resumeFromNode: opts.resumeFromNode ?? true,
    };
    this.attachOpts = { ...opts.attach, pow: opts.pow, remotePow: "never", signal: this.abort.signal };
    const tick = Math.max(20, Math.min(250, this.o.maxDelayMs / 2));
    this.timer = setInterval(() => this.onTick(), tick);
    this.heads = {
      client: this.client,
      outbox: this.outbox,
      session: new NodeSession(this.client),
      gatewayPublicKey: this.keyPair.publicKey,
      resumeFromNode: this.o.resumeFromNode,
      onRebase: (e) => this.emit("rebase", e),
    };
    this.offOpen = this.client.on("open", () => (this.heads.session = new NodeSession(this.client)));
    this.keepProofs = opts.keepProofs ?? true;
    if (this.keepProofs) this.proofTimer = setInterval(() => this.sweepProofs(), Math.max(10, opts.proofIntervalMs ?? 1000));
    // Whatever a previous run left in the outbox goes out first.
    for (const s of this.outbox.streams()) this.kick(s);
  }

  /** The stream id of a sensor name (or 64 hex characters taken as an id). */
  streamId(stream: string): string {
    return resolveStreamId(this.keyPair.publicKey, stream);
  }

  /**
   * Queues a reading of `stream` (a sensor name or a stream id). Resolves once the reading is in
   * the outbox (on disk with LmdbOutbox); it reaches the node later.
   */
  async publish(stream: string, value: unknown, opts: { timestamp?: number } = {}): Promise<string> {
    return this.publishMany(stream, [{ t: opts.timestamp ?? Date.now(), v: value }]);
  }

  /** Queues several readings of one stream, in order. Resolves with the stream id. */
  async publishMany(stream: string, readings: { t: number; v: unknown }[]): Promise<string> {
    if (this.closed) throw new GatewayError(GatewayErrorCode.CLOSED, "gateway closed");
    const streamId = await Gateway.enqueue(this.outbox, this.keyPair.publicKey, stream, readings, this.o.maxRecordBytes);
    if (this.due(streamId, false)) this.kick(streamId);
    return streamId;
  }

  /**
   * Puts readings into an outbox without a gateway running (no node needed: a record is sealed,
   * and so bound to a network, only when a gateway sends them). Same checks as publishMany.
   */
  static async enqueue(outbox: Outbox, gatewayPublicKey: Uint8Array, stream: string, readings: { t: number; v: unknown }[], maxRecordBytes = 8192): Promise<string> {
    const streamId = resolveStreamId(gatewayPublicKey, stream);
    const limit = Math.min(MAX_DATA_BYTES, maxRecordBytes);
    const at = Date.now();
    const items = readings.map((r) => {
      const bytes = encodeReading(r);
      if (bytes.length + 5 > limit) throw new GatewayError(GatewayErrorCode.READING_TOO_LARGE, `a reading of ${bytes.length} bytes does not fit a record of ${limit}`, streamId);
      return { at, bytes };
    });
    await outbox.addReadings(streamId, items);
    return streamId;
  }

  /**
   * Seals every waiting reading now and resolves once everything is acknowledged. Rejects with a
   * stream's error if a stream with work in the outbox was stopped, and with
   * ERR_GATEWAY_FLUSH_TIMEOUT after `timeoutMs`.
   */
  async flush(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const all = this.outbox.streams();
      const failed = all.find((s) => this.stopped.has(s));
      if (failed) throw this.stopped.get(failed)!;
      const streams = all;
      if (streams.length === 0) return;
      for (const s of streams) {
        this.flushing.add(s);
        this.kick(s);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new GatewayError(GatewayErrorCode.FLUSH_TIMEOUT, `flush: ${this.stats().waitingReadings} readings and ${this.stats().unackedRecords} records still waiting after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.idleWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  stats(): GatewayStats {
    let waitingReadings = 0;
    let unackedRecords = 0;
    for (const s of this.outbox.streams()) {
      waitingReadings += this.outbox.pending(s).count;
      if (this.outbox.record(s)) unackedRecords++;
    }
    return { waitingReadings, unackedRecords, ackedRecords: this.acked.records, ackedReadings: this.acked.readings, stoppedStreams: this.stopped.size };
  }

  /** The error that stopped a stream, if any. */
  streamError(streamId: string): GatewayError | undefined {
    return this.stopped.get(streamId);
  }

  /**
   * Stops: no new readings, timers cleared, work in progress abandoned (it stays in the outbox and
   * goes out on the next start). Does not flush: call flush() first for that. Closes the outbox.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.proofTimer) clearInterval(this.proofTimer);
    this.offOpen();
    this.abort.abort();
    await Promise.allSettled([...this.running.values(), this.proofSweep]);
    await this.outbox.close();
  }

  // ---- scheduling -----------------------------------------------------------------------------

  private due(streamId: string, timed: boolean): boolean {
    if (this.outbox.record(streamId)) return true;
    const p = this.outbox.pending(streamId);
    if (p.count === 0) return false;
    if (this.flushing.has(streamId)) return true;
    if (p.count >= this.o.maxReadingsPerRecord || p.bytes + arrayHeaderBytes(p.count) >= this.o.maxRecordBytes) return true;
    return timed && p.oldestAt !== null && Date.now() - p.oldestAt >= this.o.maxDelayMs;
  }

  private onTick(): void {
    for (const s of this.outbox.streams()) if (!this.running.has(s) && this.due(s, true)) this.kick(s);
  }

  private kick(streamId: string): void {
    if (this.closed || this.stopped.has(streamId) || this.running.has(streamId)) return;
    if (this.running.size >= this.o.maxConcurrentStreams) {
      if (!this.waitingToRun.includes(streamId)) this.waitingToRun.push(streamId);
      return;
    }
    const run = this.pump(streamId)
      .catch((err: Error) => {
        if (this.closed) return;
        const e = err instanceof GatewayError ? err : new GatewayError(GatewayErrorCode.REJECTED, err.message, streamId);
        this.stopped.set(streamId, e);
        this.emit("error", e);
      })
      .finally(() => {
        this.running.delete(streamId);
        const next = this.waitingToRun.shift();
        if (next) this.kick(next);
        if (this.due(streamId, false)) this.kick(streamId);
        for (const w of this.idleWaiters.splice(0)) w();
      });
    this.running.set(streamId, run);
  }

  // ---- one stream -----------------------------------------------------------------------------

  /**
   * Seals and submits this stream's records while there is due work. Transient failures (node
   * down, timeouts, rate limits) wait with backoff and for the client to reconnect, then resume
   * where they stopped; anything else ends the stream (the caller reports it).
   */
  private async pump(streamId: string): Promise<void> {
    for (let failures = 0; !this.closed; ) {
      let sequence = -1;
      try {
        const rec = this.outbox.record(streamId);
        sequence = rec?.sequence ?? -1;
        const more = await this.step(streamId);
        if (!more) return;
        failures = 0;
      } catch (err) {
        if (this.closed) return;
        // A node still catching up with its peers answers again once it has.
        if (!isTransient(err) && !hasCode(err, Code.ERR_NOT_SYNCED)) throw err;
        this.emit("retry", { streamId, sequence, code: (err as { code?: string }).code ?? "" });
        await sleep(backoffDelayMs(++failures, STREAM_RETRY));
        if (this.client.state !== "open") await this.client.ready(3_600_000).catch(() => undefined);
      }
    }
  }

  /** One record further: seal, attach, submit. Returns false when the stream has nothing due. */
  private async step(streamId: string): Promise<boolean> {
    let rec = this.outbox.record(streamId);
    if (!rec && !this.due(streamId, true)) {
      this.flushing.delete(streamId);
      return false;
    }
    const network = (await this.heads.session.nodeInfo()).networkId;
    if (rec) {
      const sealedFor = sealedContent(rec).networkId;
      if (sealedFor !== network) {
        throw new GatewayError(GatewayErrorCode.WRONG_NETWORK, `record ${rec.sequence} of stream ${streamId} is sealed for network ${sealedFor}, the node is of network ${network}; it waits in the outbox for a node of network ${sealedFor}`, streamId);
      }
    }
    const head = await checkedHead(this.heads, network, streamId, rec);
    if (rec && (rec.sequence !== head.nextSequence || sealedContent(rec).prevId !== head.prevId)) {
      await unsealStale(this.outbox, streamId, rec);
      rec = undefined;
    }
    if (!rec) {
      rec = await sealRecord(this.outbox, this.keyPair, this.o, streamId, network, head);
      if (!rec) return false;
    }
    if (!rec.bytes || !rec.id) {
      const a = await prepareAttachment(this.client, { essenceBytes: rec.essenceBytes, signature: rec.signature }, this.attachOpts);
      await this.outbox.saveAttachment(streamId, a.bytes, a.id);
      rec = { ...rec, bytes: a.bytes, id: a.id };
    }
    await this.submit(network, streamId, rec.sequence, rec.bytes!, rec.id!, rec.readings);
    return true;
  }

  /**
   * Submits the stamped record once. Acknowledged (stored now or before): the head moves on.
   * Refused for a reason a new attachment cures: the stamped bytes are dropped so the next step
   * attaches the same signed essence again. Transient failures are thrown to pump(); any other
   * refusal ends the stream.
   */
  private async submit(network: number, streamId: string, sequence: number, bytes: Uint8Array, id: string, readings: number): Promise<void> {
    try {
      const r = await this.client.submitTransaction(bytes, { signal: this.abort.signal });
      await this.acknowledge(network, streamId, sequence, r.id, readings, r.duplicate);
    } catch (err) {
      if (this.closed || isTransient(err)) throw err;
      const code = (err as { code?: string }).code ?? Code.ERR_UNKNOWN;
      if (!(REATTACHABLE_CODES as readonly string[]).includes(code)) {
        throw new GatewayError(GatewayErrorCode.REJECTED, `record ${sequence} of stream ${streamId} refused: ${(err as Error).message}`, streamId);
      }
      // The node checks the timestamp before looking the id up: it may have these very bytes.
      if (await this.nodeHas(id)) {
        await this.acknowledge(network, streamId, sequence, id, readings, true);
        return;
      }
      await this.outbox.saveAttachment(streamId, undefined, undefined);
      this.emit("retry", { streamId, sequence, code });
    }
  }

  private async nodeHas(id: string): Promise<boolean> {
    try {
      await this.client.getTransactionMetadata(id);
      return true;
    } catch (err) {
      if (hasCode(err, Code.ERR_NOT_FOUND)) return false;
      throw err;
    }
  }

  private async acknowledge(network: number, streamId: string, sequence: number, id: string, readings: number, duplicate: boolean): Promise<void> {
    const tangle = (await this.heads.session.tangleAnchor().catch(() => null)) ?? undefined;
    await this.outbox.ack(network, streamId, { nextSequence: sequence + 1, prevId: id, ...(tangle ? { tangle } : {}) }, this.keepProofs ? { sequence, id } : undefined);
    this.acked.records++;
    this.acked.readings += readings;
    this.emit("ack", { streamId, sequence, id, readings, duplicate });
  }

  // ---- proofs ---------------------------------------------------------------------------------

  /** One sweep at a time, only while connected. */
  private sweepProofs(): void {
    if (this.closed || this.proofSweep || this.client.state !== "open") return;
    this.proofSweep = this.fetchProofs()
      .then(
        () => undefined,
        () => undefined, // transient (a drop, a timeout): the next sweep asks again
      )
      .finally(() => (this.proofSweep = undefined));
  }

  /** Asks for the proofs of the next records awaiting one; stores those a milestone confirmed. */
  async fetchProofs(): Promise<number> {
    let batch = this.outbox.awaitingProofs(this.proofCursor, PROOFS_PER_SWEEP);
    if (batch.length === 0 && this.proofCursor !== undefined) batch = this.outbox.awaitingProofs(undefined, PROOFS_PER_SWEEP);
    this.proofCursor = batch.length < PROOFS_PER_SWEEP ? undefined : batch[batch.length - 1].id;
    let stored = 0;
    for (const a of batch) {
      if (this.closed) break;
      try {
        const r = await this.client.getInclusionProof(a.id, { signal: this.abort.signal });
        const d = decodeInclusionProof(r.proof);
        if (!d.ok || d.value.milestone.index !== r.milestoneIndex) continue; // a bad answer: ask again later
        await this.outbox.saveProof(a, r.proof);
        stored++;
        this.emit("proof", { streamId: a.streamId, sequence: a.sequence, id: a.id, milestoneIndex: r.milestoneIndex });
      } catch (err) {
        if (hasCode(err, Code.ERR_NOT_CONFIRMED)) continue;
        if (hasCode(err, Code.ERR_NOT_FOUND) || hasCode(err, Code.ERR_PRUNED)) {
          await this.outbox.dropAwaiting(a.id);
          continue;
        }
        throw err;
      }
    }
    return stored;
  }
}
