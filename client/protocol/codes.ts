/**
 * Every error code of the project, in one table: the code, the layer that raises it, what it means
 * in one line, and, where a connection is closed for it, the WebSocket close code. Codes are stable
 * strings; a code never changes meaning. docs/api.md lists the same rows (a test keeps the two in
 * step, and checks that every code a docs page names is in this table).
 *
 * Each code string is written here once (the WASM core's, which sit below this layer, once in
 * core-wasm/src/errors.ts). Code elsewhere names a code as `Code.ERR_NOT_FOUND`, or through a
 * module's own view of the table (`ApiErrorCode.NOT_FOUND`, `LedgerErrorCode…`): a typo does not
 * compile. Every error thrown on purpose extends `CodedError` (`code`, `message`, optional
 * `details`).
 */
import { CodedError, CoreErrorCode as Core } from "../../core-wasm/src/errors";

export { CodedError };

/** Who raises a code. */
export type CodeLayer =
  | "core" // core-wasm: hashing, PoW kernels, their wrappers and the PoW pools
  | "protocol" // decoding a transaction (client/protocol/codec.ts)
  | "validation" // the node's validation stages after decoding (node/validation/)
  | "client" // the API client (client/api/, attach, confirm)
  | "wallet" // client/wallet/
  | "gateway" // the gateway SDK (client/gateway/)
  | "api" // the node's API server (node/api/)
  | "node" // the node: solidifier, milestones, shutdown
  | "ledger" // genesis, white flag, the pure ledger (node/ledger/)
  | "storage" // LMDB storage and the data directory lock (node/storage/)
  | "peering" // peer connections (node/peering/)
  | "cli"; // the `tangle` command and the node's configuration

export interface CodeInfo {
  layer: CodeLayer;
  /** What it means, in one line. */
  meaning: string;
  /** The WebSocket close code a connection is closed with for it, where it has one. */
  close?: number;
}

const TABLE = {
  // ---- core-wasm ---------------------------------------------------------------------------------
  [Core.BAD_LENGTH]: { layer: "core", meaning: "a WASM entry point got an input of a length it does not take" },
  [Core.BAD_DIGEST_LENGTH]: { layer: "core", meaning: "a BLAKE2b digest length outside 1..64 bytes" },
  [Core.BAD_DIFFICULTY]: { layer: "core", meaning: "a PoW difficulty outside 0..64 bits" },
  [Core.BAD_COUNT]: { layer: "core", meaning: "a batch count out of range" },
  [Core.WASM]: { layer: "core", meaning: "a WASM call or a PoW worker failed in a way no other code covers" },
  [Core.BAD_ARGUMENT]: { layer: "core", meaning: "an argument of a WASM wrapper is of the wrong type or out of range (the message names it)" },
  [Core.STREAM_FINISHED]: { layer: "core", meaning: "update() or digest() on a BLAKE2b stream after its digest" },
  ERR_POOL_CLOSED: { layer: "core", meaning: "a search was asked of a PoW pool that is closed, or the pool closed during it" },
  ERR_POW_ABORTED: { layer: "core", meaning: "a proof-of-work search was aborted by its caller's signal" },

  // ---- decoding (client/protocol/codec.ts), never thrown: returned ------------------------------
  ERR_TX_NOT_BYTES: { layer: "protocol", meaning: "the input is not a byte array" },
  ERR_TX_TOO_LARGE: { layer: "protocol", meaning: "larger than MAX_TRANSACTION_BYTES" },
  ERR_TX_TRUNCATED: { layer: "protocol", meaning: "the bytes end before a field is complete" },
  ERR_TX_TRAILING_BYTES: { layer: "protocol", meaning: "bytes after the last field" },
  ERR_TX_UNKNOWN_VERSION: { layer: "protocol", meaning: "a transaction version this node does not know" },
  ERR_TX_PARENT_COUNT: { layer: "protocol", meaning: "parent count outside 2..8" },
  ERR_TX_PARENTS_UNSORTED: { layer: "protocol", meaning: "parents not in strictly ascending byte order (unsorted or duplicated)" },
  ERR_TX_UNKNOWN_PAYLOAD: { layer: "protocol", meaning: "a payload type this node does not know" },
  ERR_TX_PAYLOAD_LENGTH: { layer: "protocol", meaning: "the declared payload length disagrees with the payload's own fields" },
  ERR_TX_IO_COUNT: { layer: "protocol", meaning: "input or output count outside its range" },
  ERR_TX_DUPLICATE_INPUT: { layer: "protocol", meaning: "the same input (transaction id, index) twice" },
  ERR_TX_AMOUNT: { layer: "protocol", meaning: "a zero amount, or outputs summing past 2^64 - 1" },
  ERR_TX_CONTENT_TYPE: { layer: "protocol", meaning: "content type empty, too long or not printable ASCII" },
  ERR_TX_DATA_TOO_LARGE: { layer: "protocol", meaning: "data longer than MAX_DATA_BYTES" },
  ERR_TX_STREAM_LINK: { layer: "protocol", meaning: "sequence 0 needs an all-zero previous record id, a later sequence a non-zero one" },
  ERR_TX_MILESTONE_FIELD: { layer: "protocol", meaning: "milestone index 0, or another milestone field out of range" },
  ERR_TX_MILESTONE_SIGNATURES_UNSORTED: { layer: "protocol", meaning: "a milestone's signatures are not in ascending order of public key" },
  ERR_TX_MILESTONE_SIGNER_DUPLICATE: { layer: "protocol", meaning: "a milestone carries two signatures of one public key" },
  ERR_TX_BAD_FIELD: { layer: "protocol", meaning: "a field out of range that has no more specific code (e.g. a u64 above 2^53 - 1)" },
  ERR_TX_MALFORMED: { layer: "protocol", meaning: "not decodable for a reason no other code covers" },
  ERR_LEDGER_PROOF_MALFORMED: { layer: "protocol", meaning: "bytes or JSON that are not a ledger proof in its one canonical form (client/protocol/ledger-proof.ts)" },
  ERR_PROOF_MALFORMED: { layer: "protocol", meaning: "bytes or JSON that are not an inclusion proof in its one canonical form (client/protocol/inclusion-proof.ts)" },
  ERR_PROOF_WRONG_NETWORK: { layer: "protocol", meaning: "an inclusion proof, or a transaction in it, is of another network than the genesis it is checked against" },
  ERR_PROOF_TX_ID: { layer: "protocol", meaning: "an inclusion proof's transaction bytes are not a transaction or do not hash to the id the proof names" },
  ERR_PROOF_MILESTONE: { layer: "protocol", meaning: "an inclusion proof's milestone bytes are not a milestone transaction of the index and id the proof names" },
  ERR_PROOF_COMMITTEE_CHAIN: { layer: "protocol", meaning: "a committee change an inclusion proof carries is out of order or not signed by a quorum of the committee in force at its index" },
  ERR_PROOF_SIGNATURES: { layer: "protocol", meaning: "an inclusion proof's milestone is not signed by a quorum of the committee in force at its index (from the genesis and the proof's committee changes)" },
  ERR_PROOF_PATH: { layer: "protocol", meaning: "an inclusion proof's audit path does not lead from the transaction id to the milestone's confirmed merkle root" },

  // ---- validation (node/validation/), in the order of its stages after decoding -------------------
  ERR_TX_WRONG_NETWORK: { layer: "validation", meaning: "the network id differs from this network's" },
  ERR_TX_TIMESTAMP_TOO_OLD: { layer: "validation", meaning: "the attachment timestamp is too far in the past" },
  ERR_TX_TIMESTAMP_IN_FUTURE: { layer: "validation", meaning: "the attachment timestamp is too far in the future" },
  ERR_TX_POW_INSUFFICIENT: { layer: "validation", meaning: "work below the difficulty required for the transaction's size and issuer" },
  ERR_TX_BAD_SIGNATURE: { layer: "validation", meaning: "the Ed25519 signature does not verify against the issuer key" },
  ERR_TX_NOT_COORDINATOR: { layer: "validation", meaning: "a milestone issued by a key that is not one of the network's coordinators" },

  // ---- the node ---------------------------------------------------------------------------------
  ERR_TX_NOT_SOLID: { layer: "node", meaning: "a parent is still unknown after the solidification timeout" },
  ERR_SOLIDIFIER_FULL: { layer: "node", meaning: "too many transactions are already waiting for parents" },
  ERR_NODE_CLOSED: { layer: "node", meaning: "the node is shutting down", close: 1001 },
  ERR_LEDGER_DIVERGED: { layer: "node", meaning: "a milestone was refused because this node computed another ledger; confirmation stops" },
  ERR_MILESTONE_ORDER: { layer: "node", meaning: "a milestone whose index is not the next one" },
  ERR_MILESTONE_OWN_INDEX: { layer: "node", meaning: "a milestone from elsewhere for an index this node issues itself" },
  ERR_MILESTONE_QUORUM: { layer: "node", meaning: "a milestone signed by fewer members of the committee in force at its index than its threshold" },
  ERR_MILESTONE_NOT_MEMBER: { layer: "node", meaning: "a milestone signed by a key that is not a member of the committee in force at its index, nor was of an earlier one" },
  ERR_MILESTONE_RETIRED_SIGNER: { layer: "node", meaning: "a milestone signed by a key of an earlier committee that a committee change removed before its index" },
  ERR_MILESTONE_BAD_SIGNATURE: { layer: "node", meaning: "a member's signature of the milestone essence does not verify" },
  ERR_MILESTONE_PREVIOUS_MISMATCH: { layer: "node", meaning: "the milestone's previous milestone id is not the id of the milestone this node applied at the index before" },
  ERR_MILESTONE_LEDGER_ROOT_MISMATCH: { layer: "node", meaning: "the milestone's ledger root differs from the one this node computes" },
  ERR_MILESTONE_COMMITTEE_CHANGE: { layer: "node", meaning: "a committee change while another change has yet to take effect" },
  ERR_MILESTONE_EQUIVOCATION: { layer: "node", meaning: "two milestones at one index, each validly signed by a quorum of the committee over a different essence: the node halts and names both" },
  ERR_COMMITTEE_SIGNED_OTHER: { layer: "node", meaning: "a committee member was asked to sign a milestone at an index where it signed another, or below the highest index it signed: it never signs two" },
  ERR_COMMITTEE_STATE_DAMAGED: { layer: "node", meaning: "a committee member's record of what it signed cannot be read: it signs nothing until an operator restores it" },
  ERR_COMMITTEE_CHANGE_MEMBERS: { layer: "node", meaning: "a committee change queued by an operator does not name 1..MAX_COMMITTEE_MEMBERS distinct public keys of 64 hex characters" },
  ERR_COMMITTEE_CHANGE_THRESHOLD: { layer: "node", meaning: "a committee change queued by an operator has a threshold that is not an integer k with n/2 < k <= n" },
  ERR_COMMITTEE_CHANGE_INDEX: { layer: "node", meaning: "a committee change queued by an operator takes effect too early for a milestone to carry it (before the ledger index + 2) or past the largest index" },
  ERR_COMMITTEE_CHANGE_DAMAGED: { layer: "node", meaning: "the committee change queued on a member's node (committee-change.json) cannot be read: the node does not start until it is removed" },
  ERR_COMMITTEE_NO_KEY: { layer: "node", meaning: "a committee change was queued on a node that holds no committee key: queue it on the members' nodes" },
  ERR_STORAGE: { layer: "node", meaning: "storing failed; the transaction was not acknowledged" },
  ERR_STORAGE_FULL: { layer: "node", meaning: "the data directory's disk is below the node's free-space reserve, or a write failed for want of space: nothing was stored; reads work; writes resume by themselves when space returns" },

  // ---- the API server (node/api/) -----------------------------------------------------------------
  ERR_BAD_FRAME: { layer: "api", meaning: "the frame is not one binary MessagePack value" },
  ERR_BAD_REQUEST: { layer: "api", meaning: "not a request: needs id (number or string) and method (string), params an object if present" },
  ERR_UNKNOWN_METHOD: { layer: "api", meaning: "no such method" },
  ERR_BAD_PARAMS: { layer: "api", meaning: "a parameter is missing, of the wrong type or out of range (the message names it)" },
  ERR_NOT_FOUND: { layer: "api", meaning: "no such transaction, milestone or path" },
  ERR_PRUNED: { layer: "api", meaning: "the node does not store the transaction and has pruned history: it is unknown, or was confirmed at or below the pruning index (in the error's data), or never confirmed and older than it, and deleted here; an archive node or a stored inclusion proof has it. To a peer: its transaction is older than this node's history and is not stored again" },
  ERR_NOT_CONFIRMED: { layer: "api", meaning: "the transaction is stored but no milestone has confirmed it yet: no inclusion proof exists" },
  ERR_RATE_LIMITED: { layer: "api", meaning: "more requests per second than allowed; repeated refusals close the connection", close: 1008 },
  ERR_TOO_MANY_IN_FLIGHT: { layer: "api", meaning: "too many requests of this connection are being processed" },
  ERR_ISSUER_BUSY: { layer: "api", meaning: "too many submissions of this issuer are waiting or being processed; retry once some are acknowledged" },
  ERR_TOO_MANY_SUBSCRIPTIONS: { layer: "api", meaning: "the connection's subscription limit is reached" },
  ERR_BAD_TOPIC: { layer: "api", meaning: "an unknown topic, or an address topic whose address is not valid" },
  ERR_REMOTE_POW_DISABLED: { layer: "api", meaning: "this node does not do proof of work for clients" },
  ERR_REMOTE_POW_BUSY: { layer: "api", meaning: "remote PoW allowance of this connection used up, or the node's queue full" },
  ERR_INTERNAL: { layer: "api", meaning: "a bug on the node's side; the request changed nothing" },
  ERR_NOT_SYNCED: { layer: "api", meaning: "the node is behind its peers and still catching up; it hands out no parents" },
  ERR_ADMIN_DISABLED: { layer: "api", meaning: "admin methods need the node to run with --admin-token" },
  ERR_UNAUTHORIZED: { layer: "api", meaning: "wrong admin token" },

  // ---- ledger (node/ledger/) ----------------------------------------------------------------------
  ERR_GENESIS_TOO_LARGE: { layer: "ledger", meaning: "the genesis text is longer than MAX_GENESIS_BYTES" },
  ERR_GENESIS_JSON: { layer: "ledger", meaning: "the genesis text is not JSON" },
  ERR_GENESIS_NOT_OBJECT: { layer: "ledger", meaning: "the genesis, or one of its outputs, is not a JSON object" },
  ERR_GENESIS_MISSING_FIELD: { layer: "ledger", meaning: "a required genesis field is absent" },
  ERR_GENESIS_UNKNOWN_FIELD: { layer: "ledger", meaning: "a genesis field this version does not know" },
  ERR_GENESIS_NETWORK_ID: { layer: "ledger", meaning: "networkId is not an integer in [0, 2^32 - 1]" },
  ERR_GENESIS_NETWORK_NAME: { layer: "ledger", meaning: "networkName is not 1..64 printable ASCII characters" },
  ERR_GENESIS_COMMITTEE: { layer: "ledger", meaning: "committee is not an object {members, threshold} with 1..MAX_COMMITTEE_MEMBERS members" },
  ERR_GENESIS_COMMITTEE_MEMBER: { layer: "ledger", meaning: "a committee member's key is not 64 hex characters" },
  ERR_GENESIS_COMMITTEE_DUPLICATE: { layer: "ledger", meaning: "the same committee member twice" },
  ERR_GENESIS_COMMITTEE_THRESHOLD: { layer: "ledger", meaning: "the committee threshold is not an integer k with n/2 < k <= n" },
  ERR_GENESIS_OUTPUTS: { layer: "ledger", meaning: "outputs is not an array of 1..MAX_GENESIS_OUTPUTS entries" },
  ERR_GENESIS_OUTPUT_ADDRESS: { layer: "ledger", meaning: "an output address is not 64 hex characters" },
  ERR_GENESIS_OUTPUT_AMOUNT: { layer: "ledger", meaning: "an output amount is not a canonical decimal string of a u64 in [1, 2^64 - 1]" },
  ERR_GENESIS_SUPPLY_OVERFLOW: { layer: "ledger", meaning: "the genesis outputs sum past 2^64 - 1" },
  ERR_GENESIS_MILESTONE_INTERVAL: { layer: "ledger", meaning: "milestoneIntervalMs is out of its range" },
  ERR_GENESIS_BASE_DIFFICULTY: { layer: "ledger", meaning: "baseDifficulty is not an integer in [0, 63]" },
  ERR_WHITEFLAG_MISSING_PARENT: { layer: "ledger", meaning: "a milestone's cone holds an id the cone view does not know: it was not solid" },
  ERR_LEDGER_INDEX_MISMATCH: { layer: "ledger", meaning: "a white-flag result for another milestone index than ledgerIndex + 1" },
  ERR_LEDGER_STATE_MISMATCH: { layer: "ledger", meaning: "a white-flag result computed against another state hash than the ledger's" },
  ERR_LEDGER_INCONSISTENT: { layer: "ledger", meaning: "a result or snapshot contradicts the ledger (consumes a missing output, recreates one, …)" },
  ERR_MILESTONE_INDEX_MISMATCH: { layer: "ledger", meaning: "the milestone's index is not the one the local result was computed for" },
  ERR_MILESTONE_MERKLE_MISMATCH: { layer: "ledger", meaning: "the milestone's merkle root of confirmed ids differs from the local one" },
  ERR_MILESTONE_STATE_MISMATCH: { layer: "ledger", meaning: "the milestone's ledger state hash differs from the local one" },

  // ---- storage (node/storage/) --------------------------------------------------------------------
  ERR_SCHEMA_VERSION: { layer: "storage", meaning: "the database was written with another schema version" },
  ERR_GENESIS_MISMATCH: { layer: "storage", meaning: "the database belongs to another network (its genesis differs)" },
  ERR_MISSING_TX: { layer: "storage", meaning: "a confirmed transaction is not stored (a bug: nothing was written)" },
  ERR_DATA_DIR_IN_USE: { layer: "storage", meaning: "another live node holds the data directory" },
  ERR_STORAGE_CORRUPT: { layer: "storage", meaning: "a stored transaction's bytes do not hash to its id: the database is damaged; not served, a good copy is asked of peers" },
  ERR_STORAGE_DAMAGED: { layer: "storage", meaning: "the database file fails the checks made before opening it (meta pages, sizes, a walk of every page): the node refuses to start on it" },
  ERR_SNAPSHOT_MALFORMED: { layer: "storage", meaning: "not a snapshot file in its one canonical form (magic, version, kind, a length or count out of range, entries out of order or of an unknown kind, bytes after the checksum)" },
  ERR_SNAPSHOT_TRUNCATED: { layer: "storage", meaning: "the snapshot file ends before its last field (the trailing checksum)" },
  ERR_SNAPSHOT_CHECKSUM: { layer: "storage", meaning: "the snapshot file's trailing BLAKE2b-256 checksum does not match its bytes (damaged in storage or transfer)" },
  ERR_SNAPSHOT_WRONG_NETWORK: { layer: "storage", meaning: "the snapshot names another network id or genesis than the genesis it is checked against" },
  ERR_SNAPSHOT_MILESTONE: { layer: "storage", meaning: "a milestone transaction in the snapshot is not a valid milestone of this network, of the index and ledger root the file names, or carrying the committee change it is listed for" },
  ERR_SNAPSHOT_LEDGER_ROOT: { layer: "storage", meaning: "the ledger root recomputed from the snapshot's entries differs from the one its committee-signed milestone carries" },
  ERR_SNAPSHOT_BASE: { layer: "storage", meaning: "a delta snapshot checked against a base that is not the full snapshot it names (index and ledger root)" },
  ERR_SNAPSHOT_DELTA: { layer: "storage", meaning: "a delta snapshot deletes an entry its base does not hold" },
  ERR_SNAPSHOT_NO_MILESTONE: { layer: "storage", meaning: "the data directory has no applied milestone to take a snapshot at" },
  ERR_SNAPSHOT_IMPORT_TARGET: { layer: "storage", meaning: "a snapshot is imported only into an empty data directory" },
  ERR_BOOTSTRAP_NO_SNAPSHOT: { layer: "storage", meaning: "--bootstrap snapshot: no peer offered a snapshot (none reachable, none of peer protocol 5, none with a file to serve)" },
  ERR_BOOTSTRAP_DOWNLOAD: { layer: "storage", meaning: "--bootstrap snapshot: no offered snapshot downloaded whole (connection lost, no answer in time, chunks that do not add up)" },
  ERR_BOOTSTRAP_VERIFY: { layer: "storage", meaning: "--bootstrap snapshot: the downloaded snapshot failed verification against the genesis (the message names the snapshot code); it was deleted" },

  // ---- peering (node/peering/), reported by getPeers and logged --------------------------------
  ERR_PEER_UNREACHABLE: { layer: "peering", meaning: "the name did not resolve, no route to the host, or the connection attempt timed out" },
  ERR_PEER_REFUSED: { layer: "peering", meaning: "nothing listens on that port (TCP connection refused)" },
  ERR_PEER_NOT_A_NODE: { layer: "peering", meaning: "something answered HTTP instead of upgrading to the peer protocol" },
  ERR_PEER_HANDSHAKE_TIMEOUT: { layer: "peering", meaning: "no WebSocket upgrade, or no hello, within the handshake timeout", close: 4007 },
  ERR_PEER_WRONG_NETWORK: { layer: "peering", meaning: "the peer is of another network or another genesis", close: 4001 },
  ERR_PEER_BAD_PROTOCOL: { layer: "peering", meaning: "the peer speaks another version of the peer protocol", close: 4002 },
  ERR_PEER_BANNED: { layer: "peering", meaning: "one side banned the other for invalid data (4003; a banned node redialing is refused with 4005)", close: 4003 },
  ERR_PEER_TOO_MANY_PEERS: { layer: "peering", meaning: "the peer, or this node, is at its peer limit", close: 4004 },
  ERR_PEER_CLOSED: { layer: "peering", meaning: "the connection closed for another reason (the peer shut down, removed this node, the network dropped it)" },

  // ---- the API client (client/api/, attach, confirm) -------------------------------------------
  ERR_CLIENT_TIMEOUT: { layer: "client", meaning: "no answer within the request timeout; the node may still have processed the request" },
  ERR_CLIENT_DISCONNECTED: { layer: "client", meaning: "the connection dropped while the request was in flight; it may or may not have been processed" },
  ERR_CLIENT_CLOSED: { layer: "client", meaning: "the client was closed (by close(), or after reconnecting gave up)" },
  ERR_CLIENT_CONNECT: { layer: "client", meaning: "could not open a connection (reconnecting disabled, or attempts used up)" },
  ERR_CLIENT_BAD_RESPONSE: { layer: "client", meaning: "the node sent something that is not a response of the documented shape" },
  ERR_CLIENT_NO_WEBSOCKET: { layer: "client", meaning: "no WebSocket implementation: pass one, or use the Node entry point" },
  ERR_CLIENT_ABORTED: { layer: "client", meaning: "the caller's AbortSignal fired" },
  ERR_CLIENT_BAD_ARGUMENT: { layer: "client", meaning: "a parameter given to a client method is invalid (the message names it)" },
  ERR_FRAME_ENCODE: { layer: "client", meaning: "a value has no MessagePack form in the frame codec (a bug of the caller)" },
  ERR_POW_GAVE_UP: { layer: "client", meaning: "local proof of work for an attachment gave up (maxTrials used up)" },

  // ---- wallet (client/wallet/) --------------------------------------------------------------------
  ERR_WALLET_MNEMONIC: { layer: "wallet", meaning: "not a valid BIP-39 phrase (unknown word, wrong length or bad checksum)" },
  ERR_WALLET_ADDRESS: { layer: "wallet", meaning: "not a bech32m address of this network, nor 64 hex characters" },
  ERR_WALLET_AMOUNT: { layer: "wallet", meaning: "an amount that is not an integer in [1, 2^64 - 1]" },
  ERR_WALLET_INSUFFICIENT_FUNDS: { layer: "wallet", meaning: "the wallet's confirmed, unlocked outputs do not cover the amount" },
  ERR_WALLET_CONFLICT: { layer: "wallet", meaning: "a transfer was confirmed without effect (its inputs were spent by another transfer)" },
  ERR_WALLET_NO_CLIENT: { layer: "wallet", meaning: "the operation needs a node connection (pass client)" },

  // ---- gateway SDK (client/gateway/) --------------------------------------------------------------
  ERR_GATEWAY_READING_TOO_LARGE: { layer: "gateway", meaning: "one encoded reading does not fit a record" },
  ERR_GATEWAY_FOREIGN_STREAM: { layer: "gateway", meaning: "the stream's records on the node are signed by another key" },
  ERR_GATEWAY_REJECTED: { layer: "gateway", meaning: "the node refused a record for a reason no retry cures; the stream is stopped" },
  ERR_GATEWAY_FLUSH_TIMEOUT: { layer: "gateway", meaning: "flush() did not finish in time" },
  ERR_GATEWAY_CLOSED: { layer: "gateway", meaning: "the gateway is closed" },
  ERR_GATEWAY_WRONG_NETWORK: { layer: "gateway", meaning: "a sealed record names another network than the node's; it waits for a node of its network" },
  ERR_OUTBOX_IN_USE: { layer: "gateway", meaning: "another live process has the outbox directory open" },
  ERR_UNKNOWN: { layer: "gateway", meaning: "a refusal that carried no code of its own (stands in for it in the gateway's decisions)" },

  // ---- the command line and configuration --------------------------------------------------------
  ERR_USAGE: { layer: "cli", meaning: "a mistake in the command line (printed with the command's usage, exit code 2)" },
  ERR_CONFIG: { layer: "cli", meaning: "a node configuration value (option, environment variable or file) is invalid" },
} as const satisfies Record<`ERR_${string}`, CodeInfo>;

/** The codes of a module's view of the table (`CodeOf<typeof ApiErrorCode>`). */
export type CodeOf<View> = View[keyof View];

/** Every code, as a string type. */
export type Code = keyof typeof TABLE;

/** The table: each code with its layer, meaning and close code. */
export const CODES: { readonly [K in Code]: Readonly<CodeInfo> } = TABLE;

/** Each code by its own name (`Code.ERR_NOT_FOUND === "ERR_NOT_FOUND"`), so that a typo does not compile. */
export const Code = Object.freeze(Object.fromEntries(Object.keys(TABLE).map((k) => [k, k]))) as { readonly [K in Code]: K };

/**
 * Why white flag left a confirmed transfer without effect: the other stable strings of the wire
 * (getTransactionMetadata's `conflict`, the `confirmed`, `address:` and `tx:` pushes). The first
 * failing check wins, inputs in their order, then the amounts (docs/ledger.md).
 */
const CONFLICTS = {
  INPUT_SPENT: "an input was spent before: by an earlier milestone, or earlier in this one",
  INPUT_UNKNOWN: "an input names an output that does not exist (yet) in the ledger or earlier in this milestone",
  INPUT_NOT_OWNED: "an input's address is not the address of the transaction's issuer",
  AMOUNT_MISMATCH: "the inputs do not sum to the outputs",
} as const satisfies Record<string, string>;

export type ConflictReason = keyof typeof CONFLICTS;

/** Each reason with its meaning. */
export const CONFLICT_REASONS: { readonly [K in ConflictReason]: string } = CONFLICTS;

/** Each reason by its own name (`ConflictReason.INPUT_SPENT === "INPUT_SPENT"`). */
export const ConflictReason = Object.freeze(Object.fromEntries(Object.keys(CONFLICTS).map((k) => [k, k]))) as { readonly [K in ConflictReason]: K };

/** Whether `s` is one of the conflict reasons. */
export function isConflictReason(s: unknown): s is ConflictReason {
  return typeof s === "string" && Object.prototype.hasOwnProperty.call(CONFLICTS, s);
}

/** Whether `s` is one of the codes in the table. */
export function isCode(s: unknown): s is Code {
  return typeof s === "string" && Object.prototype.hasOwnProperty.call(TABLE, s);
}
