/**
 * Every protocol limit, in one place. docs/protocol.md lists the same values; a test checks that the
 * two agree.
 */
export const PROTOCOL_VERSION = 1;

export const ID_BYTES = 32;
export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;
export const NONCE_BYTES = 8;
export const ADDRESS_BYTES = 32;

export const MIN_PARENTS = 2;
export const MAX_PARENTS = 8;

/** Largest serialized transaction. */
export const MAX_TRANSACTION_BYTES = 32 * 1024;

export const MAX_INPUTS = 128;
export const MAX_OUTPUTS = 128;
/** Amounts are u64; the sum of a transfer's outputs must stay below 2^64 as well. */
export const MAX_AMOUNT = (1n << 64n) - 1n;

export const STREAM_ID_BYTES = 32;
export const MAX_CONTENT_TYPE_BYTES = 64;
export const MAX_DATA_BYTES = 16 * 1024;

// Payload type codes live with their payload modules (./payloads/).
