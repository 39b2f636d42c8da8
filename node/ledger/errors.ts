/**
 * Stable codes of the ledger: errors (genesis parsing, white flag, applying results, milestone
 * checks) and the reasons a confirmed transfer is marked conflicting. Codes never change meaning;
 * docs/ledger.md lists them all and tests assert them. The codes are a view of the one table
 * (client/protocol/codes.ts).
 */
import { Code, CodedError, CodeOf, ConflictReason } from "../../client/protocol/codes";

export const LedgerErrorCode = {
  // --- genesis file (genesis.ts) ---
  /** The genesis text is longer than MAX_GENESIS_BYTES. */
  GENESIS_TOO_LARGE: Code.ERR_GENESIS_TOO_LARGE,
  /** The genesis text is not JSON. */
  GENESIS_JSON: Code.ERR_GENESIS_JSON,
  /** The genesis (or one of its outputs) is not a JSON object. */
  GENESIS_NOT_OBJECT: Code.ERR_GENESIS_NOT_OBJECT,
  /** A required field is absent. */
  GENESIS_MISSING_FIELD: Code.ERR_GENESIS_MISSING_FIELD,
  /** A field this version does not know (strict: typos must not pass silently). */
  GENESIS_UNKNOWN_FIELD: Code.ERR_GENESIS_UNKNOWN_FIELD,
  /** networkId is not an integer in [0, 2^32 - 1]. */
  GENESIS_NETWORK_ID: Code.ERR_GENESIS_NETWORK_ID,
  /** networkName is not 1..64 printable ASCII characters. */
  GENESIS_NETWORK_NAME: Code.ERR_GENESIS_NETWORK_NAME,
  /** committee is not an object {members, threshold} with 1..MAX_COMMITTEE_MEMBERS members. */
  GENESIS_COMMITTEE: Code.ERR_GENESIS_COMMITTEE,
  /** A member key is not 64 hex characters (32 bytes). */
  GENESIS_COMMITTEE_MEMBER: Code.ERR_GENESIS_COMMITTEE_MEMBER,
  /** The same member twice. */
  GENESIS_COMMITTEE_DUPLICATE: Code.ERR_GENESIS_COMMITTEE_DUPLICATE,
  /** The threshold is not an integer k with n/2 < k <= n. */
  GENESIS_COMMITTEE_THRESHOLD: Code.ERR_GENESIS_COMMITTEE_THRESHOLD,
  /** outputs is not an array of 1..MAX_GENESIS_OUTPUTS entries. */
  GENESIS_OUTPUTS: Code.ERR_GENESIS_OUTPUTS,
  /** An output address is not 64 hex characters (32 bytes). */
  GENESIS_OUTPUT_ADDRESS: Code.ERR_GENESIS_OUTPUT_ADDRESS,
  /** An output amount is not a canonical decimal string of a u64 in [1, 2^64 - 1]. */
  GENESIS_OUTPUT_AMOUNT: Code.ERR_GENESIS_OUTPUT_AMOUNT,
  /** The outputs sum past 2^64 - 1. */
  GENESIS_SUPPLY_OVERFLOW: Code.ERR_GENESIS_SUPPLY_OVERFLOW,
  /** milestoneIntervalMs is not an integer in [MIN_MILESTONE_INTERVAL_MS, MAX_MILESTONE_INTERVAL_MS]. */
  GENESIS_MILESTONE_INTERVAL: Code.ERR_GENESIS_MILESTONE_INTERVAL,
  /** baseDifficulty is not an integer in [0, 63]. */
  GENESIS_BASE_DIFFICULTY: Code.ERR_GENESIS_BASE_DIFFICULTY,

  // --- white flag (whiteflag.ts) ---
  /** The cone holds an id that the cone view does not know: it was not solid. */
  WHITEFLAG_MISSING_PARENT: Code.ERR_WHITEFLAG_MISSING_PARENT,

  // --- applying a result (ledger.ts) ---
  /** The result is for milestone index other than ledgerIndex + 1 (stale or out of order). */
  LEDGER_INDEX_MISMATCH: Code.ERR_LEDGER_INDEX_MISMATCH,
  /** The result was computed against another state hash than the ledger's. */
  LEDGER_STATE_MISMATCH: Code.ERR_LEDGER_STATE_MISMATCH,
  /** A result or snapshot contradicts the ledger (consumes a missing output, recreates one, ...). */
  LEDGER_INCONSISTENT: Code.ERR_LEDGER_INCONSISTENT,

  // --- checking a milestone against the local result (whiteflag.ts) ---
  /** The milestone's index is not the one the result was computed for. */
  MILESTONE_INDEX_MISMATCH: Code.ERR_MILESTONE_INDEX_MISMATCH,
  /** The milestone's merkle root of confirmed ids differs from the local one. */
  MILESTONE_MERKLE_MISMATCH: Code.ERR_MILESTONE_MERKLE_MISMATCH,
  /** The milestone's ledger state hash differs from the local one. */
  MILESTONE_STATE_MISMATCH: Code.ERR_MILESTONE_STATE_MISMATCH,
} as const;

export type LedgerErrorCode = CodeOf<typeof LedgerErrorCode>;

export class LedgerError extends CodedError<LedgerErrorCode> {
  override name = "LedgerError";
}

/**
 * Why white flag marked a confirmed transfer `conflicting` (the reasons and their meanings are in
 * client/protocol/codes.ts, beside the error codes: they travel on the wire too). The first failing
 * check wins, inputs in their order, then the amounts (docs/ledger.md). Reasons are informative:
 * milestones commit to which transfers applied (through the state hash), not to the reasons.
 */
export { ConflictReason, isConflictReason } from "../../client/protocol/codes";

/** One-byte form of each reason, for storage records. 0 is left for "not conflicting". */
export const CONFLICT_REASON_BYTE: Readonly<Record<ConflictReason, number>> = {
  INPUT_SPENT: 1,
  INPUT_UNKNOWN: 2,
  INPUT_NOT_OWNED: 3,
  AMOUNT_MISMATCH: 4,
};
