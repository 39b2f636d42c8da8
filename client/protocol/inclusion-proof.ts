/**
 * Proofs of inclusion (docs/proofs.md): that a transaction was confirmed by a milestone, checkable
 * offline by anyone who holds the network's genesis and nothing else, long after every node pruned
 * the transaction. A proof carries the transaction's bytes, the RFC 6962 audit path from its id to
 * the milestone's confirmed merkle root, the whole milestone transaction (so H(milestone essence),
 * parents included, can be recomputed and its k-of-n signatures checked), and the milestone
 * transactions that carried the committee changes in force by then (each checked in turn by the
 * committee before it, starting from the genesis committee).
 *
 * Two forms, one content: JSON (hex strings, for files and people) and a compact byte form (for the
 * API and storage). Both readers are strict (one canonical form, exactly the documented fields) and
 * never throw. No node imports: the node builds proofs with `merkleAuditPath` below and the same
 * encoders, browsers and the gateway SDK verify with `verifyInclusionProof`.
 */
import { blake2b256 } from "../../core-wasm/src/blake2b";
import { decodeTransaction, signingHash, transactionId, type Transaction } from "./codec";
import { Code } from "./codes";
import { ConflictReason } from "./codes";
import { ed25519 } from "./ed25519";
import { concatBytes, equalBytes, fromHex, toHex } from "./bytes";
import { MAX_TRANSACTION_BYTES } from "./limits";
import { milestoneEssence, type MilestonePayload } from "./payloads/milestone";

/** The first bytes of the byte form: "TGIP" (tangle inclusion proof). */
export const INCLUSION_PROOF_MAGIC = Uint8Array.of(0x54, 0x47, 0x49, 0x50);
/** The version of both forms. */
export const INCLUSION_PROOF_VERSION = 1;
/** The JSON form's `type`. */
export const INCLUSION_PROOF_TYPE = "tangle-inclusion-proof";
/** A merkle tree over at most 2^32 - 1 ids has a path of at most 32 siblings. */
export const MAX_AUDIT_PATH = 32;
/** Committee changes one proof may carry (each a milestone transaction of a few KiB at most). */
export const MAX_PROOF_COMMITTEE_CHANGES = 1024;

/**
 * What the confirming milestone did with the transaction, as the node that made the proof recorded
 * it. Not covered by any signature: the merkle root commits to the id, not to the outcome
 * (docs/proofs.md, "What a proof does not prove").
 */
export type LedgerEffect = "applied" | "conflicting" | "none";

/** The byte form's conflict reason codes (0 = none). */
const CONFLICT_CODES: readonly ConflictReason[] = ["INPUT_SPENT", "INPUT_UNKNOWN", "INPUT_NOT_OWNED", "AMOUNT_MISMATCH"];
const EFFECTS: readonly LedgerEffect[] = ["none", "applied", "conflicting"];

/** Where the transaction's id sits in the milestone's merkle tree (RFC 9162 §2.1.3 inclusion proof). */
export interface AuditPath {
  /** Position of the id among the ids the milestone confirmed, in white-flag order. */
  leafIndex: number;
  /** How many ids the milestone confirmed. */
  treeSize: number;
  /** Sibling hashes from the leaf's level up (RFC 6962 PATH order). */
  siblings: Uint8Array[];
}

export interface InclusionProof {
  networkId: number;
  transactionId: Uint8Array;
  transaction: Uint8Array;
  ledgerEffect: LedgerEffect;
  /** The white-flag conflict reason, when ledgerEffect is "conflicting"; null otherwise. */
  conflict: ConflictReason | null;
  milestone: { index: number; id: Uint8Array; transaction: Uint8Array };
  /** null iff the transaction is the milestone itself (an applied milestone is in no merkle root). */
  path: AuditPath | null;
  /** Milestone transactions carrying the committee changes in force up to the milestone, oldest first. */
  committeeChanges: Uint8Array[];
}

/** The JSON form: bytes and hashes as lowercase hex, exactly these fields. */
export interface InclusionProofJson {
  type: typeof INCLUSION_PROOF_TYPE;
  version: typeof INCLUSION_PROOF_VERSION;
  networkId: number;
  transactionId: string;
  transaction: string;
  ledgerEffect: LedgerEffect;
  conflict: ConflictReason | null;
  milestone: { index: number; id: string; transaction: string };
  path: { leafIndex: number; treeSize: number; siblings: string[] } | null;
  committeeChanges: string[];
}

type Malformed = { ok: false; code: typeof Code.ERR_PROOF_MALFORMED; message: string };
export type InclusionProofDecoded = { ok: true; value: InclusionProof } | Malformed;

function malformed(message: string): Malformed {
  return { ok: false, code: Code.ERR_PROOF_MALFORMED, message };
}

const isU32 = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
const isTxBytes = (b: unknown): b is Uint8Array => b instanceof Uint8Array && b.length >= 1 && b.length <= MAX_TRANSACTION_BYTES;
const isHash = (b: unknown): b is Uint8Array => b instanceof Uint8Array && b.length === 32;

/** The rules both forms share; null when fine, else what is wrong. */
function shapeProblem(p: InclusionProof): string | null {
  if (!isU32(p.networkId)) return "networkId must be an integer in [0, 2^32 - 1]";
  if (!isHash(p.transactionId)) return "transactionId must be 32 bytes";
  if (!isTxBytes(p.transaction)) return `transaction must be 1..${MAX_TRANSACTION_BYTES} bytes`;
  if (!EFFECTS.includes(p.ledgerEffect)) return `ledgerEffect must be one of ${EFFECTS.join(", ")}`;
  if ((p.ledgerEffect === "conflicting") !== (p.conflict !== null)) return "conflict is a reason exactly when ledgerEffect is conflicting";
  if (p.conflict !== null && !CONFLICT_CODES.includes(p.conflict)) return `conflict must be one of ${CONFLICT_CODES.join(", ")} or null`;
  const m = p.milestone;
  if (typeof m !== "object" || m === null || !isU32(m.index) || m.index < 1) return "milestone.index must be an integer in [1, 2^32 - 1]";
  if (!isHash(m.id)) return "milestone.id must be 32 bytes";
  if (!isTxBytes(m.transaction)) return `milestone.transaction must be 1..${MAX_TRANSACTION_BYTES} bytes`;
  const self = equalBytes(p.transactionId, m.id);
  if (self) {
    if (p.path !== null) return "the proof of a milestone transaction itself has no path (null)";
    if (!equalBytes(p.transaction, m.transaction)) return "the proof of a milestone transaction itself carries the same bytes twice";
  } else {
    const a = p.path;
    if (a === null || typeof a !== "object") return "path is required unless the transaction is the milestone itself";
    if (!isU32(a.treeSize) || a.treeSize < 1) return "path.treeSize must be an integer in [1, 2^32 - 1]";
    if (!isU32(a.leafIndex) || a.leafIndex >= a.treeSize) return "path.leafIndex must be an integer below path.treeSize";
    if (!Array.isArray(a.siblings) || a.siblings.length > MAX_AUDIT_PATH) return `path.siblings must be an array of at most ${MAX_AUDIT_PATH} hashes`;
    if (a.siblings.length !== auditPathLength(a.leafIndex, a.treeSize)) return `path.siblings must number ${auditPathLength(a.leafIndex, a.treeSize)} for leaf ${a.leafIndex} of ${a.treeSize}`;
    for (let i = 0; i < a.siblings.length; i++) if (!isHash(a.siblings[i])) return `path.siblings[${i}] must be 32 bytes`;
  }
  if (!Array.isArray(p.committeeChanges) || p.committeeChanges.length > MAX_PROOF_COMMITTEE_CHANGES) return `committeeChanges must be an array of at most ${MAX_PROOF_COMMITTEE_CHANGES} transactions`;
  for (let i = 0; i < p.committeeChanges.length; i++) if (!isTxBytes(p.committeeChanges[i])) return `committeeChanges[${i}] must be 1..${MAX_TRANSACTION_BYTES} bytes`;
  return null;
}

// ---- the merkle tree (docs/ledger.md 3.3: RFC 6962 with BLAKE2b-256) ------------------------------

function leafHash(id: Uint8Array): Uint8Array {
  const b = new Uint8Array(1 + id.length);
  b[0] = 0x00;
  b.set(id, 1);
  return blake2b256(b);
}

function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const b = new Uint8Array(65);
  b[0] = 0x01;
  b.set(left, 1);
  b.set(right, 33);
  return blake2b256(b);
}

/** How many siblings the path of leaf `m` in a tree of `n` leaves has (RFC 6962 PATH). */
export function auditPathLength(m: number, n: number): number {
  let len = 0;
  // Level by level: a node with a right or left neighbour has a sibling; the odd last one is carried up.
  for (let idx = m, size = n; size > 1; idx = Math.floor(idx / 2), size = Math.ceil(size / 2)) if ((idx ^ 1) < size) len++;
  return len;
}

/**
 * The RFC 6962 audit path of `ids[leafIndex]` in the tree over `ids` (white-flag order), computed
 * level by level (pairs hashed, an odd last node carried up unchanged: the same tree as RFC 6962's
 * recursive split). O(n) hashes.
 */
export function merkleAuditPath(ids: readonly Uint8Array[], leafIndex: number): AuditPath {
  if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex >= ids.length) throw new RangeError(`leafIndex must be in [0, ${ids.length - 1}], got ${leafIndex}`);
  let level = ids.map(leafHash);
  const siblings: Uint8Array[] = [];
  let idx = leafIndex;
  while (level.length > 1) {
    if ((idx ^ 1) < level.length) siblings.push(level[idx ^ 1]);
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i], level[i + 1]));
    if (level.length % 2 === 1) next.push(level[level.length - 1]);
    level = next;
    idx = Math.floor(idx / 2);
  }
  return { leafIndex, treeSize: ids.length, siblings };
}

/** The root the path leads to from `id` (RFC 9162 §2.1.3.2), or null when the path does not fit the tree's shape. */
export function rootFromAuditPath(id: Uint8Array, path: AuditPath): Uint8Array | null {
  if (path.leafIndex >= path.treeSize) return null;
  let fn = path.leafIndex;
  let sn = path.treeSize - 1;
  let r = leafHash(id);
  for (const p of path.siblings) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

// ---- byte form ------------------------------------------------------------------------------------

/**
 * Byte form (all integers little-endian):
 *
 *   "TGIP" · u8 version (1) · u32 networkId · transactionId 32 · u8 ledgerEffect (0 none, 1 applied,
 *   2 conflicting) · u8 conflict (0 none, 1 INPUT_SPENT, 2 INPUT_UNKNOWN, 3 INPUT_NOT_OWNED,
 *   4 AMOUNT_MISMATCH) · u32 length · transaction · u32 milestone index · milestone id 32 · u32 length ·
 *   milestone transaction · u8 hasPath (0 | 1) · [u32 leafIndex · u32 treeSize · u8 count · 32 × count]
 *   · u16 change count · (u32 length · milestone transaction) × count
 */
export function encodeInclusionProof(p: InclusionProof): Uint8Array {
  const problem = shapeProblem(p);
  if (problem) throw new TypeError(`not an inclusion proof: ${problem}`);
  const parts: Uint8Array[] = [];
  const u8 = (n: number) => parts.push(Uint8Array.of(n));
  const u16 = (n: number) => parts.push(Uint8Array.of(n & 0xff, n >>> 8));
  const u32 = (n: number) => parts.push(Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24));
  const bytes = (b: Uint8Array) => parts.push(b);
  bytes(INCLUSION_PROOF_MAGIC);
  u8(INCLUSION_PROOF_VERSION);
  u32(p.networkId);
  bytes(p.transactionId);
  u8(EFFECTS.indexOf(p.ledgerEffect));
  u8(p.conflict === null ? 0 : CONFLICT_CODES.indexOf(p.conflict) + 1);
  u32(p.transaction.length);
  bytes(p.transaction);
  u32(p.milestone.index);
  bytes(p.milestone.id);
  u32(p.milestone.transaction.length);
  bytes(p.milestone.transaction);
  if (p.path === null) u8(0);
  else {
    u8(1);
    u32(p.path.leafIndex);
    u32(p.path.treeSize);
    u8(p.path.siblings.length);
    for (const s of p.path.siblings) bytes(s);
  }
  u16(p.committeeChanges.length);
  for (const c of p.committeeChanges) {
    u32(c.length);
    bytes(c);
  }
  return concatBytes(...parts);
}

/** Strict reader of the byte form; never throws. */
export function decodeInclusionProof(bytes: unknown): InclusionProofDecoded {
  if (!(bytes instanceof Uint8Array)) return malformed("an inclusion proof must be a byte array");
  let at = 0;
  const have = (n: number) => at + n <= bytes.length;
  const u8 = () => bytes[at++];
  const u16 = () => {
    const v = bytes[at] | (bytes[at + 1] << 8);
    at += 2;
    return v;
  };
  const u32 = () => {
    const v = (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) + bytes[at + 3] * 0x1000000;
    at += 4;
    return v;
  };
  const take = (n: number) => {
    const v = bytes.slice(at, at + n);
    at += n;
    return v;
  };
  /** A u32-length-prefixed transaction, or a message. */
  const tx = (what: string): Uint8Array | string => {
    if (!have(4)) return `truncated before the length of ${what}`;
    const n = u32();
    if (n < 1 || n > MAX_TRANSACTION_BYTES) return `${what} is ${n} bytes, outside 1..${MAX_TRANSACTION_BYTES}`;
    if (!have(n)) return `truncated in ${what}`;
    return take(n);
  };
  if (!have(5 + 4 + 32 + 2)) return malformed("truncated in the header");
  if (!equalBytes(bytes.subarray(0, 4), INCLUSION_PROOF_MAGIC)) return malformed('not an inclusion proof (no "TGIP" magic)');
  at = 4;
  const version = u8();
  if (version !== INCLUSION_PROOF_VERSION) return malformed(`unknown inclusion proof version ${version}`);
  const networkId = u32();
  const transactionId = take(32);
  const effectCode = u8();
  if (effectCode >= EFFECTS.length) return malformed(`ledgerEffect byte ${effectCode} is not 0, 1 or 2`);
  const conflictCode = u8();
  if (conflictCode > CONFLICT_CODES.length) return malformed(`conflict byte ${conflictCode} is not 0..${CONFLICT_CODES.length}`);
  const transaction = tx("the transaction");
  if (typeof transaction === "string") return malformed(transaction);
  if (!have(4 + 32)) return malformed("truncated in the milestone");
  const index = u32();
  const id = take(32);
  const milestoneTx = tx("the milestone transaction");
  if (typeof milestoneTx === "string") return malformed(milestoneTx);
  if (!have(1)) return malformed("truncated before the path flag");
  const hasPath = u8();
  let path: AuditPath | null = null;
  if (hasPath === 1) {
    if (!have(9)) return malformed("truncated in the path");
    const leafIndex = u32();
    const treeSize = u32();
    const count = u8();
    if (count > MAX_AUDIT_PATH) return malformed(`a path has at most ${MAX_AUDIT_PATH} siblings, got ${count}`);
    if (!have(32 * count)) return malformed("truncated in the path's siblings");
    const siblings: Uint8Array[] = [];
    for (let i = 0; i < count; i++) siblings.push(take(32));
    path = { leafIndex, treeSize, siblings };
  } else if (hasPath !== 0) return malformed(`path flag ${hasPath} is not 0 or 1`);
  if (!have(2)) return malformed("truncated before the committee change count");
  const changeCount = u16();
  if (changeCount > MAX_PROOF_COMMITTEE_CHANGES) return malformed(`at most ${MAX_PROOF_COMMITTEE_CHANGES} committee changes, got ${changeCount}`);
  const committeeChanges: Uint8Array[] = [];
  for (let i = 0; i < changeCount; i++) {
    const c = tx(`committee change ${i}`);
    if (typeof c === "string") return malformed(c);
    committeeChanges.push(c);
  }
  if (at !== bytes.length) return malformed(`${bytes.length - at} bytes after the last committee change`);
  const value: InclusionProof = {
    networkId,
    transactionId,
    transaction,
    ledgerEffect: EFFECTS[effectCode],
    conflict: conflictCode === 0 ? null : CONFLICT_CODES[conflictCode - 1],
    milestone: { index, id, transaction: milestoneTx },
    path,
    committeeChanges,
  };
  const problem = shapeProblem(value);
  return problem ? malformed(problem) : { ok: true, value };
}

// ---- JSON form ------------------------------------------------------------------------------------

export function inclusionProofToJson(p: InclusionProof): InclusionProofJson {
  const problem = shapeProblem(p);
  if (problem) throw new TypeError(`not an inclusion proof: ${problem}`);
  return {
    type: INCLUSION_PROOF_TYPE,
    version: INCLUSION_PROOF_VERSION,
    networkId: p.networkId,
    transactionId: toHex(p.transactionId),
    transaction: toHex(p.transaction),
    ledgerEffect: p.ledgerEffect,
    conflict: p.conflict,
    milestone: { index: p.milestone.index, id: toHex(p.milestone.id), transaction: toHex(p.milestone.transaction) },
    path: p.path === null ? null : { leafIndex: p.path.leafIndex, treeSize: p.path.treeSize, siblings: p.path.siblings.map(toHex) },
    committeeChanges: p.committeeChanges.map(toHex),
  };
}

const HEX = /^(?:[0-9a-f]{2})+$/;
const HEX64 = /^[0-9a-f]{64}$/;

function exactFields(o: unknown, fields: string): o is Record<string, unknown> {
  return typeof o === "object" && o !== null && !Array.isArray(o) && Object.keys(o).sort().join(",") === fields;
}

/** Strict reader of the JSON form (lowercase hex, exactly the documented fields); never throws. */
export function inclusionProofFromJson(j: unknown): InclusionProofDecoded {
  const FIELDS = "committeeChanges,conflict,ledgerEffect,milestone,networkId,path,transaction,transactionId,type,version";
  if (!exactFields(j, FIELDS)) return malformed(`an inclusion proof is a JSON object with exactly the fields ${FIELDS.split(",").join(", ")}`);
  if (j.type !== INCLUSION_PROOF_TYPE) return malformed(`type must be "${INCLUSION_PROOF_TYPE}"`);
  if (j.version !== INCLUSION_PROOF_VERSION) return malformed(`unknown inclusion proof version ${JSON.stringify(j.version)}`);
  const hex = (v: unknown, what: string): Uint8Array | string => (typeof v === "string" && HEX.test(v) ? fromHex(v) : `${what} must be lowercase hex of whole bytes`);
  const hash = (v: unknown, what: string): Uint8Array | string => (typeof v === "string" && HEX64.test(v) ? fromHex(v) : `${what} must be 64 lowercase hex characters`);
  if (!isU32(j.networkId)) return malformed("networkId must be an integer in [0, 2^32 - 1]");
  const transactionId = hash(j.transactionId, "transactionId");
  if (typeof transactionId === "string") return malformed(transactionId);
  const transaction = hex(j.transaction, "transaction");
  if (typeof transaction === "string") return malformed(transaction);
  if (typeof j.ledgerEffect !== "string" || !EFFECTS.includes(j.ledgerEffect as LedgerEffect)) return malformed(`ledgerEffect must be one of ${EFFECTS.join(", ")}`);
  if (j.conflict !== null && !CONFLICT_CODES.includes(j.conflict as ConflictReason)) return malformed(`conflict must be one of ${CONFLICT_CODES.join(", ")} or null`);
  const m = j.milestone;
  if (!exactFields(m, "id,index,transaction")) return malformed("milestone must be an object with exactly index, id, transaction");
  const id = hash(m.id, "milestone.id");
  if (typeof id === "string") return malformed(id);
  const milestoneTx = hex(m.transaction, "milestone.transaction");
  if (typeof milestoneTx === "string") return malformed(milestoneTx);
  let path: AuditPath | null = null;
  if (j.path !== null) {
    const a = j.path;
    if (!exactFields(a, "leafIndex,siblings,treeSize")) return malformed("path must be null or an object with exactly leafIndex, treeSize, siblings");
    if (!Array.isArray(a.siblings)) return malformed("path.siblings must be an array");
    if (a.siblings.length > MAX_AUDIT_PATH) return malformed(`a path has at most ${MAX_AUDIT_PATH} siblings, got ${a.siblings.length}`);
    const siblings: Uint8Array[] = [];
    for (let i = 0; i < a.siblings.length; i++) {
      const s = hash(a.siblings[i], `path.siblings[${i}]`);
      if (typeof s === "string") return malformed(s);
      siblings.push(s);
    }
    path = { leafIndex: a.leafIndex as number, treeSize: a.treeSize as number, siblings };
  }
  if (!Array.isArray(j.committeeChanges)) return malformed("committeeChanges must be an array");
  if (j.committeeChanges.length > MAX_PROOF_COMMITTEE_CHANGES) return malformed(`at most ${MAX_PROOF_COMMITTEE_CHANGES} committee changes, got ${j.committeeChanges.length}`);
  const committeeChanges: Uint8Array[] = [];
  for (let i = 0; i < j.committeeChanges.length; i++) {
    const c = hex(j.committeeChanges[i], `committeeChanges[${i}]`);
    if (typeof c === "string") return malformed(c);
    committeeChanges.push(c);
  }
  const value: InclusionProof = {
    networkId: j.networkId,
    transactionId,
    transaction,
    ledgerEffect: j.ledgerEffect as LedgerEffect,
    conflict: j.conflict as ConflictReason | null,
    milestone: { index: m.index as number, id, transaction: milestoneTx },
    path,
    committeeChanges,
  };
  const problem = shapeProblem(value);
  return problem ? malformed(problem) : { ok: true, value };
}

// ---- verification ---------------------------------------------------------------------------------

/**
 * What a verifier trusts: the network id and the genesis committee (a parsed genesis.json, or the
 * dev network's, fits this shape). Members are 64 hex characters, either case.
 */
export interface ProofTrustRoot {
  networkId: number;
  committee: { members: readonly string[]; threshold: number };
}

type FailCode =
  | typeof Code.ERR_PROOF_MALFORMED
  | typeof Code.ERR_PROOF_WRONG_NETWORK
  | typeof Code.ERR_PROOF_TX_ID
  | typeof Code.ERR_PROOF_MILESTONE
  | typeof Code.ERR_PROOF_COMMITTEE_CHAIN
  | typeof Code.ERR_PROOF_SIGNATURES
  | typeof Code.ERR_PROOF_PATH;

export type InclusionVerdict =
  | {
      ok: true;
      transactionId: string;
      /** The payload type of the transaction (transfer, data, milestone, checkpoint). */
      payloadType: string;
      milestoneIndex: number;
      milestoneId: string;
      /** The milestone's own timestamp (ms), as its committee signed it. */
      milestoneTimestamp: number;
      /** The members whose signatures of the milestone verified, lowercase hex. */
      signers: string[];
      /** The committee in force at the milestone: threshold and member count. */
      committee: { threshold: number; members: number };
      /** Committee changes checked on the way from the genesis. */
      committeeChanges: number;
      /** As the proof states it; not covered by the milestone's signatures (docs/proofs.md). */
      ledgerEffect: LedgerEffect;
      conflict: ConflictReason | null;
    }
  | { ok: false; code: FailCode; message: string };

type Fail = { ok: false; code: FailCode; message: string };
const fail = (code: FailCode, message: string): Fail => ({ ok: false, code, message });

interface Epoch {
  fromIndex: number;
  members: string[];
  threshold: number;
}

/** The committee of `chain` in force at `index`. */
function committeeAt(chain: readonly Epoch[], index: number): Epoch {
  let found = chain[0];
  for (const e of chain) if (e.fromIndex <= index) found = e;
  return found;
}

/** k-of-n of `payload`'s signatures over H(milestone essence) of `tx`: null when fine, else why not. */
function quorumProblem(tx: Transaction, payload: MilestonePayload, committee: Epoch): { why: string; signers: string[] } | { why: null; signers: string[] } {
  const members = new Set(committee.members);
  const signers: string[] = [];
  for (const s of payload.signatures) {
    const key = toHex(s.publicKey);
    if (!members.has(key)) return { why: `signed by ${key}, not a member of the committee in force from index ${committee.fromIndex}`, signers };
  }
  if (payload.signatures.length < committee.threshold) {
    return { why: `${payload.signatures.length} signature(s); the committee in force from index ${committee.fromIndex} needs ${committee.threshold} of ${committee.members.length}`, signers };
  }
  const { signatures: _, ...fields } = payload;
  let message: Uint8Array;
  try {
    message = signingHash(milestoneEssence(tx.version, tx.networkId, tx.parents, fields));
  } catch (err) {
    return { why: `its essence cannot be formed: ${(err as Error).message}`, signers };
  }
  for (const s of payload.signatures) {
    const key = toHex(s.publicKey);
    if (!ed25519.verify(message, s.signature, s.publicKey)) return { why: `the signature of member ${key} does not verify over the milestone essence`, signers };
    signers.push(key);
  }
  return { why: null, signers };
}

/** A milestone transaction of `networkId`, decoded; or a message. */
function decodeMilestone(bytes: Uint8Array, networkId: number): { tx: Transaction; payload: MilestonePayload } | string {
  const d = decodeTransaction(bytes);
  if (!d.ok) return `not a transaction (${d.code}: ${d.message})`;
  const tx = d.value.tx;
  if (tx.payload.type !== "milestone") return `a ${tx.payload.type} transaction, not a milestone`;
  if (tx.networkId !== networkId) return `of network ${tx.networkId}`;
  return { tx, payload: tx.payload };
}

/**
 * Checks an inclusion proof against the genesis of its network, offline: shape, network, the
 * transaction's bytes against its id, the milestone's bytes against its index and id, the chain of
 * committee changes from the genesis committee, the milestone's k-of-n signatures, and the audit
 * path to its confirmed merkle root; in that order, the first failure decides.
 */
export function verifyInclusionProof(proof: InclusionProof, trust: ProofTrustRoot): InclusionVerdict {
  const problem = shapeProblem(proof);
  if (problem) return fail(Code.ERR_PROOF_MALFORMED, problem);
  if (proof.networkId !== trust.networkId) return fail(Code.ERR_PROOF_WRONG_NETWORK, `the proof is of network ${proof.networkId}, the genesis of network ${trust.networkId}`);

  // 1. The transaction is the one the proof names.
  if (!equalBytes(transactionId(proof.transaction), proof.transactionId)) {
    return fail(Code.ERR_PROOF_TX_ID, `the transaction bytes hash to ${toHex(transactionId(proof.transaction))}, not to ${toHex(proof.transactionId)}`);
  }
  const decoded = decodeTransaction(proof.transaction);
  if (!decoded.ok) return fail(Code.ERR_PROOF_TX_ID, `the transaction bytes are not a transaction (${decoded.code}: ${decoded.message})`);
  const tx = decoded.value.tx;
  if (tx.networkId !== trust.networkId) return fail(Code.ERR_PROOF_WRONG_NETWORK, `the transaction is of network ${tx.networkId}, the genesis of network ${trust.networkId}`);
  const transfer = tx.payload.type === "transfer";
  if (transfer === (proof.ledgerEffect === "none")) return fail(Code.ERR_PROOF_MALFORMED, `ledgerEffect ${proof.ledgerEffect} for a ${tx.payload.type} transaction (a transfer is applied or conflicting, anything else none)`);

  // 4. The milestone is the one the proof names.
  const m = proof.milestone;
  if (!equalBytes(transactionId(m.transaction), m.id)) return fail(Code.ERR_PROOF_MILESTONE, `the milestone bytes hash to ${toHex(transactionId(m.transaction))}, not to ${toHex(m.id)}`);
  const ms = decodeMilestone(m.transaction, trust.networkId);
  if (typeof ms === "string") return fail(Code.ERR_PROOF_MILESTONE, `the milestone transaction is ${ms}`);
  if (ms.payload.index !== m.index) return fail(Code.ERR_PROOF_MILESTONE, `the milestone transaction is of index ${ms.payload.index}, the proof names ${m.index}`);

  // 3. The committee in force at the milestone, from the genesis through the changes carried.
  const chain: Epoch[] = [{ fromIndex: 1, members: trust.committee.members.map((k) => k.toLowerCase()), threshold: trust.committee.threshold }];
  let lastIndex = 0;
  for (let i = 0; i < proof.committeeChanges.length; i++) {
    const c = decodeMilestone(proof.committeeChanges[i], trust.networkId);
    const name = `committee change ${i}`;
    if (typeof c === "string") return fail(Code.ERR_PROOF_COMMITTEE_CHAIN, `${name} is ${c}`);
    const change = c.payload.committeeChange;
    const at = c.payload.index;
    if (!change) return fail(Code.ERR_PROOF_COMMITTEE_CHAIN, `${name} (milestone ${at}) carries no committee change`);
    if (at <= lastIndex) return fail(Code.ERR_PROOF_COMMITTEE_CHAIN, `${name} (milestone ${at}) is not after the change before it (milestone ${lastIndex}): changes go oldest first`);
    const waiting = chain[chain.length - 1];
    if (waiting.fromIndex > at) return fail(Code.ERR_PROOF_COMMITTEE_CHAIN, `${name} (milestone ${at}) changes the committee while the change effective at ${waiting.fromIndex} has yet to take effect`);
    if (change.effectiveIndex > m.index) return fail(Code.ERR_PROOF_COMMITTEE_CHAIN, `${name} (milestone ${at}) takes effect at ${change.effectiveIndex}, after milestone ${m.index}: not needed, not part of a proof`);
    const q = quorumProblem(c.tx, c.payload, committeeAt(chain, at));
    if (q.why !== null) return fail(Code.ERR_PROOF_COMMITTEE_CHAIN, `${name} (milestone ${at}): ${q.why}`);
    chain.push({ fromIndex: change.effectiveIndex, members: change.members.map(toHex), threshold: change.threshold });
    lastIndex = at;
  }
  const committee = committeeAt(chain, m.index);
  const q = quorumProblem(ms.tx, ms.payload, committee);
  if (q.why !== null) return fail(Code.ERR_PROOF_SIGNATURES, `milestone ${m.index}: ${q.why}`);

  // 2. The id is among those the milestone confirmed (or is the milestone itself).
  if (proof.path !== null) {
    const root = rootFromAuditPath(proof.transactionId, proof.path);
    if (root === null || !equalBytes(root, ms.payload.confirmedMerkleRoot)) {
      return fail(Code.ERR_PROOF_PATH, `the audit path (leaf ${proof.path.leafIndex} of ${proof.path.treeSize}) does not lead from ${toHex(proof.transactionId)} to milestone ${m.index}'s confirmed merkle root ${toHex(ms.payload.confirmedMerkleRoot)}`);
    }
  }
  return {
    ok: true,
    transactionId: toHex(proof.transactionId),
    payloadType: tx.payload.type,
    milestoneIndex: m.index,
    milestoneId: toHex(m.id),
    milestoneTimestamp: ms.payload.timestamp,
    signers: q.signers,
    committee: { threshold: committee.threshold, members: committee.members.length },
    committeeChanges: proof.committeeChanges.length,
    ledgerEffect: proof.ledgerEffect,
    conflict: proof.conflict,
  };
}

/** Reads either form (a JSON object or parsed text, or the bytes) and verifies it. */
export function verifyInclusionProofAny(input: Uint8Array | unknown, trust: ProofTrustRoot): InclusionVerdict {
  const d = input instanceof Uint8Array ? decodeInclusionProof(input) : inclusionProofFromJson(input);
  return d.ok ? verifyInclusionProof(d.value, trust) : d;
}
