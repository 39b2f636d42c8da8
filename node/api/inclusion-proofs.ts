/**
 * Builds the inclusion proof of a confirmed transaction (docs/proofs.md) from what the node stores:
 * the transaction's bytes, the ids its milestone confirmed in white-flag order (the milestone
 * record), the milestone transaction, and the milestone transactions that carried the committee
 * changes in force at that index. The form and the checks are client/protocol/inclusion-proof.ts's;
 * this file only gathers.
 */
import { equalBytes, fromHex, toHex } from "../../client/protocol/bytes";
import { decodeTransaction } from "../../client/protocol/codec";
import { Code, isConflictReason } from "../../client/protocol/codes";
import { encodeInclusionProof, InclusionProof, merkleAuditPath } from "../../client/protocol/inclusion-proof";
import type { TangleNode } from "../tangle-node";
import { ApiError, ApiErrorCode as E } from "./errors";

export interface BuiltInclusionProof {
  milestoneIndex: number;
  milestoneId: string;
  proof: Uint8Array;
}

/**
 * Which milestone carried the change that put a committee in force from `fromIndex`, by index:
 * found once by walking back from `fromIndex - 1` (a change is carried at or after the effective
 * index of the change before it, so the walk stops there) and kept, since applied milestones never
 * change.
 */
export class CommitteeChangeIndex {
  private readonly carriedBy = new Map<number, number>();

  constructor(private readonly node: TangleNode) {}

  /** The milestone transactions carrying the changes in force at `index`, oldest first. */
  changesUpTo(index: number): Uint8Array[] {
    const epochs = this.node.committees.all;
    const out: Uint8Array[] = [];
    for (let e = 1; e < epochs.length && epochs[e].fromIndex <= index; e++) {
      const at = this.carrier(epochs[e].fromIndex, epochs[e - 1].fromIndex);
      out.push(this.milestoneBytes(at));
    }
    return out;
  }

  private carrier(fromIndex: number, floor: number): number {
    const known = this.carriedBy.get(fromIndex);
    if (known !== undefined) return known;
    for (let i = fromIndex - 1; i >= Math.max(1, floor); i--) {
      const d = decodeTransaction(this.milestoneBytes(i));
      if (d.ok && d.value.tx.payload.type === "milestone" && d.value.tx.payload.committeeChange?.effectiveIndex === fromIndex) {
        this.carriedBy.set(fromIndex, i);
        return i;
      }
    }
    throw new ApiError(E.INTERNAL, `no stored milestone carries the committee change effective at ${fromIndex}`);
  }

  private milestoneBytes(index: number): Uint8Array {
    const record = this.node.store.getMilestone(index);
    const bytes = record && this.node.getTransactionBytes(toHex(record.id));
    if (!bytes) throw new ApiError(E.INTERNAL, `milestone ${index} is not stored`);
    return bytes;
  }
}

/**
 * The proof of transaction `idHex`: ERR_NOT_FOUND when the node does not know it (or no longer
 * stores its bytes), ERR_NOT_CONFIRMED while no milestone confirmed it.
 */
export function buildInclusionProof(node: TangleNode, changes: CommitteeChangeIndex, idHex: string): BuiltInclusionProof {
  const meta = node.getMetadata(idHex);
  const bytes = meta && node.getTransactionBytes(idHex);
  if (!meta || !bytes) throw new ApiError(E.NOT_FOUND, `transaction ${idHex} not found`);
  if (meta.confirmedBy === null) throw new ApiError(Code.ERR_NOT_CONFIRMED, `transaction ${idHex} is not confirmed yet: no milestone includes it`);
  const index = meta.confirmedBy;
  const record = node.store.getMilestone(index);
  const milestoneBytes = record && node.getTransactionBytes(toHex(record.id));
  if (!record || !milestoneBytes) throw new ApiError(E.INTERNAL, `milestone ${index}, which confirmed ${idHex}, is not stored`);
  const id = fromHex(idHex);
  let path: InclusionProof["path"] = null;
  if (!equalBytes(record.id, id)) {
    const leaf = record.included.findIndex((x) => equalBytes(x, id));
    if (leaf < 0) throw new ApiError(E.INTERNAL, `transaction ${idHex} is marked confirmed by milestone ${index}, which does not list it`);
    path = merkleAuditPath(record.included, leaf);
  }
  const decoded = decodeTransaction(bytes);
  if (!decoded.ok) throw new ApiError(E.INTERNAL, `stored transaction ${idHex} does not decode: ${decoded.message}`);
  const conflict = meta.conflict;
  if (conflict !== null && !isConflictReason(conflict)) throw new ApiError(E.INTERNAL, `transaction ${idHex}: stored conflict reason is not one of the known reasons`);
  const transfer = decoded.value.tx.payload.type === "transfer";
  const proof: InclusionProof = {
    networkId: node.genesis.networkId,
    transactionId: id,
    transaction: bytes,
    ledgerEffect: !transfer ? "none" : conflict === null ? "applied" : "conflicting",
    conflict: transfer ? conflict : null,
    milestone: { index, id: record.id, transaction: milestoneBytes },
    path,
    committeeChanges: changes.changesUpTo(index),
  };
  return { milestoneIndex: index, milestoneId: toHex(record.id), proof: encodeInclusionProof(proof) };
}
