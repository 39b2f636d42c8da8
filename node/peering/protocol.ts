/**
 * The peer protocol: WebSocket on path `/peer` of a node's port, binary msgpack frames, each a
 * message with a type field `t`, encoded and decoded by the one frame codec (client/protocol/frame.ts:
 * integers, times included, are MessagePack integers). Limits, codes and the pure message parser
 * (parsePeerMessage) live here.
 *
 *   hello   {t, protocol, networkId, genesisId, latestMilestoneIndex, prunedMilestoneIndex?}   first message, both ways
 *   tx      {t, bytes}                          a transaction (gossip, or the answer to req/msreq)
 *   req     {t, ids: hex[]}                     please send these transactions (solidification)
 *   msreq   {t, index}                          please send milestone `index` (sync)
 *   beat    {t, latestMilestoneIndex, sentMs, prunedMilestoneIndex?}   every PEER_LIMITS.beatIntervalMs
 *           prunedMilestoneIndex (protocol 6): the highest milestone whose cone the sender does not
 *           hold (pruned, or below the snapshot it was imported from); 0 or absent: every cone
 *           from the genesis. A node syncing asks only peers that hold the cone it needs (sync.ts).
 *   beatack {t, sentMs}                         echo of a beat (latency)
 *   inv     {t, ids: hex[]}                     protocol 2: once per connection, after hello: the
 *                                               sender's newest unconfirmed, non-lazy transactions
 *                                               (inventory.ts); the receiver asks for those it lacks
 *   cprop   {t, round, parents, fields, signatures, proposer?}   protocol 4: a committee proposal or announcement
 *   csig    {t, index, essenceHash, publicKey, signature}   protocol 3: a member's signature
 *                                               (both: committee-wire.ts, passed on by committee-relay.ts)
 *   snapreq   {t}                               protocol 5: which snapshot do you serve?
 *   snapinfo  {t, index, kind, bytes, ledgerRoot, delta?}   its answer: the newest full file
 *                                               (snapshot-serve.ts); protocol 6: `delta`
 *                                               {index, bytes, ledgerRoot}, the newest delta on it
 *   snapnone  {t}                               its answer when there is none (or no upload slot)
 *   snapget   {t, index, offset}                please send the file's bytes from `offset`
 *   snapchunk {t, index, offset, data, last}    at most PEER_LIMITS.snapshotChunkBytes of them
 *                                               (the bootstrap client: node/snapshot/bootstrap.ts)
 *
 * Versions: a node speaks PEER_PROTOCOL_VERSION and accepts peers of MIN_PEER_PROTOCOL_VERSION up
 * to its own (a newer node speaks down to an older one: it sends `inv` only to peers of protocol
 * 2 or later; protocol 1 knows no `inv` and would take it for invalid data).
 */
import { unpackFrame } from "../../client/protocol/frame";
import type { BackoffPolicy } from "../../client/util/backoff";
import { Code } from "../../client/protocol/codes";
/**
 * 3: transactions of version 2 (milestone v2, checkpoints; docs/protocol.md). 4: `cprop` carries
 * the signed fields and the signatures apart, with the proposer's proposal signature. 5: snapshot
 * transfer (`snapreq`, `snapinfo`, `snapnone`, `snapget`, `snapchunk`), asked only of peers of 5 or
 * later (a peer of 4 would take `snapreq` for invalid data). 6: `hello` and `beat` carry
 * `prunedMilestoneIndex`; peers of 4 and 5 ignore the field (their parsers read only the fields they
 * know), and a peer that does not send it is taken to hold every cone, as before. Also 6: a
 * `snapinfo` may offer a delta file on the full one (`delta`), fetched with `snapget` by its index;
 * a downloader of 5 reads only the full file's fields.
 */
export const PEER_PROTOCOL_VERSION = 6;
/**
 * The oldest peer protocol this node still accepts. Protocols 1 and 2 carry transactions of version
 * 1, which this node cannot read; a peer of protocol 3 sends proposals in the old form, which would
 * be taken for invalid data: all are refused at hello (4002) rather than banned for each message.
 */
export const MIN_PEER_PROTOCOL_VERSION = 4;
/** The first protocol version with the reconnect inventory (`inv`). */
export const INVENTORY_PROTOCOL_VERSION = 2;
/** The first protocol version that serves snapshots (`snapreq` … `snapchunk`). */
export const SNAPSHOT_PROTOCOL_VERSION = 5;
/** The first protocol version whose `hello` and `beat` say which cones the sender pruned (`prunedMilestoneIndex`). */
export const PRUNED_INDEX_PROTOCOL_VERSION = 6;
export const PEER_PATH = "/peer";

export const PEER_LIMITS = {
  /** Peers connected at once (both directions). */
  maxPeers: 16,
  /** Largest peer frame (a transaction plus envelope). */
  maxFrameBytes: 64 * 1024,
  /** Ids in one req message. */
  maxIdsPerRequest: 64,
  /**
   * Ids in the one `inv` a peer sends per connection: its newest unconfirmed, non-lazy
   * transactions (their past cones follow through solidification). 512 hex ids are ~34 KiB, well
   * inside maxFrameBytes.
   */
  maxInventoryIds: 512,
  /** The inventory this node sends is recomputed at most this often (one window scan serves every peer connecting meanwhile). */
  inventoryCacheMs: 1000,
  /** Transactions queued for one peer when its socket is congested; older ones are dropped. */
  maxQueuedPerPeer: 10_000,
  /** And at most so many bytes of them (10,000 full frames would be 640 MiB); older ones are dropped. */
  maxQueuedBytesPerPeer: 8 * 1024 * 1024,
  /** Socket buffer above which sends to a peer are queued instead. */
  maxBufferedBytes: 1024 * 1024,
  /**
   * A peer whose send buffer stays over maxBufferedBytes this long (it does not read what it is
   * sent) is closed (PeerCloseCode.SLOW_READER), as the API closes a client after maxBufferedStallMs.
   */
  slowReaderCloseMs: 10_000,
  /** How often queued gossip is offered to the socket again. */
  flushIntervalMs: 10,
  /** Ids remembered as already seen (duplicates are dropped before decoding). */
  recentIds: 65_536,
  /** A missing transaction is asked of another peer after this long. */
  requestRetryMs: 1000,
  /** And given up after this long (or as soon as nothing here waits for it any more). */
  requestGiveUpMs: 60_000,
  /** Outstanding solidification requests at once. */
  maxOutstandingRequests: 20_000,
  /** Transactions received from peers wait this long for their parents. */
  solidifyTimeoutMs: 60_000,
  beatIntervalMs: 1000,
  /** A node at most this many milestones behind the best a peer announced counts as synced. */
  syncToleranceMilestones: 2,
  /** Reconnect backoff for configured peers: from min, doubling, to max. */
  reconnectMinMs: 250,
  reconnectMaxMs: 10_000,
  /** A peer that sent invalid data is refused for this long. */
  banMs: 60_000,
  /**
   * A peer claiming a milestone index above this node's must send that milestone (asked with
   * msreq) within this long, valid, or its connection is closed (PeerCloseCode.UNPROVEN_CLAIM).
   */
  claimProofTimeoutMs: 5000,
  /** So many such offences from one address within offenceWindowMs ban the address for banMs (one offence only closes the connection: an address may be a whole NAT). */
  offencesBeforeBan: 3,
  offenceWindowMs: 10 * 60_000,
  /** A dialed peer must complete the WebSocket upgrade within this long. */
  handshakeTimeoutMs: 5000,
  /** And both sides must send hello within this long of the connection opening. */
  helloTimeoutMs: 5000,
  /** Peers that connected to this node and failed, remembered for getPeers (the oldest forgotten first). */
  maxInboundFailures: 32,
  /** Snapshot bytes in one `snapchunk` (frames are capped at maxFrameBytes; the envelope is < 100 bytes). */
  snapshotChunkBytes: 48 * 1024,
  /** Peers downloading a snapshot from this node at once; a further `snapreq` is answered `snapnone`. */
  maxSnapshotUploads: 4,
  /** Chunks served to one peer per second at most (48 KiB each: about 12 MB/s per peer). */
  maxSnapshotChunksPerSecond: 256,
  /** A node booting from a snapshot gives up on a peer that does not answer a snapreq or snapget within this long. */
  snapshotAnswerTimeoutMs: 10_000,
} as const;

/** Redial of a configured peer: from reconnectMinMs, doubling per failed connection since the last hello, to reconnectMaxMs; no spread. */
export const PEER_REDIAL: BackoffPolicy = { initialMs: PEER_LIMITS.reconnectMinMs, maxMs: PEER_LIMITS.reconnectMaxMs };

/** Codes peers close with (4000-4999 are the application's) and peer-related API errors. */
export const PeerCloseCode = {
  WRONG_NETWORK: 4001,
  BAD_PROTOCOL: 4002,
  INVALID_DATA: 4003,
  TOO_MANY_PEERS: 4004,
  BANNED: 4005,
  REMOVED: 4006,
  HANDSHAKE_TIMEOUT: 4007,
  /** The peer claimed a milestone it did not produce (or produced an invalid one); not yet banned. */
  UNPROVEN_CLAIM: 4008,
  /** The peer did not read: its send buffer stayed over PEER_LIMITS.maxBufferedBytes for slowReaderCloseMs. Not banned. */
  SLOW_READER: 4009,
} as const;

export const PeerErrorCode = {
  /** Admin methods need `--admin-token`; none is set. */
  ADMIN_DISABLED: Code.ERR_ADMIN_DISABLED,
  /** Wrong admin token. */
  UNAUTHORIZED: Code.ERR_UNAUTHORIZED,
  /** The node is behind its peers and still catching up; it does not hand out parents. */
  NOT_SYNCED: Code.ERR_NOT_SYNCED,
} as const;

export interface Hello {
  t: "hello";
  protocol: number;
  networkId: number;
  genesisId: string;
  latestMilestoneIndex: number;
  /** Protocol 6: the highest milestone whose cone the sender does not hold (0: it holds them all). */
  prunedMilestoneIndex?: number;
}

export type PeerMessage =
  | Hello
  | { t: "tx"; bytes: Uint8Array }
  | { t: "req"; ids: string[] }
  | { t: "msreq"; index: number }
  /** Protocol 2: ids (lowercase hex) of the sender's newest unconfirmed, non-lazy transactions; at most maxInventoryIds. */
  | { t: "inv"; ids: string[] }
  /** `sentMs` is echoed in the beatack as it came when it is a number, as nil otherwise. */
  | { t: "beat"; latestMilestoneIndex: number; sentMs: number | undefined; prunedMilestoneIndex?: number }
  /** A beatack without a numeric `sentMs` is taken and ignored. */
  | { t: "beatack"; sentMs: number | undefined }
  /** A committee message (`cprop` or `csig`), its fields checked by committee-relay.ts. */
  | { t: "committee"; wire: Record<string, unknown> }
  /** Protocol 5: snapshot transfer (snapshot-serve.ts serves, node/snapshot/bootstrap.ts asks). */
  | { t: "snapreq" }
  | SnapshotInfo
  | { t: "snapnone" }
  | { t: "snapget"; index: number; offset: number }
  | SnapshotChunk;

export interface SnapshotInfo {
  t: "snapinfo";
  /** The snapshot milestone's index. */
  index: number;
  kind: "full";
  /** The file's size. */
  bytes: number;
  /** Lowercase hex, as the file's header names it (a hint: the importer trusts only the signed milestone). */
  ledgerRoot: string;
  /** Protocol 6: the newest delta file on this full one (its index above the full's), fetched by its index. */
  delta?: { index: number; bytes: number; ledgerRoot: string };
}

export interface SnapshotChunk {
  t: "snapchunk";
  index: number;
  offset: number;
  data: Uint8Array;
  /** The chunk ends the file. */
  last: boolean;
}

/** Largest file offset or size taken in a snapshot message (2^48: far above any ledger). */
const MAX_SNAPSHOT_BYTES = 2 ** 48;
const isIndex = (x: unknown): x is number => typeof x === "number" && Number.isInteger(x) && x >= 1 && x <= 0xffff_ffff;
const isOffset = (x: unknown): x is number => typeof x === "number" && Number.isInteger(x) && x >= 0 && x < MAX_SNAPSHOT_BYTES;
/** `prunedMilestoneIndex`: absent (a peer of protocol 5 or older), or a milestone index, 0 included. */
const isPrunedIndex = (x: unknown): boolean => x === undefined || (typeof x === "number" && Number.isInteger(x) && x >= 0 && x <= 0xffff_ffff);

/** A peer frame, parsed: the message, or why the sender is penalized for it. */
export type ParsedPeerMessage = { ok: true; msg: PeerMessage } | { ok: false; why: string };

const ID_HEX = /^[0-9a-f]{64}$/;

/**
 * Parses one WebSocket frame from a peer. `expectHello`: the peer has not said hello yet, and
 * hello must come first (and only then). The hello's fields are not checked here: a wrong
 * protocol, network or genesis is not invalid data but a reason to close (peers.ts).
 */
export function parsePeerMessage(data: Uint8Array, isBinary: boolean, expectHello: boolean): ParsedPeerMessage {
  let m: { t?: unknown; [k: string]: unknown };
  try {
    if (!isBinary) throw new Error("text frame");
    m = unpackFrame(data) as typeof m;
    if (!m || typeof m !== "object" || typeof m.t !== "string") throw new Error("not a message");
  } catch (err) {
    return { ok: false, why: `undecodable frame (${(err as Error).message})` };
  }
  if (expectHello) {
    if (m.t !== "hello") return { ok: false, why: "first message must be hello" };
    return isPrunedIndex(m.prunedMilestoneIndex) ? { ok: true, msg: m as unknown as Hello } : { ok: false, why: "bad hello (prunedMilestoneIndex)" };
  }
  switch (m.t) {
    case "tx":
      return m.bytes instanceof Uint8Array ? { ok: true, msg: { t: "tx", bytes: m.bytes } } : { ok: false, why: "tx without bytes" };
    case "req": {
      const ids = m.ids;
      const good = Array.isArray(ids) && ids.length <= PEER_LIMITS.maxIdsPerRequest && ids.every((x) => typeof x === "string" && ID_HEX.test(x));
      return good ? { ok: true, msg: { t: "req", ids: ids as string[] } } : { ok: false, why: "bad req" };
    }
    case "inv": {
      const ids = m.ids;
      const good = Array.isArray(ids) && ids.length <= PEER_LIMITS.maxInventoryIds && ids.every((x) => typeof x === "string" && ID_HEX.test(x));
      return good ? { ok: true, msg: { t: "inv", ids: ids as string[] } } : { ok: false, why: "bad inv" };
    }
    case "msreq": {
      const index = m.index;
      return typeof index === "number" && Number.isInteger(index) && index >= 1 ? { ok: true, msg: { t: "msreq", index } } : { ok: false, why: "bad msreq" };
    }
    case "beat": {
      if (typeof m.latestMilestoneIndex !== "number" || !isPrunedIndex(m.prunedMilestoneIndex)) return { ok: false, why: "bad beat" };
      const beat = { t: "beat" as const, latestMilestoneIndex: m.latestMilestoneIndex, sentMs: typeof m.sentMs === "number" ? m.sentMs : undefined };
      return { ok: true, msg: m.prunedMilestoneIndex === undefined ? beat : { ...beat, prunedMilestoneIndex: m.prunedMilestoneIndex as number } };
    }
    case "beatack":
      return { ok: true, msg: { t: "beatack", sentMs: typeof m.sentMs === "number" ? m.sentMs : undefined } };
    case "cprop":
    case "csig":
      return { ok: true, msg: { t: "committee", wire: m } };
    case "snapreq":
      return { ok: true, msg: { t: "snapreq" } };
    case "snapnone":
      return { ok: true, msg: { t: "snapnone" } };
    case "snapinfo": {
      const { index, kind, bytes, ledgerRoot, delta } = m;
      const good = isIndex(index) && kind === "full" && isOffset(bytes) && bytes > 0 && typeof ledgerRoot === "string" && ID_HEX.test(ledgerRoot);
      if (!good) return { ok: false, why: "bad snapinfo" };
      if (delta === undefined) return { ok: true, msg: { t: "snapinfo", index, kind, bytes, ledgerRoot } };
      const d = delta as { index?: unknown; bytes?: unknown; ledgerRoot?: unknown } | null;
      const goodDelta = typeof d === "object" && d !== null && isIndex(d.index) && d.index > index && isOffset(d.bytes) && d.bytes > 0 && typeof d.ledgerRoot === "string" && ID_HEX.test(d.ledgerRoot);
      return goodDelta ? { ok: true, msg: { t: "snapinfo", index, kind, bytes, ledgerRoot, delta: { index: d.index as number, bytes: d.bytes as number, ledgerRoot: d.ledgerRoot as string } } } : { ok: false, why: "bad snapinfo (delta)" };
    }
    case "snapget": {
      const { index, offset } = m;
      return isIndex(index) && isOffset(offset) ? { ok: true, msg: { t: "snapget", index, offset } } : { ok: false, why: "bad snapget" };
    }
    case "snapchunk": {
      const { index, offset, data, last } = m;
      const good = isIndex(index) && isOffset(offset) && data instanceof Uint8Array && data.length <= PEER_LIMITS.snapshotChunkBytes && typeof last === "boolean" && (data.length > 0 || last);
      return good ? { ok: true, msg: { t: "snapchunk", index, offset, data, last } } : { ok: false, why: "bad snapchunk" };
    }
    default:
      return { ok: false, why: `unknown message type ${String(m.t).slice(0, 20)}` };
  }
}
