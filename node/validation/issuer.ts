/** Stage 6, issuer: only the network's coordinator keys issue milestones. */
import type { Transaction } from "../../client/protocol/codec";
import { toHex } from "../../client/protocol/bytes";
import { ProtocolErrorCode as E } from "../../client/protocol/errors";
import { reject, Rejection, ValidationParams } from "./types";

export function checkIssuer(tx: Transaction, params: ValidationParams): Rejection | undefined {
  if (tx.payload.type === "milestone" && !params.coordinatorKeys.has(toHex(tx.issuer))) {
    return reject(E.NOT_COORDINATOR, "milestone issued by a key that is not a coordinator of this network");
  }
  return undefined;
}
