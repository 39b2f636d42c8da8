/** The gateway's options, events, statistics and error codes (the Gateway itself: gateway.ts). */
import type { ApiClient } from "../api/client";
import type { AttachOptions } from "../attach";
import type { LocalPow } from "../local-pow";
import type { KeyPair } from "../protocol/keys";
import { Code, CodedError } from "../protocol/codes";
import type { Outbox, StreamHead } from "./outbox";

export const GatewayErrorCode = {
  /** One encoded reading does not fit a record. */
  READING_TOO_LARGE: Code.ERR_GATEWAY_READING_TOO_LARGE,
  /** The stream's records on the node are signed by another key. */
  FOREIGN_STREAM: Code.ERR_GATEWAY_FOREIGN_STREAM,
  /** The node refused a record for a reason no retry cures; the stream is stopped. */
  REJECTED: Code.ERR_GATEWAY_REJECTED,
  /** flush() did not finish in time. */
  FLUSH_TIMEOUT: Code.ERR_GATEWAY_FLUSH_TIMEOUT,
  CLOSED: Code.ERR_GATEWAY_CLOSED,
  /** A stream's sealed record names another network than the node's; it waits for a node of its network. */
  WRONG_NETWORK: Code.ERR_GATEWAY_WRONG_NETWORK,
  /** Another live process has the outbox directory open (LmdbOutbox). */
  OUTBOX_IN_USE: Code.ERR_OUTBOX_IN_USE,
} as const;

export class GatewayError extends CodedError {
  constructor(
    code: string,
    message: string,
    readonly streamId?: string,
  ) {
    super(code, message);
    this.name = "GatewayError";
  }
}

export interface GatewayOptions {
  client: ApiClient;
  /** The key that signs every record. */
  keyPair: KeyPair;
  /** Default: in memory (nothing survives the process). */
  outbox?: Outbox;
  /** Local PoW engine (default: InlinePow). */
  pow?: LocalPow;
  /** More attach options (parent age bound, parent count). Remote PoW is never used. */
  attach?: Omit<AttachOptions, "pow" | "signal" | "onEvent">;
  /** Record data size bound in bytes (default 8192, at most 16384). */
  maxRecordBytes?: number;
  /** Readings per record at most (default 1000). */
  maxReadingsPerRecord?: number;
  /** A reading waits at most this long before its record is sealed (default 1000 ms). */
  maxDelayMs?: number;
  /** Streams being sealed and submitted at once (default 4). */
  maxConcurrentStreams?: number;
  /** For a stream the outbox knows nothing about, continue after its last record on the node (default true). */
  resumeFromNode?: boolean;
  /**
   * Fetch each acknowledged record's inclusion proof once a milestone confirmed it, and keep it in
   * the outbox (default true; docs/proofs.md), so the record stays provable after nodes prune it.
   */
  keepProofs?: boolean;
  /** How often the records awaiting their proof are asked for (default 1000 ms). */
  proofIntervalMs?: number;
}

export interface AckEvent {
  streamId: string;
  sequence: number;
  id: string;
  readings: number;
  duplicate: boolean;
}

export interface GatewayEvents extends Record<string, unknown> {
  /** A record was acknowledged by the node. */
  ack: AckEvent;
  /** A stream stopped on an error no retry cures. */
  error: GatewayError;
  /** A submission failed and will be retried. */
  retry: { streamId: string; sequence: number; code: string };
  /**
   * The node does not have the stream's head from the outbox (another tangle of the same network,
   * e.g. a dev node started afresh): the stream goes on after the node's head instead. `unsealed`
   * readings of a record chained to the old head are sealed again.
   */
  rebase: RebaseEvent;
  /** A record's inclusion proof was fetched and stored in the outbox. */
  proof: ProofEvent;
}

export interface ProofEvent {
  streamId: string;
  sequence: number;
  id: string;
  milestoneIndex: number;
}

export interface RebaseEvent {
  streamId: string;
  networkId: number;
  from: StreamHead;
  to: StreamHead;
  unsealed: number;
}

export interface GatewayStats {
  /** Readings waiting for a record. */
  waitingReadings: number;
  /** Sealed records not yet acknowledged. */
  unackedRecords: number;
  /** Records and readings acknowledged by this instance. */
  ackedRecords: number;
  ackedReadings: number;
  /** Streams stopped by an error. */
  stoppedStreams: number;
}
