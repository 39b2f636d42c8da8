/**
 * The gateway's outbox: readings wait here until a record holding them is acknowledged by a node.
 *
 * Per stream it holds
 *   - readings not yet in a record, in publish order (each with a per-stream key that only grows);
 *   - at most one sealed record: signed, maybe already stamped, not acknowledged. Sealing removes
 *     its readings in the same atomic write, so a reading is always in exactly one place;
 *   - per network (the `networkId` a signed record is bound to) the head: the next sequence number
 *     and the id of the last acknowledged record (the link the next record must carry), with the
 *     tangle it was acknowledged on (the id of that tangle's milestone 1, when it had one).
 * Readings belong to no network; a record is bound to one when it is sealed (its signed essence
 * names the network). Acknowledging deletes the record and moves the head in one atomic write.
 * After a crash the gateway resubmits the sealed record's exact bytes (the node answers `duplicate`
 * if it had them), so a sequence is never issued twice with different content on one tangle. A
 * sealed record whose chain the node does not have (another tangle: a dev node started afresh) is
 * unsealed: its readings go back in front of the waiting ones, to be sealed again after the node's
 * own head of the stream.
 *
 * Acknowledging a record also notes it as awaiting its inclusion proof (docs/proofs.md), in the same
 * write; once a milestone confirmed it the gateway fetches the proof and keeps it here, keyed by
 * stream and sequence, so that the stream's audit trail stays checkable after every node pruned
 * the record.
 *
 * `MemoryOutbox` keeps it in memory (browsers, tests, fire-and-forget use); `LmdbOutbox`
 * (outbox-lmdb.ts, Node only) keeps it on disk.
 */

export interface OutboxReading {
  /** Per-stream key, increasing in publish order (readings put back by unseal() go below the rest). */
  key: number;
  /** Publish time (ms), for the batching time bound. */
  at: number;
  /** The encoded reading (readings.ts). */
  bytes: Uint8Array;
}

export interface StreamHead {
  nextSequence: number;
  /** Id of the last acknowledged record (hex); null before sequence 0. */
  prevId: string | null;
  /**
   * Id (hex) of milestone 1 of the tangle on which `prevId` was acknowledged; absent when unknown
   * (that tangle had no milestone yet). Two dev nodes started afresh share a genesis, not this.
   */
  tangle?: string;
}

export interface SealedRecord {
  sequence: number;
  essenceBytes: Uint8Array;
  signature: Uint8Array;
  readings: number;
  /** Stamped bytes once attached (persisted before the first submission). */
  bytes?: Uint8Array;
  id?: string;
}

/** An acknowledged record whose inclusion proof is not stored yet. */
export interface AwaitingProof {
  streamId: string;
  sequence: number;
  id: string;
}

/** A record's inclusion proof, in its byte form. */
export interface StoredProof {
  sequence: number;
  id: string;
  proof: Uint8Array;
}

export interface Outbox {
  /** Streams with readings or a sealed record. */
  streams(): string[];
  /** Appends readings (durable when the promise resolves). */
  addReadings(streamId: string, items: { at: number; bytes: Uint8Array }[]): Promise<void>;
  /** The oldest waiting readings, at most `limit`. */
  readings(streamId: string, limit: number): OutboxReading[];
  /** Count, total bytes and oldest publish time of the waiting readings. */
  pending(streamId: string): { count: number; bytes: number; oldestAt: number | null };
  /** The stream's head on network `network` (a networkId). */
  head(network: number, streamId: string): StreamHead | undefined;
  setHead(network: number, streamId: string, head: StreamHead): Promise<void>;
  record(streamId: string): SealedRecord | undefined;
  /** Stores the sealed record and removes the readings up to `lastKey`, atomically. */
  seal(streamId: string, record: SealedRecord, lastKey: number): Promise<void>;
  /** Records the stamped bytes (or clears them, to attach again). */
  saveAttachment(streamId: string, bytes: Uint8Array | undefined, id: string | undefined): Promise<void>;
  /**
   * Deletes the sealed record and sets the head after it, atomically; with `acked`, notes that
   * record as awaiting its inclusion proof in the same write.
   */
  ack(network: number, streamId: string, next: StreamHead, acked?: { sequence: number; id: string }): Promise<void>;
  /** Records awaiting their proof, in id order, starting after `afterId` (from the first when undefined), at most `limit`. */
  awaitingProofs(afterId: string | undefined, limit: number): AwaitingProof[];
  /** Stores the record's proof (replacing one of the same stream and sequence) and ends its wait, atomically. */
  saveProof(record: AwaitingProof, proof: Uint8Array): Promise<void>;
  /** Ends a record's wait without a proof (no node will confirm it). */
  dropAwaiting(id: string): Promise<void>;
  /** The stored proofs of a stream, by sequence. */
  proofs(streamId: string): StoredProof[];
  /** Deletes the sealed record and puts `readings` (its content) in front of the waiting ones, atomically. */
  unseal(streamId: string, readings: { at: number; bytes: Uint8Array }[]): Promise<void>;
  close(): Promise<void>;
}

interface MemStream {
  readings: OutboxReading[];
  bytes: number;
  nextKey: number;
  heads: Map<number, StreamHead>;
  record?: SealedRecord;
  proofs: Map<number, StoredProof>;
}

export class MemoryOutbox implements Outbox {
  private readonly s = new Map<string, MemStream>();
  private readonly awaiting = new Map<string, AwaitingProof>();

  private get(streamId: string): MemStream {
    let m = this.s.get(streamId);
    if (!m) this.s.set(streamId, (m = { readings: [], bytes: 0, nextKey: 0, heads: new Map(), proofs: new Map() }));
    return m;
  }

  streams(): string[] {
    return [...this.s.entries()].filter(([, m]) => m.readings.length > 0 || m.record).map(([k]) => k);
  }

  async addReadings(streamId: string, items: { at: number; bytes: Uint8Array }[]): Promise<void> {
    const m = this.get(streamId);
    for (const it of items) {
      m.readings.push({ key: m.nextKey++, at: it.at, bytes: it.bytes });
      m.bytes += it.bytes.length;
    }
  }

  readings(streamId: string, limit: number): OutboxReading[] {
    return (this.s.get(streamId)?.readings ?? []).slice(0, limit);
  }

  pending(streamId: string): { count: number; bytes: number; oldestAt: number | null } {
    const m = this.s.get(streamId);
    return { count: m?.readings.length ?? 0, bytes: m?.bytes ?? 0, oldestAt: m?.readings[0]?.at ?? null };
  }

  head(network: number, streamId: string): StreamHead | undefined {
    const h = this.s.get(streamId)?.heads.get(network);
    return h && { ...h };
  }

  async setHead(network: number, streamId: string, head: StreamHead): Promise<void> {
    this.get(streamId).heads.set(network, { ...head });
  }

  record(streamId: string): SealedRecord | undefined {
    return this.s.get(streamId)?.record;
  }

  async seal(streamId: string, record: SealedRecord, lastKey: number): Promise<void> {
    const m = this.get(streamId);
    const n = m.readings.findIndex((r) => r.key > lastKey);
    const taken = n < 0 ? m.readings.splice(0) : m.readings.splice(0, n);
    m.bytes -= taken.reduce((k, r) => k + r.bytes.length, 0);
    m.record = { ...record };
  }

  async saveAttachment(streamId: string, bytes: Uint8Array | undefined, id: string | undefined): Promise<void> {
    const r = this.s.get(streamId)?.record;
    if (r) Object.assign(r, { bytes, id });
  }

  async ack(network: number, streamId: string, next: StreamHead, acked?: { sequence: number; id: string }): Promise<void> {
    const m = this.get(streamId);
    m.record = undefined;
    m.heads.set(network, { ...next });
    if (acked) this.awaiting.set(acked.id, { streamId, sequence: acked.sequence, id: acked.id });
  }

  awaitingProofs(afterId: string | undefined, limit: number): AwaitingProof[] {
    return [...this.awaiting.values()]
      .filter((a) => afterId === undefined || a.id > afterId)
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .slice(0, limit)
      .map((a) => ({ ...a }));
  }

  async saveProof(record: AwaitingProof, proof: Uint8Array): Promise<void> {
    this.get(record.streamId).proofs.set(record.sequence, { sequence: record.sequence, id: record.id, proof: Uint8Array.from(proof) });
    this.awaiting.delete(record.id);
  }

  async dropAwaiting(id: string): Promise<void> {
    this.awaiting.delete(id);
  }

  proofs(streamId: string): StoredProof[] {
    return [...(this.s.get(streamId)?.proofs.values() ?? [])].sort((a, b) => a.sequence - b.sequence).map((p) => ({ ...p, proof: Uint8Array.from(p.proof) }));
  }

  async unseal(streamId: string, readings: { at: number; bytes: Uint8Array }[]): Promise<void> {
    const m = this.get(streamId);
    const first = m.readings[0]?.key ?? m.nextKey;
    m.readings.unshift(...readings.map((r, i) => ({ key: first - readings.length + i, at: r.at, bytes: r.bytes })));
    m.bytes += readings.reduce((n, r) => n + r.bytes.length, 0);
    m.record = undefined;
  }

  async close(): Promise<void> {}
}
