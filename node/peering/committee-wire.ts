/**
 * The committee's two peer messages on the wire (docs/protocol.md "Peer protocol", docs/committee.md):
 *
 *   cprop {t, round, parents: hex[], fields: bytes, signatures: [{publicKey: hex, signature: bytes}],
 *          proposer?: bytes}
 *         a proposal (or an announcement of what the sender signed): the milestone's signed fields
 *         (the payload 3 bytes from index up to, not including, the signature count), the
 *         parents it is to be attached to (2..8, sorted ascending, unique, as attached), the
 *         signatures over its essence the sender knows (0..16, ascending by key, each key once),
 *         and, from the round's proposer, its proposal signature (../committee/proposal.ts); one
 *         without a proposal signature must carry at least one signature;
 *   csig  {t, index, essenceHash: hex, publicKey: hex, signature: bytes}
 *         one member's Ed25519 signature over the essence hash of a proposal at `index`.
 *
 * Parsing checks the shape and decodes the payload with the protocol's own codec; whether the
 * signatures are a member's, valid, and for the index a node works on is the committee's check
 * (node/committee/member.ts), and a node passes on only what passed it.
 */
import { fromHex, toHex } from "../../client/protocol/bytes";
import { MAX_PARENTS, MIN_PARENTS, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from "../../client/protocol/limits";
import { MAX_COMMITTEE_MEMBERS } from "../../client/protocol/limits";
import { decodeMilestoneFields, encodeMilestoneFields, MilestoneFields } from "../../client/protocol/payloads/milestone";
import type { CommitteeMessage } from "../committee/member";

export interface WireSignature {
  publicKey: string;
  signature: Uint8Array;
}

export type WireCommitteeMessage =
  | { t: "cprop"; round: number; parents: string[]; fields: Uint8Array; signatures: WireSignature[]; proposer?: Uint8Array }
  | { t: "csig"; index: number; essenceHash: string; publicKey: string; signature: Uint8Array };

const HEX32 = /^[0-9a-f]{64}$/;
/**
 * Rounds are counted from the previous milestone's timestamp, or from the Unix epoch before
 * milestone 1, and last at least a second: a u32 holds them until 2106.
 */
const MAX_ROUND = 0xffff_ffff;

/** The wire form of a committee message. */
export function toWire(m: CommitteeMessage<MilestoneFields>): WireCommitteeMessage {
  if (m.t === "csig") return { t: "csig", index: m.index, essenceHash: toHex(m.essenceHash), publicKey: toHex(m.publicKey), signature: m.signature };
  const signatures = m.signatures.map((s) => ({ publicKey: toHex(s.publicKey), signature: s.signature }));
  return { t: "cprop", round: m.round, parents: m.parents.map(toHex), fields: encodeMilestoneFields(m.fields), signatures, ...(m.proposerSignature ? { proposer: m.proposerSignature } : {}) };
}

/** A committee message read from a peer, or why it is invalid data. */
export function fromWire(m: Record<string, unknown>): { ok: true; msg: CommitteeMessage<MilestoneFields> } | { ok: false; why: string } {
  if (m.t === "csig") {
    const { index, essenceHash, publicKey, signature } = m;
    if (typeof index !== "number" || !Number.isSafeInteger(index) || index < 1) return { ok: false, why: "bad csig index" };
    if (typeof essenceHash !== "string" || !HEX32.test(essenceHash)) return { ok: false, why: "bad csig essenceHash" };
    if (typeof publicKey !== "string" || publicKey.length !== 2 * PUBLIC_KEY_BYTES || !HEX32.test(publicKey)) return { ok: false, why: "bad csig publicKey" };
    if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return { ok: false, why: "bad csig signature" };
    return { ok: true, msg: { t: "csig", index, essenceHash: fromHex(essenceHash), publicKey: fromHex(publicKey), signature } };
  }
  if (m.t !== "cprop") return { ok: false, why: "not a committee message" };
  const { round, parents, fields: fieldBytes, signatures: wireSignatures, proposer } = m;
  if (typeof round !== "number" || !Number.isSafeInteger(round) || round < 0 || round > MAX_ROUND) return { ok: false, why: "bad cprop round" };
  if (!Array.isArray(parents) || parents.length < MIN_PARENTS || parents.length > MAX_PARENTS || !parents.every((p) => typeof p === "string" && HEX32.test(p))) {
    return { ok: false, why: "bad cprop parents" };
  }
  for (let i = 1; i < parents.length; i++) if ((parents[i - 1] as string) >= (parents[i] as string)) return { ok: false, why: "cprop parents not sorted and unique" };
  if (!(fieldBytes instanceof Uint8Array)) return { ok: false, why: "cprop without field bytes" };
  let fields: MilestoneFields;
  try {
    fields = decodeMilestoneFields(fieldBytes);
  } catch (err) {
    return { ok: false, why: `cprop fields: ${(err as Error).message}` };
  }
  if (!Array.isArray(wireSignatures) || wireSignatures.length > MAX_COMMITTEE_MEMBERS) return { ok: false, why: "bad cprop signatures" };
  const signatures: { publicKey: Uint8Array; signature: Uint8Array }[] = [];
  for (const s of wireSignatures as unknown[]) {
    const { publicKey, signature } = (s ?? {}) as Record<string, unknown>;
    if (typeof publicKey !== "string" || !HEX32.test(publicKey) || !(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return { ok: false, why: "bad cprop signature" };
    if (signatures.length > 0 && toHex(signatures[signatures.length - 1].publicKey) >= publicKey) return { ok: false, why: "cprop signatures not sorted by key and unique" };
    signatures.push({ publicKey: fromHex(publicKey), signature });
  }
  if (proposer !== undefined && !(proposer instanceof Uint8Array && proposer.length === SIGNATURE_BYTES)) return { ok: false, why: "bad cprop proposer signature" };
  if (proposer === undefined && signatures.length === 0) return { ok: false, why: "cprop with neither a proposer signature nor a signature" };
  return { ok: true, msg: { t: "cprop", round, parents: (parents as string[]).map((x) => fromHex(x)), fields, signatures, ...(proposer ? { proposerSignature: proposer } : {}) } };
}
