/**
 * The protocol layer's view of the code table (client/protocol/codes.ts): the codes of decoding
 * and validation, by short name. Codes never change meaning; docs/protocol.md and docs/api.md list
 * them all. `CodedError`, the base of every error this project throws on purpose, is re-exported
 * here and from codes.ts.
 */
import { Code, CodedError, CodeOf } from "./codes";

export { CodedError };

export const ProtocolErrorCode = {
  /** Input is not a byte array. */
  NOT_BYTES: Code.ERR_TX_NOT_BYTES,
  /** Larger than MAX_TRANSACTION_BYTES. */
  TOO_LARGE: Code.ERR_TX_TOO_LARGE,
  /** Ends before a field is complete. */
  TRUNCATED: Code.ERR_TX_TRUNCATED,
  /** Bytes after the last field. */
  TRAILING_BYTES: Code.ERR_TX_TRAILING_BYTES,
  UNKNOWN_VERSION: Code.ERR_TX_UNKNOWN_VERSION,
  /** Parent count outside 2..8. */
  PARENT_COUNT: Code.ERR_TX_PARENT_COUNT,
  /** Parents not in strictly ascending byte order (unsorted or duplicated). */
  PARENTS_UNSORTED: Code.ERR_TX_PARENTS_UNSORTED,
  UNKNOWN_PAYLOAD: Code.ERR_TX_UNKNOWN_PAYLOAD,
  /** Declared payload length disagrees with the payload's own fields. */
  PAYLOAD_LENGTH: Code.ERR_TX_PAYLOAD_LENGTH,
  /** Input or output count outside its range. */
  IO_COUNT: Code.ERR_TX_IO_COUNT,
  /** The same input (transaction id, index) twice. */
  DUPLICATE_INPUT: Code.ERR_TX_DUPLICATE_INPUT,
  /** Zero amount, or outputs summing past 2^64 - 1. */
  AMOUNT: Code.ERR_TX_AMOUNT,
  /** Content type empty, too long or not printable ASCII. */
  CONTENT_TYPE: Code.ERR_TX_CONTENT_TYPE,
  /** Data longer than MAX_DATA_BYTES. */
  DATA_TOO_LARGE: Code.ERR_TX_DATA_TOO_LARGE,
  /** Sequence 0 must have an all-zero previous record id, and later ones a non-zero one. */
  STREAM_LINK: Code.ERR_TX_STREAM_LINK,
  /** Milestone index 0, or another field out of range. */
  MILESTONE_FIELD: Code.ERR_TX_MILESTONE_FIELD,
  /** A milestone's signatures are not in ascending order of public key. */
  MILESTONE_SIGNATURES_UNSORTED: Code.ERR_TX_MILESTONE_SIGNATURES_UNSORTED,
  /** Two signatures of one public key in a milestone. */
  MILESTONE_SIGNER_DUPLICATE: Code.ERR_TX_MILESTONE_SIGNER_DUPLICATE,
  /** A field out of range that has no more specific code (e.g. a u64 above 2^53 - 1). */
  BAD_FIELD: Code.ERR_TX_BAD_FIELD,
  /** Not decodable for a reason not covered above (reported, never thrown). */
  MALFORMED: Code.ERR_TX_MALFORMED,

  // Validation (node/validation/pipeline.ts), in pipeline order after decoding.
  /** Network id differs from this network's. */
  WRONG_NETWORK: Code.ERR_TX_WRONG_NETWORK,
  /** Attachment timestamp too far in the past. */
  TIMESTAMP_TOO_OLD: Code.ERR_TX_TIMESTAMP_TOO_OLD,
  /** Attachment timestamp too far in the future. */
  TIMESTAMP_IN_FUTURE: Code.ERR_TX_TIMESTAMP_IN_FUTURE,
  /** Work below the difficulty required for the transaction's size. */
  POW_INSUFFICIENT: Code.ERR_TX_POW_INSUFFICIENT,
  /** Ed25519 signature does not verify against the issuer key. */
  BAD_SIGNATURE: Code.ERR_TX_BAD_SIGNATURE,
  /** A milestone issued by a key that is not one of the network's coordinators. */
  NOT_COORDINATOR: Code.ERR_TX_NOT_COORDINATOR,
} as const;

export type ProtocolErrorCode = CodeOf<typeof ProtocolErrorCode>;

export class ProtocolError extends CodedError<ProtocolErrorCode> {
  override name = "ProtocolError";
}
