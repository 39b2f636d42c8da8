/**
 * Error codes of the client API layer (frames, requests, limits). Transaction and node codes come
 * from client/protocol/errors.ts and node/errors.ts and pass through unchanged. A view of the one
 * table (client/protocol/codes.ts).
 */
import { Code, CodedError, CodeOf } from "../../client/protocol/codes";
export const ApiErrorCode = {
  /** The frame is not a binary msgpack message. */
  BAD_FRAME: Code.ERR_BAD_FRAME,
  /** Not a request: needs `id` (number or string) and `method` (string), `params` an object if present. */
  BAD_REQUEST: Code.ERR_BAD_REQUEST,
  UNKNOWN_METHOD: Code.ERR_UNKNOWN_METHOD,
  /** A parameter is missing, of the wrong type or out of range; the message names it. */
  BAD_PARAMS: Code.ERR_BAD_PARAMS,
  NOT_FOUND: Code.ERR_NOT_FOUND,
  /** Not stored on a node that pruned: unknown, or pruned (data: {pruningIndex}). */
  PRUNED: Code.ERR_PRUNED,
  RATE_LIMITED: Code.ERR_RATE_LIMITED,
  TOO_MANY_IN_FLIGHT: Code.ERR_TOO_MANY_IN_FLIGHT,
  /** Too many submissions of one issuer waiting or being processed (all connections): node/api/fair-queue.ts. */
  ISSUER_BUSY: Code.ERR_ISSUER_BUSY,
  TOO_MANY_SUBSCRIPTIONS: Code.ERR_TOO_MANY_SUBSCRIPTIONS,
  BAD_TOPIC: Code.ERR_BAD_TOPIC,
  REMOTE_POW_DISABLED: Code.ERR_REMOTE_POW_DISABLED,
  /** Remote PoW queue full or this connection's allowance used up. */
  REMOTE_POW_BUSY: Code.ERR_REMOTE_POW_BUSY,
  /** queueCommitteeChange / cancelCommitteeChange on a node that holds no committee key. */
  COMMITTEE_NO_KEY: Code.ERR_COMMITTEE_NO_KEY,
  /** queueCommitteeChange's members, threshold or effective index break the change's rules (node/committee/change-queue.ts). */
  COMMITTEE_CHANGE_MEMBERS: Code.ERR_COMMITTEE_CHANGE_MEMBERS,
  COMMITTEE_CHANGE_THRESHOLD: Code.ERR_COMMITTEE_CHANGE_THRESHOLD,
  COMMITTEE_CHANGE_INDEX: Code.ERR_COMMITTEE_CHANGE_INDEX,
  /** A bug on the node's side; the request changed nothing. */
  INTERNAL: Code.ERR_INTERNAL,
} as const;

export type ApiErrorCode = CodeOf<typeof ApiErrorCode>;

export class ApiError extends CodedError {
  override name = "ApiError";
}

/** WebSocket close codes the server uses. */
export const CloseCode = {
  GOING_AWAY: 1001,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  TRY_AGAIN_LATER: 1013,
} as const;
