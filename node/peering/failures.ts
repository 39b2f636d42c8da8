/**
 * Why a peer connection failed, as a stable code and a sentence. Pure: the peer manager hands in
 * what it saw (a dial error, a close code and reason, a refusal of its own) and logs and reports
 * what comes out (`getPeers` → `lastError`, and one log line per failure).
 */
import { Code } from "../../client/protocol/codes";
import { Hello, MIN_PEER_PROTOCOL_VERSION, PEER_PROTOCOL_VERSION, PeerCloseCode } from "./protocol";

export const PeerFailureCode = {
  /** The name did not resolve, or no route to the host, or the connection attempt timed out. */
  UNREACHABLE: Code.ERR_PEER_UNREACHABLE,
  /** Nothing listens on that port (TCP connection refused). */
  REFUSED: Code.ERR_PEER_REFUSED,
  /** Something listens there but answered HTTP instead of upgrading to the peer protocol (not a tangle node?). */
  NOT_A_NODE: Code.ERR_PEER_NOT_A_NODE,
  /** No WebSocket upgrade, or no hello, within the handshake timeout. */
  HANDSHAKE_TIMEOUT: Code.ERR_PEER_HANDSHAKE_TIMEOUT,
  /** The peer is of another network or another genesis. */
  WRONG_NETWORK: Code.ERR_PEER_WRONG_NETWORK,
  /** The peer speaks another version of the peer protocol. */
  BAD_PROTOCOL: Code.ERR_PEER_BAD_PROTOCOL,
  /** One side banned the other for invalid data (this node, or the peer refused this node). */
  BANNED: Code.ERR_PEER_BANNED,
  /** The peer is at its peer limit (or this node is). */
  TOO_MANY_PEERS: Code.ERR_PEER_TOO_MANY_PEERS,
  /** The connection closed for another reason (the peer shut down, the network dropped it). */
  CLOSED: Code.ERR_PEER_CLOSED,
} as const;

export type PeerFailureCode = (typeof PeerFailureCode)[keyof typeof PeerFailureCode];

export interface PeerFailure {
  code: PeerFailureCode;
  message: string;
}

/** A failure with the time it happened (ms since the epoch), as getPeers reports it. */
export interface PeerLastError extends PeerFailure {
  at: number;
}

const UNREACHABLE_ERRNOS = new Set(["ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ETIMEDOUT", "EADDRNOTAVAIL"]);

/** A dial that failed before the WebSocket opened (the `error` event of a client `ws`). */
export function dialFailure(err: Error & { code?: string }, url: string): PeerFailure {
  if (err.code === "ECONNREFUSED") return { code: PeerFailureCode.REFUSED, message: `connection refused by ${url}: nothing listens there` };
  if (err.code && UNREACHABLE_ERRNOS.has(err.code)) return { code: PeerFailureCode.UNREACHABLE, message: `${url} is unreachable (${err.code})` };
  if (/handshake has timed out/i.test(err.message)) return { code: PeerFailureCode.HANDSHAKE_TIMEOUT, message: `${url} accepted the connection but did not answer the WebSocket handshake in time` };
  const status = /Unexpected server response: (\d+)/.exec(err.message);
  if (status) return { code: PeerFailureCode.NOT_A_NODE, message: `${url} answered HTTP ${status[1]} instead of the peer protocol (not a tangle node, or shutting down)` };
  if (err.code === "ECONNRESET" || err.code === "EPIPE") return { code: PeerFailureCode.CLOSED, message: `${url} dropped the connection during the handshake (${err.code})` };
  return { code: PeerFailureCode.UNREACHABLE, message: `${url}: ${err.message}${err.code ? ` (${err.code})` : ""}` };
}

/** A hello this node refuses, with the close code and reason it sends, or undefined for a peer of its own network. */
export function helloFailure(h: Hello, ours: { networkId: number; genesisId: string }): (PeerFailure & { closeCode: number; closeReason: string }) | undefined {
  // Its own version and older ones down to MIN_PEER_PROTOCOL_VERSION (protocol.ts: the newer side speaks down).
  if (!Number.isInteger(h.protocol) || h.protocol < MIN_PEER_PROTOCOL_VERSION || h.protocol > PEER_PROTOCOL_VERSION) {
    const theirs = String(h.protocol).slice(0, 20);
    return { code: PeerFailureCode.BAD_PROTOCOL, message: `the peer speaks peer protocol ${theirs}, this node ${PEER_PROTOCOL_VERSION}`, closeCode: PeerCloseCode.BAD_PROTOCOL, closeReason: `protocol ${theirs}, want ${PEER_PROTOCOL_VERSION}` };
  }
  if (h.networkId === ours.networkId && h.genesisId === ours.genesisId) return undefined;
  const what = h.networkId !== ours.networkId ? `network ${String(h.networkId).slice(0, 20)}, this node ${ours.networkId}` : `genesis ${String(h.genesisId).slice(0, 64)}, this node ${ours.genesisId}`;
  return { code: PeerFailureCode.WRONG_NETWORK, message: `the peer is of another network: ${what}`, closeCode: PeerCloseCode.WRONG_NETWORK, closeReason: "different network" };
}

/** A connection the peer closed (close code and reason as received). */
export function closeFailure(code: number, reason: string): PeerFailure {
  const why = reason ? `: ${reason}` : "";
  switch (code) {
    case PeerCloseCode.WRONG_NETWORK:
      return { code: PeerFailureCode.WRONG_NETWORK, message: `the peer closed the connection: another network or genesis${why}` };
    case PeerCloseCode.BAD_PROTOCOL:
      return { code: PeerFailureCode.BAD_PROTOCOL, message: `the peer closed the connection: another peer protocol version${why}` };
    case PeerCloseCode.INVALID_DATA:
    case PeerCloseCode.BANNED:
      return { code: PeerFailureCode.BANNED, message: `the peer banned this node${why}` };
    case PeerCloseCode.TOO_MANY_PEERS:
      return { code: PeerFailureCode.TOO_MANY_PEERS, message: `the peer is at its peer limit${why}` };
    case PeerCloseCode.HANDSHAKE_TIMEOUT:
      return { code: PeerFailureCode.HANDSHAKE_TIMEOUT, message: `the peer got no hello from this node in time${why}` };
    case PeerCloseCode.UNPROVEN_CLAIM:
      return { code: PeerFailureCode.CLOSED, message: `the peer disconnected this node: a milestone it claimed was not proven${why}` };
    case PeerCloseCode.SLOW_READER:
      return { code: PeerFailureCode.CLOSED, message: `the peer disconnected this node: it did not read what it was sent${why}` };
    case PeerCloseCode.REMOVED:
      return { code: PeerFailureCode.CLOSED, message: `the peer removed this node${why}` };
    case 1001:
      return { code: PeerFailureCode.CLOSED, message: `the peer is shutting down${why}` };
    default:
      return { code: PeerFailureCode.CLOSED, message: `connection closed (code ${code})${why}` };
  }
}
