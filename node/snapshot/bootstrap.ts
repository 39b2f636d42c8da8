/**
 * `tangle node --bootstrap snapshot --peer URL`: before the node opens an empty data directory, it
 * fetches the newest snapshot a peer serves (peer protocol 5: snapreq, snapinfo, snapget, snapchunk;
 * node/peering/snapshot-serve.ts), imports it (import.ts, which verifies it against the genesis
 * first: the committee chain from the genesis, the snapshot milestone's k-of-n signatures, the ledger
 * root recomputed from the entries), and the node then starts as usual, gossip and milestone sync
 * carrying it forward from the snapshot's milestone (docs/storage.md, "Booting from a peer").
 *
 * Nothing a peer says is trusted: not its URL, not the index or root in its `snapinfo`. A file that
 * fails verification is deleted, and the next peer's is tried. The handshake is the peer
 * handshake's (hello both ways, network and genesis checked by failures.ts helloFailure).
 *
 * A data directory that is not empty is left alone: the bootstrap is skipped and said so, so a node
 * restarted with the same command line simply opens its database.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import WebSocket from "ws";
import { Code, CodedError } from "../../client/protocol/codes";
import { packFrame } from "../../client/protocol/frame";
import { toHex } from "../../client/protocol/bytes";
import type { Logger } from "../logger";
import { Genesis, genesisTransactionId } from "../ledger/genesis";
import { helloFailure } from "../peering/failures";
import { normalizeUrl } from "../peering/peer";
import { Hello, parsePeerMessage, PeerMessage, PEER_LIMITS, PEER_PATH, PEER_PROTOCOL_VERSION, PeerCloseCode, SNAPSHOT_PROTOCOL_VERSION, SnapshotInfo } from "../peering/protocol";
import { SnapshotError } from "./errors";
import { importSnapshot } from "./import";
import type { SnapshotSummary } from "./verify";

export const BootstrapErrorCode = {
  /** No peer offered a snapshot (none reachable, none of protocol 5, none has a file). */
  NO_SNAPSHOT: Code.ERR_BOOTSTRAP_NO_SNAPSHOT,
  /** Every offered snapshot failed to download (connection lost, no answer in time, a chunk out of place). */
  DOWNLOAD: Code.ERR_BOOTSTRAP_DOWNLOAD,
  /** A downloaded snapshot failed verification against the genesis (the message names the snapshot code). */
  VERIFY: Code.ERR_BOOTSTRAP_VERIFY,
} as const;

type BootstrapCode = (typeof BootstrapErrorCode)[keyof typeof BootstrapErrorCode];

export class BootstrapError extends CodedError<BootstrapCode> {
  override name = "BootstrapError";
}

export interface BootstrapOptions {
  dataDir: string;
  genesis: Genesis;
  /** Peer URLs (ws://host:port), as --peer takes them. */
  peers: readonly string[];
  log: Logger;
}

export interface BootstrapResult {
  /** False when the data directory was not empty (nothing done). */
  imported: boolean;
  peer?: string;
  summary?: SnapshotSummary;
  bytes?: number;
  downloadMs?: number;
  importMs?: number;
}

/** The names the downloads take inside the data directory (import.ts takes a target holding only the files it imports). */
const DOWNLOAD_NAME = ".bootstrap-snapshot";
const DELTA_DOWNLOAD_NAME = ".bootstrap-delta";

const isEmptyDir = (dir: string) => !fs.existsSync(dir) || fs.readdirSync(dir).length === 0;

/** One peer connection speaking just enough of the peer protocol: hello, then one question at a time. */
class SnapshotPeer {
  private waiter?: { accept: (m: PeerMessage) => boolean; resolve: (m: PeerMessage) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };
  private failure?: Error;
  hello?: Hello;

  private constructor(
    readonly url: string,
    private readonly ws: WebSocket,
  ) {}

  /** Dials `url`, exchanges hellos (network, genesis, protocol checked). */
  static async connect(url: string, genesis: Genesis): Promise<SnapshotPeer> {
    const u = normalizeUrl(url);
    const ws = new WebSocket(u + PEER_PATH, { maxPayload: PEER_LIMITS.maxFrameBytes, handshakeTimeout: PEER_LIMITS.handshakeTimeoutMs });
    const p = new SnapshotPeer(u, ws);
    const ours = { networkId: genesis.networkId, genesisId: toHex(genesisTransactionId(genesis)) };
    ws.on("message", (data: Buffer, isBinary: boolean) => p.onMessage(data, isBinary, ours));
    ws.on("error", (err) => p.fail(new Error(`connection error: ${err.message}`)));
    ws.on("close", (code, reason) => p.fail(new Error(`connection closed (${code}${reason.length ? `: ${String(reason)}` : ""})`)));
    // Waited for from the start: the peer's hello may come in the same read as the upgrade.
    const hello = p.next((m) => m.t === "hello", PEER_LIMITS.handshakeTimeoutMs + PEER_LIMITS.helloTimeoutMs, "no hello");
    hello.catch(() => undefined);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", (err) => reject(new Error(`cannot connect: ${err.message}`)));
    });
    ws.send(packFrame({ t: "hello", protocol: PEER_PROTOCOL_VERSION, networkId: ours.networkId, genesisId: ours.genesisId, latestMilestoneIndex: 0 } satisfies Hello));
    await hello;
    return p;
  }

  private onMessage(data: Buffer, isBinary: boolean, ours: { networkId: number; genesisId: string }): void {
    const parsed = parsePeerMessage(data, isBinary, !this.hello);
    if (!parsed.ok) {
      this.ws.close(PeerCloseCode.INVALID_DATA, parsed.why.slice(0, 100));
      return this.fail(new Error(`the peer sent invalid data: ${parsed.why}`));
    }
    const m = parsed.msg;
    if (m.t === "hello") {
      const refused = helloFailure(m, ours);
      if (refused) {
        this.ws.close(refused.closeCode, refused.closeReason);
        return this.fail(new Error(`${refused.code}: ${refused.message}`));
      }
      this.hello = m;
    }
    // Gossip, beats and inventories a node sends every peer are passed over: only the answer waited for counts.
    const w = this.waiter;
    if (w && w.accept(m)) {
      this.waiter = undefined;
      clearTimeout(w.timer);
      w.resolve(m);
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      clearTimeout(w.timer);
      w.reject(this.failure);
    }
  }

  /** The next message `accept` takes, within `timeoutMs`. */
  next(accept: (m: PeerMessage) => boolean, timeoutMs: number, what: string): Promise<PeerMessage> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`${what} within ${timeoutMs} ms`)), timeoutMs);
      this.waiter = { accept, resolve, reject, timer };
    });
  }

  ask(msg: unknown, accept: (m: PeerMessage) => boolean, what: string): Promise<PeerMessage> {
    const answer = this.next(accept, PEER_LIMITS.snapshotAnswerTimeoutMs, what);
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(packFrame(msg));
    return answer;
  }

  close(): void {
    this.failure ??= new Error("closed");
    this.ws.close(1000, "snapshot bootstrap done");
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }
}

/** Downloads the file `info` describes from `peer` into `out`; returns its size. */
async function download(peer: SnapshotPeer, info: SnapshotInfo, out: string): Promise<number> {
  const fh = await fs.promises.open(out, "w");
  try {
    let offset = 0;
    for (;;) {
      const m = await peer.ask({ t: "snapget", index: info.index, offset }, (x) => x.t === "snapchunk" || x.t === "snapnone", "no snapchunk");
      if (m.t === "snapnone") throw new Error(`the peer stopped serving snapshot ${info.index} at byte ${offset}`);
      const c = m as Extract<PeerMessage, { t: "snapchunk" }>;
      if (c.index !== info.index || c.offset !== offset) throw new Error(`a chunk of snapshot ${c.index} at ${c.offset}; asked for ${info.index} at ${offset}`);
      if (offset + c.data.length > info.bytes || (c.last && offset + c.data.length !== info.bytes) || (!c.last && c.data.length === 0)) {
        throw new Error(`the chunks do not add up to the ${info.bytes} bytes offered (at ${offset}, ${c.data.length} bytes, last: ${c.last})`);
      }
      await fh.write(c.data, 0, c.data.length, offset);
      offset += c.data.length;
      if (c.last) break;
    }
    await fh.sync();
    return offset;
  } finally {
    await fh.close();
  }
}

/**
 * Boots `dataDir` from the newest snapshot the peers serve, or does nothing when it is not empty.
 * Throws BootstrapError (ERR_BOOTSTRAP_NO_SNAPSHOT, _DOWNLOAD, _VERIFY) with the directory left as
 * it was (empty).
 */
export async function bootstrapFromPeers(o: BootstrapOptions): Promise<BootstrapResult> {
  const { dataDir, genesis, log } = o;
  if (!isEmptyDir(dataDir)) {
    log.info({ dataDir }, "bootstrap: the data directory is not empty; skipped (the node opens what is there)");
    return { imported: false };
  }
  const t0 = performance.now();
  // Ask every peer what it serves.
  const offers: { peer: SnapshotPeer; info: SnapshotInfo }[] = [];
  const refusals: string[] = [];
  await Promise.all(
    o.peers.map(async (url) => {
      let peer: SnapshotPeer | undefined;
      try {
        peer = await SnapshotPeer.connect(url, genesis);
        if (peer.hello!.protocol < SNAPSHOT_PROTOCOL_VERSION) throw new Error(`the peer speaks protocol ${peer.hello!.protocol}, which serves no snapshots`);
        const a = await peer.ask({ t: "snapreq" }, (m) => m.t === "snapinfo" || m.t === "snapnone", "no snapinfo");
        if (a.t === "snapnone") throw new Error("the peer has no snapshot to serve");
        const info = a as SnapshotInfo;
        offers.push({ peer, info });
        log.info({ peer: peer.url, index: info.index, bytes: info.bytes, ledgerRoot: info.ledgerRoot }, "bootstrap: peer offers a snapshot");
      } catch (err) {
        peer?.close();
        refusals.push(`${url}: ${(err as Error).message}`);
        log.warn({ peer: url, reason: (err as Error).message }, "bootstrap: no snapshot from this peer");
      }
    }),
  );
  if (offers.length === 0) {
    throw new BootstrapError(BootstrapErrorCode.NO_SNAPSHOT, `no peer offered a snapshot (${refusals.join("; ") || "no --peer given"})`);
  }
  // Newest first; on failure the next.
  offers.sort((a, b) => b.info.index - a.info.index);
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, DOWNLOAD_NAME);
  const deltaFile = path.join(dataDir, DELTA_DOWNLOAD_NAME);
  let lastFailure: BootstrapError | undefined;
  try {
    for (const { peer, info } of offers) {
      const td = performance.now();
      let bytes: number;
      // The delta on the full file, when offered: a failure costs only the delta (the full one is imported alone).
      let delta: { index: number; bytes: number } | undefined;
      try {
        bytes = await download(peer, info, file);
        if (info.delta) {
          const dInfo: SnapshotInfo = { t: "snapinfo", kind: "full", ...info.delta };
          try {
            delta = { index: info.delta.index, bytes: await download(peer, dInfo, deltaFile) };
          } catch (err) {
            fs.rmSync(deltaFile, { force: true });
            log.warn({ peer: peer.url, index: info.delta.index, reason: (err as Error).message }, "bootstrap: delta download failed; the full snapshot alone is imported");
          }
        }
      } catch (err) {
        fs.rmSync(file, { force: true });
        lastFailure = lastFailure?.code === BootstrapErrorCode.VERIFY ? lastFailure : new BootstrapError(BootstrapErrorCode.DOWNLOAD, `snapshot ${info.index} from ${peer.url} did not download: ${(err as Error).message}`);
        log.warn({ peer: peer.url, index: info.index, reason: (err as Error).message }, "bootstrap: download failed");
        continue;
      } finally {
        peer.close();
      }
      const downloadMs = Math.round(performance.now() - td);
      log.info({ peer: peer.url, index: info.index, bytes, ...(delta ? { delta: delta.index, deltaBytes: delta.bytes } : {}), ms: downloadMs, mbPerSecond: Number(((bytes + (delta?.bytes ?? 0)) / 1e6 / Math.max(downloadMs, 1)) * 1000).toFixed(1) }, "bootstrap: snapshot downloaded");
      const ti = performance.now();
      try {
        let summary: SnapshotSummary | undefined;
        if (delta) {
          try {
            summary = await importSnapshot(deltaFile, dataDir, genesis, { base: file });
          } catch (err) {
            if (!(err instanceof SnapshotError)) throw err;
            log.warn({ peer: peer.url, index: delta.index, code: err.code, reason: err.message }, "bootstrap: delta snapshot refused; the full snapshot alone is imported");
            fs.rmSync(deltaFile, { force: true });
            delta = undefined;
          }
        }
        summary ??= await importSnapshot(file, dataDir, genesis);
        const importMs = Math.round(performance.now() - ti);
        // Kept as this node's own snapshots, so it can serve them on in turn.
        const dir = path.join(dataDir, "snapshots");
        fs.mkdirSync(dir, { recursive: true });
        // Named by what was verified (the full file's index: the delta's base), not by what the peer said.
        const fullIndex = summary.base?.index ?? summary.index;
        fs.renameSync(file, path.join(dir, `full-${fullIndex}.snap`));
        if (delta) fs.renameSync(deltaFile, path.join(dir, `delta-${fullIndex}-${summary.index}.snap`));
        log.info({ index: summary.index, ...(delta ? { kind: "delta", base: fullIndex } : { kind: "full" }), milestoneId: summary.milestoneId, ledgerRoot: summary.ledgerRoot, entries: summary.entries, entryPoints: summary.entryPoints, ms: importMs, totalMs: Math.round(performance.now() - t0) }, "bootstrap: snapshot verified against the genesis and imported");
        for (const other of offers) other.peer.close();
        return { imported: true, peer: peer.url, summary, bytes: bytes + (delta?.bytes ?? 0), downloadMs, importMs };
      } catch (err) {
        fs.rmSync(file, { force: true });
        if (!(err instanceof SnapshotError)) throw err;
        lastFailure = new BootstrapError(BootstrapErrorCode.VERIFY, `snapshot ${info.index} from ${peer.url} failed verification: ${err.code}: ${err.message}`);
        log.warn({ peer: peer.url, index: info.index, code: err.code, reason: err.message }, "bootstrap: snapshot refused");
      }
    }
  } finally {
    for (const other of offers) other.peer.close();
    fs.rmSync(file, { force: true });
    fs.rmSync(deltaFile, { force: true });
  }
  throw lastFailure!;
}
