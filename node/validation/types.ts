/**
 * What every validation stage shares: the node's parameters, the verdict shape and the
 * transaction that passed. Codes are the protocol's (client/protocol/errors.ts).
 */
import type { DecodedTransaction } from "../../client/protocol/codec";
import type { ProtocolErrorCode } from "../../client/protocol/errors";

export interface ValidationParams {
  networkId: number;
  /** Difficulty in bits for a transaction of at most DIFFICULTY_UNIT_BYTES. */
  baseDifficulty: number;
  /** How far in the past an attachment timestamp may be. */
  maxPastMs: number;
  /** How far in the future an attachment timestamp may be (clock skew). */
  maxFutureMs: number;
  /** Hex public keys allowed to issue milestones. */
  coordinatorKeys: ReadonlySet<string>;
  /**
   * The highest milestone index whose committee this node knows (a node: its ledger index + 1).
   * Above it, a milestone's issuer outside `coordinatorKeys` may be a member that a committee
   * change not applied here yet names: not judged at validation (the node judges it once the
   * milestones before it are applied). Absent: every milestone's issuer is judged here.
   */
  committeeKnownTo?(): number;
}

/** A transaction that passed every stateless stage, with what those stages computed. */
export interface ValidTransaction extends DecodedTransaction {
  id: Uint8Array;
  idHex: string;
  /** The difficulty this transaction had to meet. */
  difficulty: number;
  /** BLAKE2b-256 of the essence: what the signature covers, and the essence's identity (pending.ts). */
  essenceHash: Uint8Array;
}

export interface Rejection {
  ok: false;
  code: ProtocolErrorCode;
  message: string;
}

export type Verdict = { ok: true; value: ValidTransaction } | Rejection;

export function reject(code: ProtocolErrorCode, message: string): Rejection {
  return { ok: false, code, message };
}
