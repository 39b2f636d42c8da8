/**
 * Committee messages between peers (docs/committee.md, docs/protocol.md "Peer protocol"): members
 * need not be peers of one another, so every node passes on the proposals and signatures it finds
 * valid, once, to its other peers. What is valid: for the index after the node's latest milestone
 * (a node behind does not judge, and does not pass on), a signature of a member of the committee in
 * force there over the essence hash it names; a proposal signed by its round's proposer (the
 * proposal signature, ../committee/proposal.ts), or an announcement with at least one member
 * signature over its own essence. A node that holds a member's key hands the message to its
 * committee driver, whose rules decide; another node checks the same itself. An invalid message is
 * invalid data from that peer; one seen before is dropped silently (a signature by its essence hash
 * and signer, a proposal by its round, parents, fields, signers and whether the proposer signed it:
 * one with more signatures travels again).
 */
import { fromHex, toHex } from "../../client/protocol/bytes";
import { signingHash } from "../../client/protocol/codec";
import { milestoneEssence, MilestoneFields } from "../../client/protocol/payloads/milestone";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";
import { blake2b256 } from "../../core-wasm/src/blake2b";
import type { CommitteeMessage } from "../committee/member";
import { proposalSigningHash } from "../committee/proposal";
import { proposerOf } from "../committee/rounds";
import type { CommitteeKeys } from "../committee/collector";
import { fromWire, toWire, WireCommitteeMessage } from "./committee-wire";

/** Evidence of members signing two essences at one index, the newest kept. */
export const MAX_EQUIVOCATIONS_KEPT = 16;

/** A member's signatures over two different essences at one index: it broke the rule it signs by. */
export interface Equivocation {
  index: number;
  /** The member's public key (hex). */
  member: string;
  /** The two essence hashes (hex): the first seen, then the other. */
  essences: [string, string];
  atMs: number;
}

/** Messages remembered as passed on (a committee sends a few per member and milestone). */
const RECENT_MESSAGES = 4096;

/** What makes two committee messages the same for passing on. */
export function messageKey(w: WireCommitteeMessage): string {
  if (w.t === "csig") return `s:${w.essenceHash}:${w.publicKey}`;
  return `p:${w.round}:${w.parents.join("")}:${toHex(blake2b256(w.fields))}:${w.signatures.map((s) => s.publicKey).join(",")}:${w.proposer ? "proposer" : ""}`;
}

export interface CommitteeRelayOptions {
  networkId: number;
  /** The index the committee works on now: the node's ledger index + 1. */
  workingIndex(): number;
  committee(index: number): CommitteeKeys;
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
  /** The clock of `reachable` (milliseconds). */
  now(): number;
  /** The committee driver of a node that holds a member's key: decides validity (and acts). */
  member?: { receive(m: CommitteeMessage<MilestoneFields>): Promise<boolean>; peersConnected?(nowMs: number): void; readonly publicKey?: Uint8Array };
}

export type RelayVerdict = { valid: true; pass: boolean } | { valid: false; why: string };

export class CommitteeRelay {
  private readonly seen = new Set<string>();
  /** When each member key was last seen signing (a valid committee message or an applied milestone), by the caller's clock. */
  private readonly heard = new Map<string, number>();
  /** The essence each member was seen signing at the working index ("index:key" → essence hash hex). */
  private readonly signedAt = new Map<string, string>();
  private readonly caught: Equivocation[] = [];
  /** Called once per member and index caught signing a second essence. */
  onEquivocation?: (e: Equivocation) => void;

  constructor(private readonly o: CommitteeRelayOptions) {}

  /** The member driver, once the node has one. */
  set member(m: CommitteeRelayOptions["member"]) {
    this.o.member = m;
  }

  /** The node got a peer after having none: the member driver may have missed announcements. */
  peersConnected(): void {
    this.o.member?.peersConnected?.(this.o.now());
  }

  /** A committee message as read from a peer. `pass`: send it on to the other peers. */
  async receive(wire: Record<string, unknown>): Promise<RelayVerdict> {
    const parsed = fromWire(wire);
    if (!parsed.ok) return { valid: false, why: parsed.why };
    const key = messageKey(wire as WireCommitteeMessage);
    if (this.seen.has(key)) return { valid: true, pass: false };
    const m = parsed.msg;
    const index = m.t === "csig" ? m.index : m.fields.index;
    // Not the index this node works on, nor the next (whose proposer may propose before this node
    // applied the milestone before it): not judged (it may be behind, or the sender), not passed on.
    const working = this.o.workingIndex();
    if (index !== working && index !== working + 1) return { valid: true, pass: false };
    // A member's signature over a second essence at this index is evidence: recorded and reported.
    // The message goes on as any other (the other signatures in a proposal may be honest ones).
    this.equivocates(m, index);
    const ok = this.o.member ? await this.o.member.receive(m) : this.check(m);
    if (!ok) return { valid: false, why: `${m.t} for index ${index} not signed by a member of its committee` };
    this.remember(key);
    this.signed(this.signers(m));
    return { valid: true, pass: true };
  }

  /** Members caught signing two essences at one index, the newest last (at most MAX_EQUIVOCATIONS_KEPT). */
  equivocations(): Equivocation[] {
    return this.caught.map((e) => ({ ...e, essences: [...e.essences] as [string, string] }));
  }

  /**
   * Whether `m` carries a valid signature of a member over another essence than the one the same
   * member signed at this index before (checked here, whatever the member driver would say).
   */
  private equivocates(m: CommitteeMessage<MilestoneFields>, index: number): boolean {
    const members = new Set(this.o.committee(index).members);
    const hash = m.t === "csig" ? m.essenceHash : signingHash(milestoneEssence(PROTOCOL_VERSION, this.o.networkId, m.parents, m.fields));
    const hashHex = toHex(hash);
    const sigs = m.t === "csig" ? [{ publicKey: m.publicKey, signature: m.signature }] : m.signatures;
    let caught = false;
    for (const s of sigs) {
      const member = toHex(s.publicKey);
      if (!members.has(member) || !this.o.verify(hash, s.signature, s.publicKey)) continue;
      const at = `${index}:${member}`;
      const before = this.signedAt.get(at);
      if (before === undefined) {
        this.signedAt.set(at, hashHex);
        if (this.signedAt.size > RECENT_MESSAGES) this.signedAt.delete(this.signedAt.keys().next().value as string);
      } else if (before !== hashHex) {
        caught = true;
        if (!this.caught.some((e) => e.index === index && e.member === member)) {
          const e: Equivocation = { index, member, essences: [before, hashHex], atMs: this.o.now() };
          this.caught.push(e);
          if (this.caught.length > MAX_EQUIVOCATIONS_KEPT) this.caught.shift();
          this.onEquivocation?.(e);
        }
      }
    }
    return caught;
  }

  /** Members seen signing now (a message this node checked, one it sends, an applied milestone's signers). */
  signed(publicKeys: readonly Uint8Array[], atMs = this.o.now()): void {
    for (const k of publicKeys) this.heard.set(toHex(k), atMs);
  }

  /**
   * How many of `members` were seen signing within the last `withinMs`, this node's own member
   * key counted while its driver runs (a proposal binds nobody, so a member alone, whose
   * proposals nobody signs, may send nothing for longer than the window).
   */
  reachable(members: readonly string[], withinMs: number, nowMs = this.o.now()): number {
    const own = this.o.member?.publicKey ? toHex(this.o.member.publicKey) : undefined;
    return members.filter((m) => m === own || (this.heard.get(m) ?? -Infinity) >= nowMs - withinMs).length;
  }

  /** The wire form of a message this node sends itself (its driver's), remembered so an echo is not passed on again. */
  outgoing(m: CommitteeMessage<MilestoneFields>): WireCommitteeMessage {
    const w = toWire(m);
    this.remember(messageKey(w));
    this.signed(this.signers(m));
    return w;
  }

  /** The keys a message (checked valid, or this node's own) shows alive: its signers, and a proposal's proposer. */
  private signers(m: CommitteeMessage<MilestoneFields>): Uint8Array[] {
    if (m.t === "csig") return [m.publicKey];
    const keys = m.signatures.map((s) => s.publicKey);
    if (m.proposerSignature) {
      const { members } = this.o.committee(m.fields.index);
      keys.push(fromHex(members[proposerOf(m.fields.index, m.round, members.length)], "public key"));
    }
    return keys;
  }

  /**
   * A node without a member key checks a message itself: a signature of a member over the essence
   * hash it names; a proposal whose proposal signature is the round's proposer's (a wrong one makes
   * it invalid), or, without one, that carries at least one member's signature over its essence.
   */
  private check(m: CommitteeMessage<MilestoneFields>): boolean {
    const index = m.t === "csig" ? m.index : m.fields.index;
    const committee = this.o.committee(index);
    const members = new Set(committee.members);
    if (m.t === "csig") return members.has(toHex(m.publicKey)) && this.o.verify(m.essenceHash, m.signature, m.publicKey);
    const hash = signingHash(milestoneEssence(PROTOCOL_VERSION, this.o.networkId, m.parents, m.fields));
    if (m.proposerSignature) {
      const proposer = committee.members[proposerOf(index, m.round, committee.members.length)];
      return this.o.verify(proposalSigningHash(m.round, hash), m.proposerSignature, fromHex(proposer, "public key"));
    }
    return m.signatures.some((s) => members.has(toHex(s.publicKey)) && this.o.verify(hash, s.signature, s.publicKey));
  }

  private remember(key: string): void {
    this.seen.add(key);
    if (this.seen.size > RECENT_MESSAGES) this.seen.delete(this.seen.values().next().value as string);
  }
}
