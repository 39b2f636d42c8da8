/**
 * Typed requests, results and pushes of the node API (docs/api.md). Ids, addresses, stream ids and
 * hashes are lowercase hex strings, as on the wire; results that carry an address also give it as
 * bech32m (`bech32`). Amounts are decimal strings on the wire and
 * bigints here; `client.ts` converts.
 */
import type { PayloadName } from "../protocol/payloads";

/** A 32-byte value given either as bytes or as 64 hex characters. */
export type Bytes32 = Uint8Array | string;

export interface Divergence {
  index: number;
  code: string;
  message: string;
}

export interface NodeInfo {
  networkId: number;
  networkName: string;
  version: string;
  latestMilestoneIndex: number;
  confirmedMilestoneIndex: number;
  ledgerStateHash: string;
  tips: number;
  peers: number;
  /** The network's base difficulty in bits. */
  difficulty: number;
  synced: boolean;
  diverged: Divergence | null;
  storedTransactions: number;
  startupMs: number;
  /** Whether the node does proof of work for clients (`submitTransaction` with `pow: true`). */
  remotePow: boolean;
  milestoneIntervalMs: number;
  coordinatorPublicKeys: string[];
}

export interface Difficulty {
  /** Bits the issuer's next transaction of the given size needs, adaptive extra bits included. */
  difficulty: number;
  extraBits: number;
}

export interface SubmitResult {
  id: string;
  /** The node already had this transaction. */
  duplicate: boolean;
}

export interface TransactionBytes {
  id: string;
  bytes: Uint8Array;
}

export type ConflictReason = "INPUT_SPENT" | "INPUT_UNKNOWN" | "INPUT_NOT_OWNED" | "AMOUNT_MISMATCH";

export interface TransactionMetadata {
  id: string;
  solid: boolean;
  confirmed: boolean;
  /** Index of the confirming milestone, or null. */
  confirmedBy: number | null;
  /** Why the confirming milestone left it without effect, or null. */
  conflict: ConflictReason | null;
  /** For milestones: their index. */
  milestoneIndex: number | null;
  receivedMs: number;
  /** Share of MCMC walks approving it (1 when confirmed). */
  confidence: number | null;
  /** It will not be confirmed where it is attached: reattach it. */
  shouldReattach: boolean;
  /** It is semi-lazy: a new transaction attached to it would help. */
  shouldPromote: boolean;
}

export interface Balance {
  /** Lowercase hex. */
  address: string;
  /** The same address as bech32m with the node's network prefix. */
  bech32: string;
  /** Balance at the last milestone. */
  confirmed: bigint;
  pending: { incoming: bigint; outgoing: bigint };
  /** The address ever received an output (confirmed, or in a pending transfer), even if all of it was spent since. */
  used: boolean;
}

export interface UnspentOutput {
  txId: string;
  index: number;
  amount: bigint;
}

export interface Outputs {
  /** Lowercase hex. */
  address: string;
  /** The same address as bech32m with the node's network prefix. */
  bech32: string;
  outputs: UnspentOutput[];
}

export interface Milestone {
  index: number;
  id: string;
  timestamp: number;
  merkleRoot: string;
  stateHash: string;
  /** Number of transactions it confirmed. */
  included: number;
}

export interface StreamRecord {
  sequence: number;
  id: string;
  bytes: Uint8Array;
  confirmedBy: number | null;
}

export interface StreamPage {
  streamId: string;
  records: StreamRecord[];
}

// ---- pushes ------------------------------------------------------------------------------------

export interface MilestonePush {
  index: number;
  id: string;
  timestamp: number;
  included: number;
  stateHash: string;
}

export interface TransactionPush {
  id: string;
  type: PayloadName;
}

export interface ConfirmedPush {
  milestoneIndex: number;
  ids: string[];
  conflicts: { id: string; reason: ConflictReason }[];
}

export type AddressPush =
  | { event: "pending"; txId: string }
  | { event: "confirmed"; txId: string; milestoneIndex: number; conflict: ConflictReason | null };

export interface TxConfirmedPush {
  id: string;
  confirmedBy: number;
  conflict: ConflictReason | null;
}

export interface StreamPush {
  id: string;
  sequence: number;
}

export type Topic = "milestones" | "transactions" | "confirmed" | `address:${string}` | `tx:${string}` | `stream:${string}`;

/** The push data of a topic. */
export type TopicData<T extends string> = T extends "milestones"
  ? MilestonePush
  : T extends "transactions"
    ? TransactionPush
    : T extends "confirmed"
      ? ConfirmedPush
      : T extends `address:${string}`
        ? AddressPush
        : T extends `tx:${string}`
          ? TxConfirmedPush
          : T extends `stream:${string}`
            ? StreamPush
            : unknown;

/** Why a peer connection last failed or ended (codes in docs/api.md, getPeers). */
export interface PeerLastError {
  code: string;
  message: string;
  /** When, in ms since the Unix epoch. */
  at: number;
}

/** One peer as getPeers reports it: connected ones, configured ones that are not, and recent incoming failures. */
export interface PeerInfo {
  url: string;
  direction: "out" | "in";
  connected: boolean;
  latestMilestoneIndex: number;
  sent: number;
  received: number;
  invalid: number;
  latencyMs: number | null;
  queued?: number;
  queueDrops?: number;
  lastError: PeerLastError | null;
}
