/** Stage 3, timestamp window: the attachment time within maxPastMs behind and maxFutureMs ahead of the node's clock. */
import type { Transaction } from "../../client/protocol/codec";
import { ProtocolErrorCode as E } from "../../client/protocol/errors";
import { reject, Rejection, ValidationParams } from "./types";

export function checkTimestamp(tx: Transaction, params: ValidationParams, nowMs: number): Rejection | undefined {
  if (tx.timestamp < nowMs - params.maxPastMs) return reject(E.TIMESTAMP_TOO_OLD, `timestamp ${tx.timestamp} is more than ${params.maxPastMs} ms old`);
  if (tx.timestamp > nowMs + params.maxFutureMs) return reject(E.TIMESTAMP_IN_FUTURE, `timestamp ${tx.timestamp} is more than ${params.maxFutureMs} ms ahead`);
  return undefined;
}
