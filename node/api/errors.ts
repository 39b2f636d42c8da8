/**
 * Error codes of the client API layer (frames, requests, limits). Transaction and node codes come
 * from client/protocol/errors.ts and node/errors.ts and pass through unchanged.
 */
export const ApiErrorCode = {
  /** The frame is not a binary msgpack message. */
  BAD_FRAME: "ERR_BAD_FRAME",
  /** Not a request: needs `id` (number or string) and `method` (string), `params` an object if present. */
  BAD_REQUEST: "ERR_BAD_REQUEST",
  UNKNOWN_METHOD: "ERR_UNKNOWN_METHOD",
  /** A parameter is missing, of the wrong type or out of range; the message names it. */
  BAD_PARAMS: "ERR_BAD_PARAMS",
  NOT_FOUND: "ERR_NOT_FOUND",
  RATE_LIMITED: "ERR_RATE_LIMITED",
  TOO_MANY_IN_FLIGHT: "ERR_TOO_MANY_IN_FLIGHT",
  TOO_MANY_SUBSCRIPTIONS: "ERR_TOO_MANY_SUBSCRIPTIONS",
  BAD_TOPIC: "ERR_BAD_TOPIC",
  REMOTE_POW_DISABLED: "ERR_REMOTE_POW_DISABLED",
  /** Remote PoW queue full or this connection's allowance used up. */
  REMOTE_POW_BUSY: "ERR_REMOTE_POW_BUSY",
  /** A bug on the node's side; the request changed nothing. */
  INTERNAL: "ERR_INTERNAL",
} as const;

export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** WebSocket close codes the server uses. */
export const CloseCode = {
  GOING_AWAY: 1001,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  TRY_AGAIN_LATER: 1013,
} as const;
