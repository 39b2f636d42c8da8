/**
 * Serving snapshots to peers (peer protocol 5; docs/protocol.md, "Snapshot transfer"): a peer asks
 * `snapreq`, this node answers `snapinfo` for the newest full file in `<data>/snapshots/` (written by
 * `--snapshot-interval`, node/snapshot/periodic.ts) or `snapnone`; the peer then asks `snapget
 * {index, offset}` chunk after chunk and gets `snapchunk`s of at most PEER_LIMITS.snapshotChunkBytes.
 *
 * Bounds, so a downloader never costs the node more than a little: at most
 * PEER_LIMITS.maxSnapshotUploads peers download at once, each with one chunk in flight (a second
 * `snapget` before the first is answered is invalid data), at most maxSnapshotChunksPerSecond per
 * peer, and a chunk waits while the peer's socket buffer is over PEER_LIMITS.maxBufferedBytes. Reads
 * are asynchronous and the file stays open for the transfer, so a file the writer prunes meanwhile
 * is still served whole. Nothing here is trusted by the receiver: it verifies the file against its
 * genesis (node/snapshot/verify.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Logger } from "../logger";
import { toHex } from "../../client/protocol/bytes";
import { SnapshotReader } from "../snapshot/file";
import type { Peer } from "./peer";
import { PEER_LIMITS, SnapshotInfo } from "./protocol";

const FULL_FILE = /^full-(\d+)\.snap$/;

interface Upload {
  index: number;
  bytes: number;
  fh: fs.promises.FileHandle;
  busy: boolean;
  /** Start of the current one-second window and chunks served in it. */
  windowMs: number;
  served: number;
  sentBytes: number;
  startedMs: number;
}

export class SnapshotServer {
  private readonly uploads = new Map<Peer, Upload>();
  /** Header facts by file name (a file named full-N.snap never changes once in place). */
  private readonly headers = new Map<string, { index: number; ledgerRoot: string }>();
  private closed = false;

  /** `dir`: the node's snapshot directory (it may not exist: then there is nothing to serve). */
  constructor(
    private readonly dir: string,
    private readonly log: Logger,
  ) {}

  /** The newest full file in the directory, or undefined. */
  private async newest(): Promise<{ file: string; index: number } | undefined> {
    let names: string[];
    try {
      names = await fs.promises.readdir(this.dir);
    } catch {
      return undefined;
    }
    let best: { file: string; index: number } | undefined;
    for (const n of names) {
      const m = FULL_FILE.exec(n);
      if (m && (!best || Number(m[1]) > best.index)) best = { file: path.join(this.dir, n), index: Number(m[1]) };
    }
    return best;
  }

  /** `snapreq`: answers snapinfo for the newest full file (and keeps it open for this peer), or snapnone. */
  async request(peer: Peer): Promise<void> {
    await this.forget(peer);
    const none = () => peer.send({ t: "snapnone" });
    if (this.closed || this.uploads.size >= PEER_LIMITS.maxSnapshotUploads) return none();
    const f = await this.newest();
    if (!f) return none();
    let fh: fs.promises.FileHandle;
    try {
      fh = await fs.promises.open(f.file, "r");
    } catch {
      return none(); // pruned between the listing and the open
    }
    try {
      const size = (await fh.stat()).size;
      let h = this.headers.get(f.file);
      if (!h) {
        const r = SnapshotReader.open(f.file);
        try {
          h = { index: r.header.index, ledgerRoot: toHex(r.header.ledgerRoot) };
        } finally {
          r.close();
        }
        this.headers.set(f.file, h);
      }
      if (this.closed || this.uploads.has(peer) || peer.ws.readyState !== peer.ws.OPEN) throw new Error("gone");
      this.uploads.set(peer, { index: h.index, bytes: size, fh, busy: false, windowMs: Date.now(), served: 0, sentBytes: 0, startedMs: Date.now() });
      const info: SnapshotInfo = { t: "snapinfo", index: h.index, kind: "full", bytes: size, ledgerRoot: h.ledgerRoot };
      peer.send(info);
      this.log.info({ peer: peer.key, index: h.index, bytes: size }, "snapshot offered to a peer");
    } catch (err) {
      await fh.close().catch(() => undefined);
      if ((err as Error).message !== "gone") {
        this.log.warn({ file: f.file, err: (err as Error).message }, "snapshot not served: its header does not read");
        none();
      }
    }
  }

  /**
   * `snapget`: the chunk at `offset` of the file offered to this peer. `penalize` for a request that
   * breaks the rules (a second one in flight, an offset past the end); `snapnone` when this peer was
   * offered no such file (it asks `snapreq` again).
   */
  async get(peer: Peer, index: number, offset: number, penalize: (why: string) => void): Promise<void> {
    const u = this.uploads.get(peer);
    if (!u || u.index !== index) return peer.send({ t: "snapnone" });
    if (u.busy) return penalize("snapget while the previous one is still being answered");
    if (offset >= u.bytes) return penalize(`snapget at offset ${offset}, the file has ${u.bytes} bytes`);
    u.busy = true;
    try {
      // Rate and backpressure: wait (never drop, never block the loop) until the peer may have more.
      for (;;) {
        if (this.closed || this.uploads.get(peer) !== u) return;
        const now = Date.now();
        if (now - u.windowMs >= 1000) {
          u.windowMs = now;
          u.served = 0;
        }
        if (u.served < PEER_LIMITS.maxSnapshotChunksPerSecond && peer.ws.bufferedAmount <= PEER_LIMITS.maxBufferedBytes) break;
        await new Promise((r) => setTimeout(r, u.served >= PEER_LIMITS.maxSnapshotChunksPerSecond ? 1000 - (now - u.windowMs) : PEER_LIMITS.flushIntervalMs));
      }
      const len = Math.min(PEER_LIMITS.snapshotChunkBytes, u.bytes - offset);
      const data = Buffer.alloc(len);
      const { bytesRead } = await u.fh.read(data, 0, len, offset);
      if (this.uploads.get(peer) !== u) return;
      const last = offset + bytesRead >= u.bytes;
      u.served++;
      u.sentBytes += bytesRead;
      peer.send({ t: "snapchunk", index, offset, data: data.subarray(0, bytesRead), last });
      if (last) this.log.info({ peer: peer.key, index, bytes: u.bytes, ms: Date.now() - u.startedMs }, "snapshot sent to a peer");
    } catch (err) {
      this.log.warn({ peer: peer.key, index, err: (err as Error).message }, "snapshot chunk not read");
      peer.send({ t: "snapnone" });
      await this.forget(peer);
    } finally {
      u.busy = false;
    }
  }

  /** The peer left (or asked again): its file is closed. */
  async forget(peer: Peer): Promise<void> {
    const u = this.uploads.get(peer);
    if (!u) return;
    this.uploads.delete(peer);
    await u.fh.close().catch(() => undefined);
  }

  /** Peers downloading now. */
  get uploading(): number {
    return this.uploads.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of [...this.uploads.keys()]) await this.forget(p);
  }
}
