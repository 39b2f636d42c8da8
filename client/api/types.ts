/**
 * Typed requests, results and pushes of the node API (docs/api.md): the one contract between the
 * node and the client. Ids, addresses, stream ids and hashes are lowercase hex strings, as on the
 * wire; results that carry an address also give it as bech32m (`bech32`).
 *
 * Wire form and client form. The types below are what the client hands its callers. On the wire
 * one thing differs: amounts (u64) are decimal strings, because MessagePack integers and JS numbers
 * cannot carry every u64 the same way in every client; here they are bigints. Rather than a second
 * set of interfaces that would drift, `Wire<T>` derives the wire form (every bigint a decimal
 * string, everything else as it is) and `MethodResults` names each method's result. The node's
 * handlers (node/api/methods.ts) are typed `WireResult<M>`, and the client reads a result as
 * `WireResult<M>` before converting it (`client.ts`), so a shape that differs on either side does
 * not compile.
 */
import type { PayloadName } from "../protocol/payloads";

/** The wire form of a result or push: bigints (amounts) as decimal strings, the rest unchanged. */
export type Wire<T> = T extends bigint
  ? string
  : T extends Uint8Array | string | number | boolean | null | undefined
    ? T
    : T extends readonly (infer E)[]
      ? Wire<E>[]
      : { [K in keyof T]: Wire<T[K]> };

/** A 32-byte value given either as bytes or as 64 hex characters. */
export type Bytes32 = Uint8Array | string;

/** A milestone this node refused: its ledger differs; confirmation stops. */
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
  /** Why the node cannot sync (every peer ahead pruned the history it needs: "… pruned below N: boot from a snapshot (--bootstrap snapshot) or peer with an archive node"), or null. */
  syncProblem: string | null;
  diverged: Divergence | null;
  storedTransactions: number;
  startupMs: number;
  /** Whether the node does proof of work for clients (`submitTransaction` with `pow: true`). */
  remotePow: boolean;
  milestoneIntervalMs: number;
  /** Milliseconds since the timestamp of the latest milestone this node has (null before the first): how long confirmation has waited. */
  latestMilestoneAgeMs: number | null;
  /** The members of the committee in force for the next milestone (kept for clients of before committees). */
  coordinatorPublicKeys: string[];
  /** The committee in force for the next milestone; `reachable`: the members this node knows to be up now. */
  committee: CommitteeInfo;
  /** Pruning: transactions confirmed at or below `index` may have been deleted here (0: none); `depth`: milestones kept whole, or "off" (an archive node). */
  /** `snapshotIndex`: the milestone of the snapshot the node started from (0: from the genesis); it holds no history at or below it. */
  pruning: { index: number; depth: number | "off"; snapshotIndex: number };
  /** The LMDB file: pages holding data (freed pages are reused, the file never shrinks), the page size, the file's size. */
  /** `tables`: pages in use by each LMDB sub-database (docs/storage.md, the schema); the rest of `pagesInUse` is LMDB's own. */
  database: { pagesInUse: number; pageSize: number; fileBytes: number; tables: Record<string, number> };
}

export interface CommitteeInfo {
  /** Hex public keys, in proposer order. */
  members: string[];
  threshold: number;
  /**
   * Members seen signing lately: committee messages and applied milestones (peering/committee-relay.ts),
   * this node's own key counted when it is a member.
   */
  reachable: number;
  /** Members caught signing two milestone essences at one index (the newest 16), each with both essence hashes. */
  equivocations: { index: number; member: string; essences: [string, string] }[];
}

/** A committee and the milestone index from which it is in force (getCommittee). */
export interface CommitteeEpochInfo {
  fromIndex: number;
  /** Hex public keys, in proposer order. */
  members: string[];
  threshold: number;
}

/** A committee change an operator queued on a member's node (docs/committee.md, Changing the committee). */
export interface QueuedCommitteeChange {
  /** Hex public keys, in proposer order. */
  members: string[];
  threshold: number;
  effectiveIndex: number;
}

/** getCommittee: the chain of committees since genesis, and this node's queued change. */
export interface CommitteeState {
  /** The node's ledger index (the chain is as of this milestone). */
  ledgerIndex: number;
  /** Every committee since genesis, oldest first; the last may take effect after the ledger index (waiting). */
  epochs: CommitteeEpochInfo[];
  /** This node's committee key (hex), or null when it holds none. */
  memberKey: string | null;
  /** The change queued on this node, or null. */
  queued: QueuedCommitteeChange | null;
  /** Why the queued change can no longer be carried by a milestone (its effective index came too near), or null. */
  stale: string | null;
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

import type { ConflictReason } from "../protocol/codes";
export type { ConflictReason };

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

/**
 * Proof that an output is unspent, or that it is not, against the ledger root of the node's latest
 * applied milestone (getOutputProof; docs/ledger.md, Ledger root). Check it with
 * verifyOutputInLedger / verifyOutputAbsent (client/protocol/ledger-proof.ts) against the
 * `ledgerRoot` of milestone `milestoneIndex`'s payload, whose committee signatures you check.
 */
export interface OutputProof {
  txId: string;
  index: number;
  /** Whether the output is unspent at that milestone. */
  unspent: boolean;
  /** The output's address (hex) and amount when it is unspent; null otherwise. */
  address: string | null;
  amount: bigint | null;
  milestoneIndex: number;
  /** The milestone's transaction id (null before milestone 1: the root is the genesis ledger's). */
  milestoneId: string | null;
  /** Lowercase hex of the ledger root the proof is against. */
  ledgerRoot: string;
  /** The proof in its byte form (encodeLedgerProof). */
  proof: Uint8Array;
}

/**
 * Proof that a confirmed transaction is included in its milestone (getInclusionProof;
 * docs/proofs.md): decode `proof` with decodeInclusionProof and check it offline with
 * verifyInclusionProof (client/protocol/inclusion-proof.ts) against the network's genesis.
 */
export interface InclusionProofResult {
  /** The transaction's id, lowercase hex. */
  id: string;
  /** The milestone that confirmed it, and that milestone transaction's id. */
  milestoneIndex: number;
  milestoneId: string;
  /** The proof in its byte form (encodeInclusionProof). */
  proof: Uint8Array;
}

/** A milestone as the node reports it (getMilestone; the node's events carry the same type). */
export interface Milestone {
  index: number;
  id: string;
  timestamp: number;
  merkleRoot: string;
  stateHash: string;
  /** How many transactions it confirmed (its white-flag cone, without itself). */
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
  /**
   * The lowest sequence the node lists for the stream (null: none). It lists every record it holds
   * from there on; a page asked from below it starts at it: those sequences were pruned here (or
   * never reached this node). docs/api.md, getStream.
   */
  firstSequence: number | null;
  /** The highest sequence the node lists for the stream (null: none). */
  lastSequence: number | null;
  /** The highest milestone whose history the node does not hold: its pruning index, or the snapshot it started from (0: it holds all). */
  pruningIndex: number;
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

/**
 * A push as the node sends it: the topic it is published under and its data in wire form, typed
 * by the topic (a union over the topics when `T` is one). The node builds every push as one of
 * these (node/api/topics.ts, node/payloads.ts), so data that differs from what `TopicData` says
 * the client receives does not compile.
 */
export type TopicPush<T extends Topic = Topic> = T extends unknown ? { topic: T; data: Wire<TopicData<T>> } : never;

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
  /** A connected peer's pruned index (peer protocol 6): the highest milestone whose cone it does not hold; 0: all, or not said. */
  prunedMilestoneIndex?: number;
  sent: number;
  received: number;
  invalid: number;
  latencyMs: number | null;
  queued?: number;
  queueDrops?: number;
  lastError: PeerLastError | null;
}

// ---- methods -----------------------------------------------------------------------------------

/** Each method's result as the client returns it (docs/api.md, Methods). */
export interface MethodResults {
  ping: "pong";
  getNodeInfo: NodeInfo;
  getDifficulty: Difficulty;
  selectParents: { parents: string[] };
  getPeers: { peers: PeerInfo[] };
  addPeer: { added: boolean };
  removePeer: { removed: boolean };
  getCommittee: CommitteeState;
  queueCommitteeChange: { queued: QueuedCommitteeChange };
  cancelCommitteeChange: { cancelled: boolean };
  submitTransaction: SubmitResult;
  getTransaction: TransactionBytes;
  getTransactionMetadata: TransactionMetadata;
  getBalance: Balance;
  getOutputs: Outputs;
  getOutputProof: OutputProof;
  getInclusionProof: InclusionProofResult;
  getMilestone: Milestone;
  getStream: StreamPage;
  subscribe: { subscribed: string[] };
  unsubscribe: { unsubscribed: string[] };
}

export type MethodName = keyof MethodResults;

/** A method's result as the node sends it. */
export type WireResult<M extends MethodName> = Wire<MethodResults[M]>;
