/**
 * Stage 6, issuer: whether this key may issue this payload type, by the payload's entry in
 * node/payloads.ts (today: only the network's coordinator keys issue milestones).
 */
import type { Transaction } from "../../client/protocol/codec";
import { nodePayload } from "../payloads";
import type { Rejection, ValidationParams } from "./types";

export function checkIssuer(tx: Transaction, params: ValidationParams): Rejection | undefined {
  return nodePayload(tx).checkIssuer?.(tx, params);
}
