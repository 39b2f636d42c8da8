/**
 * The outbox on disk (LMDB, Node only): the contract is in outbox.ts. Every change is one LMDB
 * write transaction, and a promise resolves only once it is committed, so whatever a caller was
 * told is stored survives a crash of the gateway.
 *
 * | db       | key                          | value                                       |
 * |----------|------------------------------|---------------------------------------------|
 * | readings | [stream id hex, key]         | {at, bytes}                                 |
 * | records  | stream id hex                | SealedRecord                                |
 * | heads    | "networkId:stream id hex"    | StreamHead                                  |
 * | awaiting | record id hex                | {streamId, sequence}: acknowledged, no proof yet |
 * | proofs   | [stream id hex, sequence]    | {id, proof}: the record's inclusion proof (byte form) |
 *
 * Heads written before they were kept per network are keyed by the stream id alone; they are read
 * as the head on any network, and the gateway checks every head against the node before use.
 * Counts, sizes and the first and next reading key per stream are kept in memory and rebuilt at
 * open, which is why one process at a time holds the directory (`outbox.lock`, client/dir-lock.ts).
 */
import * as fs from "node:fs";
import { open, Database, RootDatabase } from "lmdb";
import { describeHolder, lockDir } from "../dir-lock";
import type { AwaitingProof, Outbox, OutboxReading, SealedRecord, StoredProof, StreamHead } from "./outbox";
import { GatewayError, GatewayErrorCode } from "./types";

export const OUTBOX_LOCK_FILE = "outbox.lock";

interface Stat {
  count: number;
  bytes: number;
  firstKey: number;
  nextKey: number;
  oldestAt: number | null;
}

type Key = [string, number];

const toBytes = (b: Uint8Array | undefined) => (b ? Uint8Array.from(b) : undefined);

export class LmdbOutbox implements Outbox {
  private readonly root: RootDatabase;
  private readonly readingsDb: Database<{ at: number; bytes: Uint8Array }, Key>;
  private readonly recordsDb: Database<SealedRecord, string>;
  private readonly headsDb: Database<StreamHead, string>;
  private readonly awaitingDb: Database<{ streamId: string; sequence: number }, string>;
  private readonly proofsDb: Database<{ id: string; proof: Uint8Array }, Key>;
  private readonly stats = new Map<string, Stat>();
  private readonly unlock: () => void;

  private constructor(readonly path: string) {
    fs.mkdirSync(path, { recursive: true });
    this.unlock = lockDir(path, OUTBOX_LOCK_FILE, (holder) => {
      const who = describeHolder(holder, "a gateway starting now");
      return new GatewayError(GatewayErrorCode.OUTBOX_IN_USE, `outbox ${path} is in use by ${who}; one gateway process per outbox: wait for it, or give this one another outbox directory`);
    });
    try {
      this.root = open({ path: `${path}/outbox.mdb`, maxDbs: 8, compression: false, overlappingSync: false });
    } catch (err) {
      this.unlock();
      throw err;
    }
    this.readingsDb = this.root.openDB({ name: "readings", encoding: "msgpack" });
    this.recordsDb = this.root.openDB({ name: "records", encoding: "msgpack" });
    this.headsDb = this.root.openDB({ name: "heads", encoding: "msgpack" });
    this.awaitingDb = this.root.openDB({ name: "awaiting", encoding: "msgpack" });
    this.proofsDb = this.root.openDB({ name: "proofs", encoding: "msgpack" });
    for (const { key, value } of this.readingsDb.getRange()) {
      const [s, k] = key;
      const st = this.stat(s);
      st.count++;
      st.bytes += value.bytes.length;
      if (st.count === 1) st.firstKey = k;
      st.nextKey = Math.max(st.nextKey, k + 1);
      st.oldestAt ??= value.at;
    }
  }

  /**
   * Opens (creating if needed) the outbox in directory `path`. Throws ERR_OUTBOX_IN_USE while
   * another live process has it open (a lock left by a process that is gone is taken over).
   */
  static open(path: string): LmdbOutbox {
    return new LmdbOutbox(path);
  }

  private stat(s: string): Stat {
    let st = this.stats.get(s);
    if (!st) this.stats.set(s, (st = { count: 0, bytes: 0, firstKey: 0, nextKey: 0, oldestAt: null }));
    return st;
  }

  streams(): string[] {
    const out = new Set<string>();
    for (const [s, st] of this.stats) if (st.count > 0) out.add(s);
    for (const s of this.recordsDb.getKeys()) out.add(s);
    return [...out];
  }

  async addReadings(streamId: string, items: { at: number; bytes: Uint8Array }[]): Promise<void> {
    const st = this.stat(streamId);
    // Keys are taken at once, in call order; the readings are counted once committed, so that
    // pending() never counts one readings() cannot return yet (the gateway would run the stream
    // again and again, finding nothing to seal, without ever letting the commit complete).
    const rows = items.map((it) => ({ key: [streamId, st.nextKey++] as Key, value: { at: it.at, bytes: it.bytes } }));
    await this.root.transaction(() => {
      for (const r of rows) this.readingsDb.put(r.key, r.value);
    });
    for (const r of rows) {
      if (st.count === 0) st.firstKey = r.key[1];
      st.count++;
      st.bytes += r.value.bytes.length;
      st.oldestAt ??= r.value.at;
    }
  }

  readings(streamId: string, limit: number): OutboxReading[] {
    const out: OutboxReading[] = [];
    for (const { key, value } of this.readingsDb.getRange({ start: [streamId, -Number.MAX_SAFE_INTEGER], end: [streamId, Number.MAX_SAFE_INTEGER], limit })) {
      out.push({ key: key[1], at: value.at, bytes: Uint8Array.from(value.bytes) });
    }
    return out;
  }

  pending(streamId: string): { count: number; bytes: number; oldestAt: number | null } {
    const st = this.stats.get(streamId);
    return { count: st?.count ?? 0, bytes: st?.bytes ?? 0, oldestAt: st?.oldestAt ?? null };
  }

  head(network: number, streamId: string): StreamHead | undefined {
    const h = this.headsDb.get(`${network}:${streamId}`) ?? this.headsDb.get(streamId);
    return h && { nextSequence: h.nextSequence, prevId: h.prevId, ...(h.tangle ? { tangle: h.tangle } : {}) };
  }

  async setHead(network: number, streamId: string, head: StreamHead): Promise<void> {
    await this.headsDb.put(`${network}:${streamId}`, stripUndefined({ ...head }));
  }

  record(streamId: string): SealedRecord | undefined {
    const r = this.recordsDb.get(streamId);
    if (!r) return undefined;
    return { ...r, essenceBytes: Uint8Array.from(r.essenceBytes), signature: Uint8Array.from(r.signature), bytes: toBytes(r.bytes) };
  }

  async seal(streamId: string, record: SealedRecord, lastKey: number): Promise<void> {
    const taken = this.readings(streamId, Number.MAX_SAFE_INTEGER).filter((r) => r.key <= lastKey);
    await this.root.transaction(() => {
      for (const r of taken) this.readingsDb.remove([streamId, r.key]);
      this.recordsDb.put(streamId, stripUndefined(record));
    });
    const st = this.stat(streamId);
    st.count -= taken.length;
    st.bytes -= taken.reduce((n, r) => n + r.bytes.length, 0);
    const first = this.readings(streamId, 1)[0];
    st.oldestAt = first?.at ?? null;
    if (first) st.firstKey = first.key;
  }

  async saveAttachment(streamId: string, bytes: Uint8Array | undefined, id: string | undefined): Promise<void> {
    await this.root.transaction(() => {
      const r = this.recordsDb.get(streamId);
      if (r) this.recordsDb.put(streamId, stripUndefined({ ...r, bytes, id }));
    });
  }

  async ack(network: number, streamId: string, next: StreamHead, acked?: { sequence: number; id: string }): Promise<void> {
    await this.root.transaction(() => {
      this.recordsDb.remove(streamId);
      this.headsDb.remove(streamId); // a head from before heads were kept per network
      this.headsDb.put(`${network}:${streamId}`, stripUndefined({ ...next }));
      if (acked) this.awaitingDb.put(acked.id, { streamId, sequence: acked.sequence });
    });
  }

  awaitingProofs(afterId: string | undefined, limit: number): AwaitingProof[] {
    const out: AwaitingProof[] = [];
    for (const { key, value } of this.awaitingDb.getRange({ start: afterId ?? "", limit: limit + 1 })) {
      if (key === afterId) continue;
      if (out.length < limit) out.push({ id: key, streamId: value.streamId, sequence: value.sequence });
    }
    return out;
  }

  async saveProof(record: AwaitingProof, proof: Uint8Array): Promise<void> {
    await this.root.transaction(() => {
      this.proofsDb.put([record.streamId, record.sequence], { id: record.id, proof });
      this.awaitingDb.remove(record.id);
    });
  }

  async dropAwaiting(id: string): Promise<void> {
    await this.awaitingDb.remove(id);
  }

  proofs(streamId: string): StoredProof[] {
    const out: StoredProof[] = [];
    for (const { key, value } of this.proofsDb.getRange({ start: [streamId, -1], end: [streamId, Number.MAX_SAFE_INTEGER] })) {
      out.push({ sequence: key[1], id: value.id, proof: Uint8Array.from(value.proof) });
    }
    return out;
  }

  async unseal(streamId: string, readings: { at: number; bytes: Uint8Array }[]): Promise<void> {
    const st = this.stat(streamId);
    const first = st.count > 0 ? st.firstKey : st.nextKey;
    const rows = readings.map((r, i) => ({ key: [streamId, first - readings.length + i] as Key, value: { at: r.at, bytes: r.bytes } }));
    await this.root.transaction(() => {
      this.recordsDb.remove(streamId);
      for (const r of rows) this.readingsDb.put(r.key, r.value);
    });
    if (rows.length === 0) return;
    st.firstKey = rows[0].key[1];
    st.count += rows.length;
    st.bytes += readings.reduce((n, r) => n + r.bytes.length, 0);
    st.oldestAt = readings[0].at;
  }

  async close(): Promise<void> {
    try {
      await this.root.close();
    } finally {
      this.unlock();
    }
  }
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
