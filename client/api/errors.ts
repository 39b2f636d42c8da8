/**
 * Errors of the API client. Every error has a stable `code`: either the node's own code, passed
 * through unchanged (`NodeApiError`, e.g. `ERR_TX_POW_INSUFFICIENT`, listed in docs/api.md and
 * docs/protocol.md), or one of the client's codes below (docs/client.md lists them). The codes are
 * views of the one table (client/protocol/codes.ts).
 */
import { Code, CodedError, CodeOf } from "../protocol/codes";
export const ClientErrorCode = {
  /** No answer within the request timeout. The node may still have processed the request. */
  TIMEOUT: Code.ERR_CLIENT_TIMEOUT,
  /** The connection dropped while the request was in flight; it may or may not have been processed. */
  DISCONNECTED: Code.ERR_CLIENT_DISCONNECTED,
  /** The client was closed (by `close()`, or after reconnecting gave up). */
  CLOSED: Code.ERR_CLIENT_CLOSED,
  /** Could not open a connection (reconnecting disabled, or attempts used up). */
  CONNECT: Code.ERR_CLIENT_CONNECT,
  /** The node sent something that is not a response of the documented shape. */
  BAD_RESPONSE: Code.ERR_CLIENT_BAD_RESPONSE,
  /** No WebSocket implementation: pass one, or use the Node entry point (client/node.ts). */
  NO_WEBSOCKET: Code.ERR_CLIENT_NO_WEBSOCKET,
  /** The caller's AbortSignal fired. */
  ABORTED: Code.ERR_CLIENT_ABORTED,
  /** A parameter given to a client method is invalid (the message names it). */
  BAD_ARGUMENT: Code.ERR_CLIENT_BAD_ARGUMENT,
} as const;

export type ClientErrorCode = CodeOf<typeof ClientErrorCode>;

/** Base class of the errors the API client throws (a `CodedError`). */
export class TangleClientError extends CodedError {
  override name = "TangleClientError";
}

/** An error answer of the node: `code` is the node's stable code. */
export class NodeApiError extends TangleClientError {
  constructor(
    code: string,
    message: string,
    /** The method that failed. */
    readonly method: string,
    /** Facts the node sent with the error (ERR_PRUNED: `{pruningIndex}`). */
    readonly data?: Readonly<Record<string, unknown>>,
  ) {
    super(code, `${method}: ${message} (${code})`, data);
    this.name = "NodeApiError";
  }
}

/** Whether `err` carries `code` (works for any error with a string code). */
export function hasCode(err: unknown, ...codes: string[]): boolean {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === "string" && codes.includes(c);
}

/**
 * Failures after which the same request may succeed later without any change on the caller's side:
 * connection trouble, timeouts, rate limits, a node shutting down or briefly overloaded.
 */
export function isTransient(err: unknown): boolean {
  return hasCode(
    err,
    ClientErrorCode.TIMEOUT,
    ClientErrorCode.DISCONNECTED,
    ClientErrorCode.CONNECT,
    Code.ERR_RATE_LIMITED,
    Code.ERR_TOO_MANY_IN_FLIGHT,
    Code.ERR_ISSUER_BUSY,
    Code.ERR_NODE_CLOSED,
    Code.ERR_SOLIDIFIER_FULL,
    Code.ERR_STORAGE,
    Code.ERR_REMOTE_POW_BUSY,
  );
}

export function abortError(): TangleClientError {
  return new TangleClientError(ClientErrorCode.ABORTED, "aborted");
}
