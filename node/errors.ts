/**
 * Error codes of the node itself (on top of the protocol codes in client/protocol/errors.ts and
 * the ledger codes in node/ledger/errors.ts): the node's view of the one table
 * (client/protocol/codes.ts). Stable strings; docs/api.md lists them all.
 */
import { Code, CodedError, CodeOf } from "../client/protocol/codes";
export const NodeErrorCode = {
  /** A parent is still unknown after the solidification timeout. */
  NOT_SOLID: Code.ERR_TX_NOT_SOLID,
  /** Too many transactions are already waiting for parents. */
  SOLIDIFIER_FULL: Code.ERR_SOLIDIFIER_FULL,
  /** The node is shutting down. */
  CLOSED: Code.ERR_NODE_CLOSED,
  /** A milestone was refused because this node computed a different ledger; the node stops confirming. */
  LEDGER_DIVERGED: Code.ERR_LEDGER_DIVERGED,
  /** A milestone whose index is not the next one. */
  MILESTONE_ORDER: Code.ERR_MILESTONE_ORDER,
  /** Fewer signatures of members in force than the threshold. */
  MILESTONE_QUORUM: Code.ERR_MILESTONE_QUORUM,
  /** A signer that was never a committee member. */
  MILESTONE_NOT_MEMBER: Code.ERR_MILESTONE_NOT_MEMBER,
  /** A signer a committee change removed before the milestone's index. */
  MILESTONE_RETIRED_SIGNER: Code.ERR_MILESTONE_RETIRED_SIGNER,
  /** A member's signature that does not verify. */
  MILESTONE_BAD_SIGNATURE: Code.ERR_MILESTONE_BAD_SIGNATURE,
  /** The previous milestone id is not the one applied at index - 1. */
  MILESTONE_PREVIOUS_MISMATCH: Code.ERR_MILESTONE_PREVIOUS_MISMATCH,
  /** The ledger root differs from the local one. */
  MILESTONE_LEDGER_ROOT_MISMATCH: Code.ERR_MILESTONE_LEDGER_ROOT_MISMATCH,
  /** A committee change while another is pending. */
  MILESTONE_COMMITTEE_CHANGE: Code.ERR_MILESTONE_COMMITTEE_CHANGE,
  /** Storage failed; the transaction was not acknowledged. */
  STORAGE: Code.ERR_STORAGE,
  /** A second milestone the committee validly signed at an index already applied, over another essence: the node halts. */
  MILESTONE_EQUIVOCATION: Code.ERR_MILESTONE_EQUIVOCATION,
  /** The disk is below the free-space reserve, or a write failed for want of space; nothing was stored. */
  STORAGE_FULL: Code.ERR_STORAGE_FULL,
} as const;

export type NodeErrorCode = CodeOf<typeof NodeErrorCode>;

/** An error a client gets back: a stable code and a message for people. */
export class NodeError extends CodedError {
  override name = "NodeError";
}
