/** Stage 2, network id: a transaction of another network is refused. */
import type { Transaction } from "../../client/protocol/codec";
import { ProtocolErrorCode as E } from "../../client/protocol/errors";
import { reject, Rejection, ValidationParams } from "./types";

export function checkNetwork(tx: Transaction, params: ValidationParams): Rejection | undefined {
  return tx.networkId === params.networkId ? undefined : reject(E.WRONG_NETWORK, `network ${tx.networkId}, this node serves ${params.networkId}`);
}
