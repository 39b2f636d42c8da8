/**
 * Payload 3, milestone v2: the committee's checkpoint of consensus (docs/protocol.md "Payload 3",
 * docs/ledger.md for what the roots and the hash commit to).
 *
 *   index u32 (≥ 1) · timestamp u64 (ms, ≤ 2^53 − 1) · previousMilestoneId 32 (zero iff index 1)
 *   · confirmedMerkleRoot 32 · ledgerStateHash 32 · ledgerRoot 32
 *   · changeFlag u8 (0 | 1) · [effectiveIndex u32 (> index) · threshold u8 · memberCount u8 · members 32 × n]
 *   · signatureCount u8 (1..16) · (publicKey 32 · signature 64) × count, strictly ascending by public key
 *
 * Every signature is Ed25519 over H(milestone essence) (milestoneEssence below): everything before
 * the signature count, prefixed by a domain tag, the version, the network id and the transaction's
 * parents, so a signed milestone cannot be reattached elsewhere in the tangle or replayed on another
 * network. The codec checks the layout, the committee change's own rules and the order of the
 * signatures (sorted, no signer twice); whether the signers are the committee in force and sign
 * correctly is the node's check (node/committee.ts), whether the roots are right white flag's.
 */
import type { ByteWriter } from "../../util/byte-writer";
import { ByteWriter as Writer } from "../../util/byte-writer";
import { compareBytes } from "../bytes";
import * as L from "../limits";
import { ProtocolErrorCode as E } from "../errors";
import { bad, checkBytes, checkUint, fail, isZero, MAX_U32, Reader } from "./_fields";
import type { PayloadModule } from "./_module";

/** A committee change: from `effectiveIndex` on, `members` (in proposer order) with `threshold`. */
export interface CommitteeChange {
  effectiveIndex: number;
  /** Valid signatures of distinct members a milestone then needs: n/2 < threshold ≤ n. */
  threshold: number;
  /** Distinct 32-byte Ed25519 public keys, 1..MAX_COMMITTEE_MEMBERS, in proposer order. */
  members: Uint8Array[];
}

/** One member's signature of the milestone essence. */
export interface MilestoneSignature {
  publicKey: Uint8Array;
  signature: Uint8Array;
}

export interface MilestonePayload {
  type: "milestone";
  index: number;
  timestamp: number;
  /** Id of the milestone transaction of index − 1; all zero for index 1. */
  previousMilestoneId: Uint8Array;
  /** RFC 6962 merkle root of the ids this milestone confirms, in white-flag order. */
  confirmedMerkleRoot: Uint8Array;
  ledgerStateHash: Uint8Array;
  /** Root of the ledger tree after applying this milestone (docs/ledger.md, Ledger root). */
  ledgerRoot: Uint8Array;
  committeeChange?: CommitteeChange;
  /** Sorted by public key, each key once. */
  signatures: MilestoneSignature[];
}

/** The fields members sign: everything but the signatures. */
export type MilestoneFields = Omit<MilestonePayload, "signatures">;

export function isMilestone(p: { type: string }): p is MilestonePayload {
  return p.type === "milestone";
}

/** Domain tag that starts the milestone essence. */
export const MILESTONE_ESSENCE_TAG = new TextEncoder().encode("tangle-milestone");

const SIGNATURE_ENTRY_BYTES = L.PUBLIC_KEY_BYTES + L.SIGNATURE_BYTES;

const compareKeys = compareBytes;

/** Threshold rule shared with the genesis committee: more than half of the members, at most all. */
export function thresholdAllowed(threshold: number, members: number): boolean {
  return Number.isInteger(threshold) && threshold > members / 2 && threshold <= members;
}

function writeFields(w: ByteWriter, p: MilestoneFields): void {
  checkUint("milestone index", p.index, MAX_U32, 1);
  checkUint("milestone timestamp", p.timestamp, Number.MAX_SAFE_INTEGER);
  checkBytes("previousMilestoneId", p.previousMilestoneId, L.ID_BYTES);
  if ((p.index === 1) !== isZero(p.previousMilestoneId)) fail(E.MILESTONE_FIELD, "previousMilestoneId is all zero for index 1 and only then");
  checkBytes("confirmedMerkleRoot", p.confirmedMerkleRoot, L.ID_BYTES);
  checkBytes("ledgerStateHash", p.ledgerStateHash, L.ID_BYTES);
  checkBytes("ledgerRoot", p.ledgerRoot, L.ID_BYTES);
  w.u32le(p.index);
  w.u64le(BigInt(p.timestamp));
  w.bytes(p.previousMilestoneId);
  w.bytes(p.confirmedMerkleRoot);
  w.bytes(p.ledgerStateHash);
  w.bytes(p.ledgerRoot);
  const c = p.committeeChange;
  if (c === undefined) {
    w.u8(0);
    return;
  }
  checkUint("committeeChange.effectiveIndex", c.effectiveIndex, MAX_U32, p.index + 1);
  if (!Array.isArray(c.members) || c.members.length < 1 || c.members.length > L.MAX_COMMITTEE_MEMBERS) {
    fail(E.MILESTONE_FIELD, `committeeChange.members must number 1..${L.MAX_COMMITTEE_MEMBERS}`);
  }
  if (!thresholdAllowed(c.threshold, c.members.length)) fail(E.MILESTONE_FIELD, "committeeChange.threshold must be more than half of the members and at most all");
  c.members.forEach((m, i) => {
    checkBytes(`committeeChange.members[${i}]`, m, L.PUBLIC_KEY_BYTES);
    if (c.members.findIndex((o) => compareKeys(o, m) === 0) !== i) fail(E.MILESTONE_FIELD, `committeeChange.members[${i}] repeats an earlier member`);
  });
  w.u8(1);
  w.u32le(c.effectiveIndex);
  w.u8(c.threshold);
  w.u8(c.members.length);
  for (const m of c.members) w.bytes(m);
}

function encode(w: ByteWriter, p: MilestonePayload): void {
  writeFields(w, p);
  const sigs = p.signatures;
  if (!Array.isArray(sigs) || sigs.length < 1 || sigs.length > L.MAX_COMMITTEE_MEMBERS) fail(E.MILESTONE_FIELD, `signatures must number 1..${L.MAX_COMMITTEE_MEMBERS}`);
  sigs.forEach((s, i) => {
    checkBytes(`signatures[${i}].publicKey`, s.publicKey, L.PUBLIC_KEY_BYTES);
    checkBytes(`signatures[${i}].signature`, s.signature, L.SIGNATURE_BYTES);
    if (i > 0) {
      const order = compareKeys(sigs[i - 1].publicKey, s.publicKey);
      if (order === 0) fail(E.MILESTONE_SIGNER_DUPLICATE, `signatures[${i}] repeats the signer before it`);
      if (order > 0) fail(E.MILESTONE_SIGNATURES_UNSORTED, "signatures must be sorted by public key (sortSignatures)");
    }
  });
  w.u8(sigs.length);
  for (const s of sigs) {
    w.bytes(s.publicKey);
    w.bytes(s.signature);
  }
}

function decode(r: Reader, end: number): MilestonePayload {
  const fields = readFields(r);
  r.need(1, "signature count");
  const count = r.u8();
  if (count < 1 || count > L.MAX_COMMITTEE_MEMBERS) bad(E.MILESTONE_FIELD, `${count} signatures, outside 1..${L.MAX_COMMITTEE_MEMBERS}`);
  r.need(count * SIGNATURE_ENTRY_BYTES, "signatures");
  const signatures: MilestoneSignature[] = [];
  for (let i = 0; i < count; i++) {
    const publicKey = r.take(L.PUBLIC_KEY_BYTES);
    const signature = r.take(L.SIGNATURE_BYTES);
    if (i > 0) {
      const order = compareKeys(signatures[i - 1].publicKey, publicKey);
      if (order === 0) bad(E.MILESTONE_SIGNER_DUPLICATE, `signature ${i} repeats the signer before it`);
      if (order > 0) bad(E.MILESTONE_SIGNATURES_UNSORTED, `signature ${i}'s public key is below the one before it`);
    }
    signatures.push({ publicKey, signature });
  }
  if (r.at !== end) bad(E.PAYLOAD_LENGTH, "payload length disagrees with the milestone's fields");
  return { ...fields, signatures };
}

/**
 * The signed fields alone, as the payload lays them out from index up to (not including) the
 * signature count: the bytes a committee proposal carries (docs/protocol.md, `cprop`).
 */
export function encodeMilestoneFields(p: MilestoneFields): Uint8Array {
  const w = new Writer();
  writeFields(w, p);
  return w.finish();
}

/** The inverse of encodeMilestoneFields: every byte used, or ProtocolError. */
export function decodeMilestoneFields(bytes: Uint8Array): MilestoneFields {
  const r = new Reader(bytes);
  const fields = readFields(r);
  if (r.at !== bytes.length) bad(E.PAYLOAD_LENGTH, "bytes left after the milestone's fields");
  return fields;
}

function readFields(r: Reader): MilestoneFields {
  r.need(4 + 8 + 4 * L.ID_BYTES + 1, "milestone");
  const index = r.u32();
  if (index === 0) bad(E.MILESTONE_FIELD, "milestone index 0");
  const ts = r.u64();
  if (ts > BigInt(Number.MAX_SAFE_INTEGER)) bad(E.MILESTONE_FIELD, "milestone timestamp above 2^53 - 1");
  const previousMilestoneId = r.take(L.ID_BYTES);
  if ((index === 1) !== isZero(previousMilestoneId)) bad(E.MILESTONE_FIELD, "previousMilestoneId is all zero for index 1 and only then");
  const confirmedMerkleRoot = r.take(L.ID_BYTES);
  const ledgerStateHash = r.take(L.ID_BYTES);
  const ledgerRoot = r.take(L.ID_BYTES);
  const flag = r.u8();
  let committeeChange: CommitteeChange | undefined;
  if (flag === 1) {
    r.need(4 + 1 + 1, "committee change");
    const effectiveIndex = r.u32();
    if (effectiveIndex <= index) bad(E.MILESTONE_FIELD, `committee change effective at ${effectiveIndex}, not after milestone ${index}`);
    const threshold = r.u8();
    const n = r.u8();
    if (n < 1 || n > L.MAX_COMMITTEE_MEMBERS) bad(E.MILESTONE_FIELD, `committee change of ${n} members, outside 1..${L.MAX_COMMITTEE_MEMBERS}`);
    if (!thresholdAllowed(threshold, n)) bad(E.MILESTONE_FIELD, `committee change threshold ${threshold} of ${n} members: more than half and at most all`);
    r.need(n * L.PUBLIC_KEY_BYTES, "committee members");
    const members: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const m = r.take(L.PUBLIC_KEY_BYTES);
      if (members.some((o) => compareKeys(o, m) === 0)) bad(E.MILESTONE_FIELD, `committee change member ${i} repeats an earlier member`);
      members.push(m);
    }
    committeeChange = { effectiveIndex, threshold, members };
  } else if (flag !== 0) bad(E.MILESTONE_FIELD, `committee change flag ${flag}, not 0 or 1`);
  return {
    type: "milestone",
    index,
    timestamp: Number(ts),
    previousMilestoneId,
    confirmedMerkleRoot,
    ledgerStateHash,
    ledgerRoot,
    ...(committeeChange ? { committeeChange } : {}),
  };
}

/**
 * The milestone essence, the bytes whose BLAKE2b-256 every member signs:
 *
 *   "tangle-milestone" · version u8 · networkId u32 · parentCount u8 · parents 32 × n · the payload's
 *   bytes from index up to (not including) the signature count
 *
 * `parents` must be the transaction's parents in canonical order (sorted ascending, unique), exactly
 * as they are attached. Throws ProtocolError on out-of-range fields.
 */
export function milestoneEssence(version: number, networkId: number, parents: readonly Uint8Array[], p: MilestoneFields): Uint8Array {
  checkUint("version", version, 0xff);
  checkUint("networkId", networkId, MAX_U32);
  if (parents.length < L.MIN_PARENTS || parents.length > L.MAX_PARENTS) fail(E.PARENT_COUNT, `parents must number ${L.MIN_PARENTS}..${L.MAX_PARENTS}`);
  const w = new Writer();
  w.bytes(MILESTONE_ESSENCE_TAG);
  w.u8(version);
  w.u32le(networkId);
  w.u8(parents.length);
  parents.forEach((parent, i) => {
    checkBytes(`parents[${i}]`, parent, L.ID_BYTES);
    if (i > 0 && compareKeys(parents[i - 1], parent) >= 0) fail(E.PARENTS_UNSORTED, "parents must be strictly ascending (use sortParents)");
    w.bytes(parent);
  });
  writeFields(w, p);
  return w.finish();
}

/** Signatures in the order the payload requires (ascending public key). */
export function sortSignatures(signatures: readonly MilestoneSignature[]): MilestoneSignature[] {
  return [...signatures].sort((a, b) => compareKeys(a.publicKey, b.publicKey));
}

export const milestone: PayloadModule<MilestonePayload> = { name: "milestone", code: 3, encode, decode };
