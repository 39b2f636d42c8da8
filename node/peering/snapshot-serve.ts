/**
 * Serving snapshots to peers (peer protocol 5; docs/protocol.md, "Snapshot transfer"): a peer asks
 * `snapreq`, this node answers `snapinfo` for the newest full file in `<data>/snapshots/` (written by
 * `--snapshot-interval`, node/snapshot/periodic.ts) or `snapnone`; the peer then asks `snapget
 * {index, offset}` chunk after chunk and gets `snapchunk`s of at most PEER_LIMITS.snapshotChunkBytes.
 * Protocol 6: the `snapinfo` also offers the newest delta file on that full one
 * (`delta-<B>-<N>.snap`, `--snapshot-delta-interval`), served the same way by its index N; both
 * files are opened at the offer.
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
import { PEER_LIMITS, PRUNED_INDEX_PROTOCOL_VERSION, SnapshotInfo } from "./protocol";

import { snapshotFileName } from "../snapshot/periodic";

interface Upload {
  /** The files offered, by snapshot index: the full one, and a delta on it. */
  files: Map<number, { bytes: number; fh: fs.promises.FileHandle }>;
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

  /** The newest full file in the directory and the newest delta on it, or undefined. */
  private async newest(): Promise<{ full: { file: string; index: number }; delta?: { file: string; index: number } } | undefined> {
    let names: string[];
    try {
      names = await fs.promises.readdir(this.dir);
    } catch {
      return undefined;
    }
    const parsed = names.flatMap((n) => {
      const m = snapshotFileName(n);
      return m ? [{ file: path.join(this.dir, n), ...m }] : [];
    });
    const full = parsed.filter((x) => x.kind === "full").sort((a, b) => b.index - a.index)[0];
    if (!full) return undefined;
    const delta = parsed.filter((x) => x.kind === "delta" && x.base === full.index && x.index > full.index).sort((a, b) => b.index - a.index)[0];
    return { full, ...(delta ? { delta } : {}) };
  }

  /** Opens `file` and reads its header's index and root (cached by name: a file in place never changes). */
  private async openFile(file: string): Promise<{ index: number; ledgerRoot: string; bytes: number; fh: fs.promises.FileHandle }> {
    const fh = await fs.promises.open(file, "r");
    try {
      const bytes = (await fh.stat()).size;
      let h = this.headers.get(file);
      if (!h) {
        const r = SnapshotReader.open(file);
        try {
          h = { index: r.header.index, ledgerRoot: toHex(r.header.ledgerRoot) };
        } finally {
          r.close();
        }
        this.headers.set(file, h);
      }
      return { ...h, bytes, fh };
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
  }

  /**
   * `snapreq`: answers snapinfo for the newest full file (and, to a peer of protocol 6, the newest
   * delta on it), keeping them open for this peer, or snapnone.
   */
  async request(peer: Peer): Promise<void> {
    await this.forget(peer);
    const none = () => peer.send({ t: "snapnone" });
    if (this.closed || this.uploads.size >= PEER_LIMITS.maxSnapshotUploads) return none();
    const f = await this.newest();
    if (!f) return none();
    let full: Awaited<ReturnType<SnapshotServer["openFile"]>>;
    try {
      full = await this.openFile(f.full.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.log.warn({ file: f.full.file, err: (err as Error).message }, "snapshot not served: its header does not read");
      return none(); // pruned between the listing and the open, or unreadable
    }
    let delta: typeof full | undefined;
    if (f.delta && (peer.hello?.protocol ?? 0) >= PRUNED_INDEX_PROTOCOL_VERSION) {
      try {
        delta = await this.openFile(f.delta.file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.log.warn({ file: f.delta.file, err: (err as Error).message }, "delta snapshot not offered: its header does not read");
      }
    }
    const opened = [full, ...(delta ? [delta] : [])];
    if (this.closed || this.uploads.has(peer) || peer.ws.readyState !== peer.ws.OPEN) {
      for (const o of opened) await o.fh.close().catch(() => undefined);
      return;
    }
    this.uploads.set(peer, { files: new Map(opened.map((o) => [o.index, { bytes: o.bytes, fh: o.fh }])), busy: false, windowMs: Date.now(), served: 0, sentBytes: 0, startedMs: Date.now() });
    const info: SnapshotInfo = { t: "snapinfo", index: full.index, kind: "full", bytes: full.bytes, ledgerRoot: full.ledgerRoot, ...(delta ? { delta: { index: delta.index, bytes: delta.bytes, ledgerRoot: delta.ledgerRoot } } : {}) };
    peer.send(info);
    this.log.info({ peer: peer.key, index: full.index, bytes: full.bytes, ...(delta ? { delta: delta.index, deltaBytes: delta.bytes } : {}) }, "snapshot offered to a peer");
  }

  /**
   * `snapget`: the chunk at `offset` of the file offered to this peer. `penalize` for a request that
   * breaks the rules (a second one in flight, an offset past the end); `snapnone` when this peer was
   * offered no such file (it asks `snapreq` again).
   */
  async get(peer: Peer, index: number, offset: number, penalize: (why: string) => void): Promise<void> {
    const u = this.uploads.get(peer);
    const file = u?.files.get(index);
    if (!u || !file) return peer.send({ t: "snapnone" });
    if (u.busy) return penalize("snapget while the previous one is still being answered");
    if (offset >= file.bytes) return penalize(`snapget at offset ${offset}, the file has ${file.bytes} bytes`);
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
      const len = Math.min(PEER_LIMITS.snapshotChunkBytes, file.bytes - offset);
      const data = Buffer.alloc(len);
      const { bytesRead } = await file.fh.read(data, 0, len, offset);
      if (this.uploads.get(peer) !== u) return;
      const last = offset + bytesRead >= file.bytes;
      u.served++;
      u.sentBytes += bytesRead;
      peer.send({ t: "snapchunk", index, offset, data: data.subarray(0, bytesRead), last });
      if (last) this.log.info({ peer: peer.key, index, bytes: file.bytes, ms: Date.now() - u.startedMs }, "snapshot sent to a peer");
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
    for (const f of u.files.values()) await f.fh.close().catch(() => undefined);
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
