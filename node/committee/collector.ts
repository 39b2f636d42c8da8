/**
 * Gathering a milestone's signatures (docs/committee.md): the proposer collects the members'
 * signatures over one milestone essence until at least k distinct members of the committee in
 * force signed it correctly; the list it then puts in the milestone is sorted by public key, one
 * per member. A signature from a non-member, a second one from a member, or one that does not
 * verify is counted apart and never enters the list.
 *
 * Pure: the signature check is passed in (node/crypto/ed25519.ts on the node).
 */
import { compareBytes, fromHex } from "../../client/protocol/bytes";

export interface CommitteeKeys {
  /** Members' Ed25519 public keys, hex, distinct. */
  members: readonly string[];
  /** Distinct valid signatures a milestone needs. */
  threshold: number;
}

export interface MemberSignature {
  publicKey: Uint8Array;
  signature: Uint8Array;
}

export type AddOutcome = "added" | "repeated" | "not-member" | "invalid";

export type Verify = (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) => boolean;

/** Byte order of two keys (the milestone's signature order). */
export const compareKeys = compareBytes;

export class SignatureCollector {
  private readonly members: ReadonlySet<string>;
  private readonly got = new Map<string, Uint8Array>();

  constructor(
    private readonly committee: CommitteeKeys,
    /** What the members sign: the hash of the milestone essence. */
    readonly message: Uint8Array,
    private readonly verify: Verify,
  ) {
    this.members = new Set(committee.members.map((m) => m.toLowerCase()));
  }

  /** Takes one member's signature; says what became of it. */
  add(publicKeyHex: string, signature: Uint8Array): AddOutcome {
    const key = publicKeyHex.toLowerCase();
    if (!this.members.has(key)) return "not-member";
    if (this.got.has(key)) return "repeated";
    if (signature.length !== 64 || !this.verify(this.message, signature, fromHex(key, "public key"))) return "invalid";
    this.got.set(key, signature);
    return "added";
  }

  /** Distinct members whose valid signature is here. */
  get count(): number {
    return this.got.size;
  }

  /** Whether the milestone has enough signatures to be valid. */
  get complete(): boolean {
    return this.got.size >= this.committee.threshold;
  }

  /** Which members signed (hex). */
  signers(): string[] {
    return [...this.got.keys()];
  }

  /** The signatures, sorted by public key (the milestone's order). */
  signatures(): MemberSignature[] {
    return [...this.got]
      .map(([k, signature]) => ({ publicKey: fromHex(k, "public key"), signature }))
      .sort((a, b) => compareKeys(a.publicKey, b.publicKey));
  }
}

/**
 * Two valid milestones at one index mean the committee signed twice (a quorum of members broke the
 * rule, or keys were stolen): every node halts and names both (docs/committee.md). This remembers
 * the valid milestone seen at each recent index and reports the second.
 */
export class EquivocationWatch {
  private readonly seen = new Map<number, string>();

  constructor(private readonly keepIndexes = 1024) {}

  /** A valid milestone `idHex` at `index`: the conflict, if another was seen there. */
  observe(index: number, idHex: string): { index: number; ids: [string, string] } | undefined {
    const first = this.seen.get(index);
    if (first !== undefined) return first === idHex ? undefined : { index, ids: [first, idHex] };
    this.seen.set(index, idHex);
    if (this.seen.size > this.keepIndexes) {
      // Map order is insertion order: indexes arrive (mostly) ascending, so the first is the oldest.
      const oldest = this.seen.keys().next().value as number;
      this.seen.delete(oldest);
    }
    return undefined;
  }
}

