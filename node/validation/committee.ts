/**
 * The committee in force at each milestone index, and the k-of-n check of a milestone's signatures
 * (docs/protocol.md "Committee").
 *
 * The chain of committees starts with the genesis committee (in force from index 1); a milestone
 * that carries a committee change, once applied, puts the new committee in force from the change's
 * effective index (always later than the milestone's own). At most one change waits at a time: a
 * milestone carrying a change while another has yet to take effect is refused, so the committee of
 * every index up to the next milestone's is known when that milestone arrives.
 *
 * A milestone of index i is valid iff its signatures (sorted by key and unique: the codec's check)
 * are all by members of the committee in force at i, all verify over H(milestone essence), and
 * number at least that committee's threshold. Each failure has its own code; the first found
 * decides. Pure apart from the signature verifier passed in.
 */
import { toHex } from "../../client/protocol/bytes";
import type { CommitteeChange, MilestonePayload } from "../../client/protocol/payloads";
import type { Committee } from "../ledger/genesis";
import { NodeErrorCode as E } from "../errors";

/** A committee and the index from which it is in force. */
export interface CommitteeEpoch extends Committee {
  fromIndex: number;
}

export type CommitteeCheck = { ok: true } | { ok: false; code: E; message: string };

export type SyncVerifier = (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) => boolean;

export class CommitteeChain {
  private readonly epochs: CommitteeEpoch[];
  /** Every key any committee of the chain named (the issuers stage 6 accepts). */
  readonly everMembers = new Set<string>();

  constructor(genesis: Committee) {
    this.epochs = [{ fromIndex: 1, members: [...genesis.members], threshold: genesis.threshold }];
    for (const m of genesis.members) this.everMembers.add(m);
  }

  /** The committee in force at milestone `index` (≥ 1). */
  at(index: number): CommitteeEpoch {
    let found = this.epochs[0];
    for (const e of this.epochs) if (e.fromIndex <= index) found = e;
    return found;
  }

  /** Every committee of the chain, oldest first. */
  get all(): readonly CommitteeEpoch[] {
    return this.epochs;
  }

  /** The change that has yet to take effect after milestone `index` was applied, if any. */
  pendingAfter(index: number): CommitteeEpoch | undefined {
    const last = this.epochs[this.epochs.length - 1];
    return last.fromIndex > index + 1 ? last : undefined;
  }

  /** Whether milestone `index` may carry a committee change: none waits to take effect. */
  checkChange(index: number, change: CommitteeChange | undefined): CommitteeCheck {
    if (!change) return { ok: true };
    const waiting = this.pendingAfter(index - 1);
    if (waiting && waiting.fromIndex > index) {
      return { ok: false, code: E.MILESTONE_COMMITTEE_CHANGE, message: `milestone ${index} changes the committee while the change effective at ${waiting.fromIndex} has yet to take effect` };
    }
    return { ok: true };
  }

  /** Records the change milestone `index` carried, once that milestone is applied (checkChange passed). */
  applyChange(index: number, change: CommitteeChange | undefined): void {
    if (!change) return;
    if (change.effectiveIndex <= index) throw new Error(`committee change of milestone ${index} effective at ${change.effectiveIndex}`);
    const members = change.members.map(toHex);
    this.epochs.push({ fromIndex: change.effectiveIndex, members, threshold: change.threshold });
    for (const m of members) this.everMembers.add(m);
  }

  /**
   * The k-of-n check of `payload`'s signatures over `essenceHash` (H(milestone essence)) against the
   * committee in force at its index.
   */
  verify(payload: MilestonePayload, essenceHash: Uint8Array, verify: SyncVerifier): CommitteeCheck {
    const committee = this.at(payload.index);
    const members = new Set(committee.members);
    for (const s of payload.signatures) {
      const key = toHex(s.publicKey);
      if (!members.has(key)) {
        return this.epochs.some((e) => e.fromIndex < committee.fromIndex && e.members.includes(key))
          ? { ok: false, code: E.MILESTONE_RETIRED_SIGNER, message: `milestone ${payload.index} signed by ${key}, a member of an earlier committee, not of the one in force from ${committee.fromIndex}` }
          : { ok: false, code: E.MILESTONE_NOT_MEMBER, message: `milestone ${payload.index} signed by ${key}, not a member of the committee in force from ${committee.fromIndex}` };
      }
    }
    if (payload.signatures.length < committee.threshold) {
      return {
        ok: false,
        code: E.MILESTONE_QUORUM,
        message: `milestone ${payload.index} has ${payload.signatures.length} signature${payload.signatures.length === 1 ? "" : "s"}; the committee in force needs ${committee.threshold} of ${committee.members.length}`,
      };
    }
    for (const s of payload.signatures) {
      if (!verify(essenceHash, s.signature, s.publicKey)) {
        return { ok: false, code: E.MILESTONE_BAD_SIGNATURE, message: `milestone ${payload.index}: the signature of member ${toHex(s.publicKey)} does not verify over the milestone essence` };
      }
    }
    return { ok: true };
  }
}
