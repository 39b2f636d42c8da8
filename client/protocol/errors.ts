/**
 * Stable error codes of the protocol layer (decoding and validation). Codes never change meaning;
 * docs/protocol.md and docs/api.md list them all.
 */
export const ProtocolErrorCode = {
  /** Input is not a byte array. */
  NOT_BYTES: "ERR_TX_NOT_BYTES",
  /** Larger than MAX_TRANSACTION_BYTES. */
  TOO_LARGE: "ERR_TX_TOO_LARGE",
  /** Ends before a field is complete. */
  TRUNCATED: "ERR_TX_TRUNCATED",
  /** Bytes after the last field. */
  TRAILING_BYTES: "ERR_TX_TRAILING_BYTES",
  UNKNOWN_VERSION: "ERR_TX_UNKNOWN_VERSION",
  /** Parent count outside 2..8. */
  PARENT_COUNT: "ERR_TX_PARENT_COUNT",
  /** Parents not in strictly ascending byte order (unsorted or duplicated). */
  PARENTS_UNSORTED: "ERR_TX_PARENTS_UNSORTED",
  UNKNOWN_PAYLOAD: "ERR_TX_UNKNOWN_PAYLOAD",
  /** Declared payload length disagrees with the payload's own fields. */
  PAYLOAD_LENGTH: "ERR_TX_PAYLOAD_LENGTH",
  /** Input or output count outside its range. */
  IO_COUNT: "ERR_TX_IO_COUNT",
  /** The same input (transaction id, index) twice. */
  DUPLICATE_INPUT: "ERR_TX_DUPLICATE_INPUT",
  /** Zero amount, or outputs summing past 2^64 - 1. */
  AMOUNT: "ERR_TX_AMOUNT",
  /** Content type empty, too long or not printable ASCII. */
  CONTENT_TYPE: "ERR_TX_CONTENT_TYPE",
  /** Data longer than MAX_DATA_BYTES. */
  DATA_TOO_LARGE: "ERR_TX_DATA_TOO_LARGE",
  /** Sequence 0 must have an all-zero previous record id, and later ones a non-zero one. */
  STREAM_LINK: "ERR_TX_STREAM_LINK",
  /** Milestone index 0, or another field out of range. */
  MILESTONE_FIELD: "ERR_TX_MILESTONE_FIELD",
  /** A field out of range that has no more specific code (e.g. a u64 above 2^53 - 1). */
  BAD_FIELD: "ERR_TX_BAD_FIELD",
  /** Not decodable for a reason not covered above (reported, never thrown). */
  MALFORMED: "ERR_TX_MALFORMED",

  // Validation (node/validation/pipeline.ts), in pipeline order after decoding.
  /** Network id differs from this network's. */
  WRONG_NETWORK: "ERR_TX_WRONG_NETWORK",
  /** Attachment timestamp too far in the past. */
  TIMESTAMP_TOO_OLD: "ERR_TX_TIMESTAMP_TOO_OLD",
  /** Attachment timestamp too far in the future. */
  TIMESTAMP_IN_FUTURE: "ERR_TX_TIMESTAMP_IN_FUTURE",
  /** Work below the difficulty required for the transaction's size. */
  POW_INSUFFICIENT: "ERR_TX_POW_INSUFFICIENT",
  /** Ed25519 signature does not verify against the issuer key. */
  BAD_SIGNATURE: "ERR_TX_BAD_SIGNATURE",
  /** A milestone issued by a key that is not one of the network's coordinators. */
  NOT_COORDINATOR: "ERR_TX_NOT_COORDINATOR",
} as const;

export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
  }
}
