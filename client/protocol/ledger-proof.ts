/**
 * The ledger root's hashing rules and its proofs, as a client checks them offline: entry encoding,
 * leaf and node hashes, the proof's byte and JSON forms, and verification against a root taken
 * from a committee-signed milestone. No node imports: the node's tree (node/ledger/ledger-tree.ts)
 * hashes with the functions defined here, so there is one definition of the root.
 *
 * The tree (docs/ledger.md, "Ledger root"): a binary sparse merkle tree over 256-bit leaf keys
 * `H(entry key)`, bits taken most significant first; a subtree with no entry hashes to EMPTY, a
 * subtree with exactly one entry hashes to that entry's leaf hash wherever it sits (the Jellyfish
 * tree's compression, so a path is about log2(n) long), and any other subtree to
 * `H(0x02 || left || right)`.
 */
import { blake2b256 } from "../../core-wasm/src/blake2b";
import { Code } from "./codes";
import { fromHex, toHex } from "./bytes";

export const LEDGER_HASH_BYTES = 32;
/** Key bits, hence the deepest a path can go. */
export const LEDGER_KEY_BITS = 256;
/** The byte form's format byte (the first byte of every proof). */
export const LEDGER_PROOF_FORMAT = 1;

/** Tags that keep the three kinds of hash apart (besides their lengths: 1 byte vs 65). */
export const LEDGER_EMPTY_TAG = 0x00;
export const LEDGER_LEAF_TAG = 0x01;
export const LEDGER_NODE_TAG = 0x02;

/**
 * Entry kinds: the first byte of an entry key. Only unspent outputs exist now; later issues add
 * their kinds here (stream heads, devices, sponsorships) without changing the tree.
 */
export const LedgerEntryKind = {
  UNSPENT_OUTPUT: 0x01,
} as const;

/** H(0x00): the hash of a subtree that holds no entry, and the root of an empty ledger. */
export const LEDGER_EMPTY_HASH: Uint8Array = blake2b256(Uint8Array.of(LEDGER_EMPTY_TAG));

/**
 * Entry key of an unspent output: 0x01 || creating transaction id (32) || u8 output index.
 * Written into `into` (34 bytes) when given, so that a node hashing a million of them at open
 * allocates nothing per entry.
 */
export function outputEntryKey(txId: Uint8Array, index: number, into?: Uint8Array): Uint8Array {
  if (!(txId instanceof Uint8Array) || txId.length !== 32) throw new TypeError("txId must be 32 bytes");
  if (!Number.isInteger(index) || index < 0 || index > 0xff) throw new TypeError(`index must be an integer in [0, 255], got ${index}`);
  const k = into ?? new Uint8Array(34);
  k[0] = LedgerEntryKind.UNSPENT_OUTPUT;
  k.set(txId, 1);
  k[33] = index;
  return k;
}

/** Entry value of an unspent output: address (32) || u64le amount (into `into`, 40 bytes, when given). */
export function outputEntryValue(address: Uint8Array, amount: bigint, into?: Uint8Array): Uint8Array {
  if (!(address instanceof Uint8Array) || address.length !== 32) throw new TypeError("address must be 32 bytes");
  if (typeof amount !== "bigint" || amount < 0n || amount > 0xffffffffffffffffn) throw new TypeError(`amount must be a u64 bigint, got ${String(amount)}`);
  const v = into ?? new Uint8Array(40);
  v.set(address, 0);
  // Two 32-bit halves: cheaper than a DataView per call.
  let lo = Number(amount & 0xffffffffn);
  let hi = Number(amount >> 32n);
  for (let i = 32; i < 36; i++, lo = Math.floor(lo / 256)) v[i] = lo & 0xff;
  for (let i = 36; i < 40; i++, hi = Math.floor(hi / 256)) v[i] = hi & 0xff;
  return v;
}

/** The leaf key: H(entry key). */
export function ledgerLeafKey(entryKey: Uint8Array): Uint8Array {
  return blake2b256(entryKey);
}

/** The value hash: H(entry value). */
export function ledgerValueHash(entryValue: Uint8Array): Uint8Array {
  return blake2b256(entryValue);
}

/** H(0x01 || leaf key || value hash). */
export function ledgerLeafHash(leafKey: Uint8Array, valueHash: Uint8Array): Uint8Array {
  const b = new Uint8Array(65);
  b[0] = LEDGER_LEAF_TAG;
  b.set(leafKey, 1);
  b.set(valueHash, 33);
  return blake2b256(b);
}

/** H(0x02 || left || right). */
export function ledgerNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const b = new Uint8Array(65);
  b[0] = LEDGER_NODE_TAG;
  b.set(left, 1);
  b.set(right, 33);
  return blake2b256(b);
}

/** Bit `i` of a key, most significant bit of byte 0 first. */
export function keyBit(key: Uint8Array, i: number): number {
  return (key[i >> 3] >> (7 - (i & 7))) & 1;
}

/**
 * A proof for one leaf key: the siblings along the key's path from the root down (null where the
 * sibling subtree is empty), then what the path ends at: the leaf that sits there (the key's own
 * leaf for a membership proof, another key's leaf for a non-membership proof) or nothing (an
 * empty subtree: non-membership).
 */
export interface LedgerProof {
  siblings: (Uint8Array | null)[];
  leaf: { key: Uint8Array; valueHash: Uint8Array } | null;
}

/** The proof in JSON: hashes as lowercase hex. */
export interface LedgerProofJson {
  format: 1;
  siblings: (string | null)[];
  leaf: { key: string; valueHash: string } | null;
}

export type LedgerProofDecoded = { ok: true; value: LedgerProof } | { ok: false; code: typeof Code.ERR_LEDGER_PROOF_MALFORMED; message: string };

function malformed(message: string): LedgerProofDecoded {
  return { ok: false, code: Code.ERR_LEDGER_PROOF_MALFORMED, message };
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isHash(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array && x.length === LEDGER_HASH_BYTES;
}

/** Checks the shape shared by both forms; null when fine, else what is wrong. */
function shapeProblem(p: LedgerProof): string | null {
  if (!Array.isArray(p.siblings)) return "siblings must be an array";
  if (p.siblings.length > LEDGER_KEY_BITS) return `a path has at most ${LEDGER_KEY_BITS} siblings, got ${p.siblings.length}`;
  for (let i = 0; i < p.siblings.length; i++) {
    const s = p.siblings[i];
    if (s === null) continue;
    if (!isHash(s)) return `siblings[${i}] must be 32 bytes or null`;
    // One form only: an empty sibling is written as null, never as the empty hash.
    if (equal(s, LEDGER_EMPTY_HASH)) return `siblings[${i}] is the empty hash; write it as null`;
  }
  if (p.leaf !== null) {
    if (typeof p.leaf !== "object" || !isHash(p.leaf.key) || !isHash(p.leaf.valueHash)) return "leaf must be null or { key, valueHash } of 32 bytes each";
  }
  return null;
}

/**
 * Byte form: u8 format (1) | u8 end (0 = empty subtree, 1 = leaf) | [leaf key (32) | value hash
 * (32)] | u16le depth d (0..256) | ceil(d/8) bytes of bitmap, bit i (most significant first) set
 * iff sibling i is not empty, unused bits 0 | the non-empty siblings, 32 bytes each, top first.
 */
export function encodeLedgerProof(p: LedgerProof): Uint8Array {
  const problem = shapeProblem(p);
  if (problem) throw new TypeError(`not a ledger proof: ${problem}`);
  const d = p.siblings.length;
  const present = p.siblings.filter((s) => s !== null) as Uint8Array[];
  const bitmapBytes = (d + 7) >> 3;
  const out = new Uint8Array(2 + (p.leaf ? 64 : 0) + 2 + bitmapBytes + 32 * present.length);
  let at = 0;
  out[at++] = LEDGER_PROOF_FORMAT;
  out[at++] = p.leaf ? 1 : 0;
  if (p.leaf) {
    out.set(p.leaf.key, at);
    out.set(p.leaf.valueHash, at + 32);
    at += 64;
  }
  out[at++] = d & 0xff;
  out[at++] = d >> 8;
  for (let i = 0; i < d; i++) if (p.siblings[i] !== null) out[at + (i >> 3)] |= 0x80 >> (i & 7);
  at += bitmapBytes;
  for (const s of present) {
    out.set(s, at);
    at += 32;
  }
  return out;
}

/** Strict decoder of the byte form; never throws. One proof has one byte form. */
export function decodeLedgerProof(bytes: unknown): LedgerProofDecoded {
  if (!(bytes instanceof Uint8Array)) return malformed("a ledger proof must be a byte array");
  let at = 0;
  const need = (n: number) => at + n <= bytes.length;
  if (!need(2)) return malformed("truncated: no format and end bytes");
  if (bytes[0] !== LEDGER_PROOF_FORMAT) return malformed(`unknown proof format ${bytes[0]}`);
  const end = bytes[1];
  at = 2;
  if (end > 1) return malformed(`end byte must be 0 (empty) or 1 (leaf), got ${end}`);
  let leaf: LedgerProof["leaf"] = null;
  if (end === 1) {
    if (!need(64)) return malformed("truncated in the leaf");
    leaf = { key: bytes.slice(at, at + 32), valueHash: bytes.slice(at + 32, at + 64) };
    at += 64;
  }
  if (!need(2)) return malformed("truncated: no depth");
  const d = bytes[at] | (bytes[at + 1] << 8);
  at += 2;
  if (d > LEDGER_KEY_BITS) return malformed(`depth ${d} is past ${LEDGER_KEY_BITS}`);
  const bitmapBytes = (d + 7) >> 3;
  if (!need(bitmapBytes)) return malformed("truncated in the bitmap");
  const bitmap = bytes.subarray(at, at + bitmapBytes);
  at += bitmapBytes;
  if (d & 7 && bitmap[bitmapBytes - 1] & (0xff >> (d & 7))) return malformed("unused bitmap bits must be 0");
  const siblings: (Uint8Array | null)[] = [];
  for (let i = 0; i < d; i++) {
    if ((bitmap[i >> 3] & (0x80 >> (i & 7))) === 0) {
      siblings.push(null);
      continue;
    }
    if (!need(32)) return malformed(`truncated in sibling ${i}`);
    siblings.push(bytes.slice(at, at + 32));
    at += 32;
  }
  if (at !== bytes.length) return malformed(`${bytes.length - at} bytes after the last sibling`);
  const value: LedgerProof = { siblings, leaf };
  const problem = shapeProblem(value);
  return problem ? malformed(problem) : { ok: true, value };
}

export function ledgerProofToJson(p: LedgerProof): LedgerProofJson {
  const problem = shapeProblem(p);
  if (problem) throw new TypeError(`not a ledger proof: ${problem}`);
  return {
    format: LEDGER_PROOF_FORMAT,
    siblings: p.siblings.map((s) => (s === null ? null : toHex(s))),
    leaf: p.leaf ? { key: toHex(p.leaf.key), valueHash: toHex(p.leaf.valueHash) } : null,
  };
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Strict reader of the JSON form (lowercase hex, exactly the fields above); never throws. */
export function ledgerProofFromJson(j: unknown): LedgerProofDecoded {
  if (typeof j !== "object" || j === null || Array.isArray(j)) return malformed("a ledger proof must be a JSON object");
  const o = j as Record<string, unknown>;
  const fields = Object.keys(o).sort().join(",");
  if (fields !== "format,leaf,siblings") return malformed(`a ledger proof has exactly the fields format, leaf, siblings; got ${fields || "none"}`);
  if (o.format !== LEDGER_PROOF_FORMAT) return malformed(`unknown proof format ${JSON.stringify(o.format)}`);
  if (!Array.isArray(o.siblings)) return malformed("siblings must be an array");
  if (o.siblings.length > LEDGER_KEY_BITS) return malformed(`a path has at most ${LEDGER_KEY_BITS} siblings, got ${o.siblings.length}`);
  const siblings: (Uint8Array | null)[] = [];
  for (let i = 0; i < o.siblings.length; i++) {
    const s = o.siblings[i];
    if (s === null) siblings.push(null);
    else if (typeof s === "string" && HEX64.test(s)) siblings.push(fromHex(s));
    else return malformed(`siblings[${i}] must be 64 lowercase hex characters or null`);
  }
  let leaf: LedgerProof["leaf"] = null;
  if (o.leaf !== null) {
    const l = o.leaf as Record<string, unknown>;
    if (typeof l !== "object" || Array.isArray(l) || Object.keys(l).sort().join(",") !== "key,valueHash") return malformed("leaf must be null or exactly { key, valueHash }");
    if (typeof l.key !== "string" || !HEX64.test(l.key) || typeof l.valueHash !== "string" || !HEX64.test(l.valueHash)) {
      return malformed("leaf key and valueHash must be 64 lowercase hex characters each");
    }
    leaf = { key: fromHex(l.key), valueHash: fromHex(l.valueHash) };
  }
  const value: LedgerProof = { siblings, leaf };
  const problem = shapeProblem(value);
  return problem ? malformed(problem) : { ok: true, value };
}

/** What a proof says about a key, once it checked out against a root. */
export type LedgerProofVerdict =
  | { valid: true; present: true; valueHash: Uint8Array }
  | { valid: true; present: false }
  | { valid: false; reason: string };

/**
 * Checks `proof` for `leafKey` against `root`: folds the path up from its end (bit i of the key
 * says whether the running hash is the left or the right child at depth i) and compares with the
 * root. A path that ends at another key's leaf must share the first d bits with `leafKey` (that
 * leaf is alone in the subtree where `leafKey` would be).
 */
export function verifyLedgerProof(root: Uint8Array, leafKey: Uint8Array, proof: LedgerProof): LedgerProofVerdict {
  if (!isHash(root)) return { valid: false, reason: "root must be 32 bytes" };
  if (!isHash(leafKey)) return { valid: false, reason: "leaf key must be 32 bytes" };
  const problem = shapeProblem(proof);
  if (problem) return { valid: false, reason: problem };
  const d = proof.siblings.length;
  let present = false;
  let h: Uint8Array;
  if (proof.leaf === null) {
    h = LEDGER_EMPTY_HASH;
  } else {
    present = equal(proof.leaf.key, leafKey);
    if (!present) {
      for (let i = 0; i < d; i++) {
        if (keyBit(proof.leaf.key, i) !== keyBit(leafKey, i)) return { valid: false, reason: `the leaf at the end of the path is off the key's path (bit ${i})` };
      }
    }
    h = ledgerLeafHash(proof.leaf.key, proof.leaf.valueHash);
  }
  for (let i = d - 1; i >= 0; i--) {
    const s = proof.siblings[i] ?? LEDGER_EMPTY_HASH;
    h = keyBit(leafKey, i) === 0 ? ledgerNodeHash(h, s) : ledgerNodeHash(s, h);
  }
  if (!equal(h, root)) return { valid: false, reason: "the path does not lead to the root" };
  return present ? { valid: true, present: true, valueHash: proof.leaf!.valueHash.slice() } : { valid: true, present: false };
}

/** Whether `proof` shows the entry (key, value) in the ledger whose root is `root`. */
export function verifyEntryInLedger(root: Uint8Array, entryKey: Uint8Array, entryValue: Uint8Array, proof: LedgerProof): boolean {
  const v = verifyLedgerProof(root, ledgerLeafKey(entryKey), proof);
  return v.valid && v.present && equal(v.valueHash, ledgerValueHash(entryValue));
}

/** Whether `proof` shows that no entry with this key is in the ledger whose root is `root`. */
export function verifyEntryAbsent(root: Uint8Array, entryKey: Uint8Array, proof: LedgerProof): boolean {
  const v = verifyLedgerProof(root, ledgerLeafKey(entryKey), proof);
  return v.valid && !v.present;
}

/** Whether `proof` shows the output unspent, with this address and amount, under `root`. */
export function verifyOutputInLedger(
  root: Uint8Array,
  o: { txId: Uint8Array; index: number; address: Uint8Array; amount: bigint },
  proof: LedgerProof,
): boolean {
  return verifyEntryInLedger(root, outputEntryKey(o.txId, o.index), outputEntryValue(o.address, o.amount), proof);
}

/** Whether `proof` shows that the output (txId, index) is not unspent under `root`. */
export function verifyOutputAbsent(root: Uint8Array, txId: Uint8Array, index: number, proof: LedgerProof): boolean {
  return verifyEntryAbsent(root, outputEntryKey(txId, index), proof);
}
