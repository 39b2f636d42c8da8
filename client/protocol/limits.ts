/**
 * Every protocol limit, in one place. docs/protocol.md lists the same values; a test checks that the
 * two agree.
 */
/** The transaction version byte. 2: milestone v2 (committee signatures) and the checkpoint payload. */
export const PROTOCOL_VERSION = 2;

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

/** Members of a milestone committee (genesis, committee changes) and signatures of one milestone. */
export const MAX_COMMITTEE_MEMBERS = 16;

export const STREAM_ID_BYTES = 32;
export const MAX_CONTENT_TYPE_BYTES = 64;
export const MAX_DATA_BYTES = 16 * 1024;

// Payload type codes live with their payload modules (./payloads/).

/**
 * Limits of the client API that both sides need: the node enforces them (node/api/limits.ts
 * spreads them into API_LIMITS beside its own), the client keeps within them. docs/api.md lists
 * them; a test keeps the page and both sides in step.
 */
export const SHARED_API_LIMITS = {
  /** Largest WebSocket frame the node accepts; larger ones close the connection with 1009. */
  maxFrameBytes: 64 * 1024,
  /** Requests of one connection being processed at once; more get ERR_TOO_MANY_IN_FLIGHT. */
  maxInFlightPerConnection: 64,
  /** Sustained requests per second per connection (token bucket, burst = one second's worth). */
  maxRequestsPerSecond: 2000,
  /** Subscribed topics per connection. */
  maxSubscriptionsPerConnection: 256,
  /** Topics in one subscribe or unsubscribe request. */
  maxTopicsPerRequest: 64,
  /** Records returned by one getStream call (its largest `limit`). */
  maxStreamLimit: 1000,
  /** Outputs returned by one getOutputs call. */
  maxOutputs: 1000,
  /** Remote proof-of-work requests per connection per minute. */
  remotePowPerMinute: 60,
  /** Longest URL addPeer and removePeer take, and longest address text a method or topic takes. */
  maxTextParamChars: 200,
} as const;
