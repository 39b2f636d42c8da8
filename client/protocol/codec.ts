/**
 * The canonical binary transaction format (docs/protocol.md): one encoder, one strict decoder,
 * shared by node and clients.
 *
 *   essence     version u8 · networkId u32 · issuer 32 · payloadType u8 · payloadLength u32 · payload
 *   signature   64 bytes: Ed25519 over BLAKE2b-256(essence)
 *   attachment  timestamp u64 (ms) · parentCount u8 · parents 32 × n (strictly ascending)
 *   nonce       u64, always the last 8 bytes
 *
 * All integers little-endian. The essence is a prefix, so the signature covers neither the parents
 * nor the nonce and anyone can reattach a signed transaction; the PoW root is BLAKE2b-256 of
 * everything but the nonce; the id is BLAKE2b-256 of all bytes. Decoding never throws: it returns
 * `{ ok: false, code }` with a stable code from errors.ts.
 *
 * This file is the envelope. Each payload type (its code, fields, encoding and checks) is a module
 * in ./payloads/, found through the registry there by type name when encoding and by type code when
 * decoding.
 */
import { blake2b256 } from "../../core-wasm/src/blake2b";
import * as L from "./limits";
import { ProtocolError, ProtocolErrorCode as E } from "./errors";
import { ByteWriter } from "../util/byte-writer";
import { bad, checkBytes, checkUint, DecodeFailure, fail, MAX_U32, Reader } from "./payloads/_fields";
import { Payload, payloadByCode, payloadByName } from "./payloads";

// The payload types (Payload, TransferPayload, …) are the registry's; importers of the codec get them here too.
export type * from "./payloads";

/** The signed part. */
export interface Essence {
  version: number;
  networkId: number;
  issuer: Uint8Array;
  payload: Payload;
}

export interface Transaction extends Essence {
  signature: Uint8Array;
  /** Attachment time, ms since the Unix epoch. */
  timestamp: number;
  /** Sorted ascending, unique, 2..8. */
  parents: Uint8Array[];
  nonce: bigint;
}

/** A decoded transaction with the byte offsets that the hashes need. */
export interface DecodedTransaction {
  tx: Transaction;
  bytes: Uint8Array;
  /** Length of the essence (the signature starts here). */
  essenceLength: number;
}

export type DecodeResult = { ok: true; value: DecodedTransaction } | { ok: false; code: E; message: string };

const ZERO_ID = new Uint8Array(L.ID_BYTES);

// ---------------------------------------------------------------------------------------------
// Encoding

/** The essence bytes (what the signature covers, through its BLAKE2b-256). Throws ProtocolError. */
export function encodeEssence(e: Essence): Uint8Array {
  if (e.version !== L.PROTOCOL_VERSION) fail(E.UNKNOWN_VERSION, `version must be ${L.PROTOCOL_VERSION}`);
  checkUint("networkId", e.networkId, MAX_U32);
  checkBytes("issuer", e.issuer, L.PUBLIC_KEY_BYTES);
  const payload = payloadByName(e.payload?.type);
  if (payload === undefined) fail(E.UNKNOWN_PAYLOAD, `unknown payload type ${String(e.payload?.type)}`);
  const w = new ByteWriter();
  w.u8(e.version);
  w.u32le(e.networkId);
  w.bytes(e.issuer);
  w.u8(payload.code);
  const lenAt = w.length;
  w.u32le(0);
  payload.encode(w, e.payload);
  w.patchU32le(lenAt, w.length - lenAt - 4);
  return w.finish();
}

/** BLAKE2b-256 of the essence: the message the issuer signs with Ed25519. */
export function signingHash(essenceBytes: Uint8Array): Uint8Array {
  return blake2b256(essenceBytes);
}

/** Compares two ids byte by byte (the parent order). */
export function compareIds(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length && i < b.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Parents in canonical order (sorted ascending, duplicates removed). */
export function sortParents(parents: readonly Uint8Array[]): Uint8Array[] {
  const sorted = [...parents].sort(compareIds);
  return sorted.filter((p, i) => i === 0 || compareIds(p, sorted[i - 1]) !== 0);
}

/**
 * Appends signature, attachment and nonce to essence bytes. Parents must already be canonical
 * (sortParents). Throws ProtocolError.
 */
export function encodeAttached(essenceBytes: Uint8Array, signature: Uint8Array, timestamp: number, parents: readonly Uint8Array[], nonce: bigint): Uint8Array {
  checkBytes("signature", signature, L.SIGNATURE_BYTES);
  checkUint("timestamp", timestamp, Number.MAX_SAFE_INTEGER);
  if (parents.length < L.MIN_PARENTS || parents.length > L.MAX_PARENTS) fail(E.PARENT_COUNT, `parents must number ${L.MIN_PARENTS}..${L.MAX_PARENTS}`);
  parents.forEach((p, i) => {
    checkBytes(`parents[${i}]`, p, L.ID_BYTES);
    if (i > 0 && compareIds(parents[i - 1], p) >= 0) fail(E.PARENTS_UNSORTED, "parents must be strictly ascending (use sortParents)");
  });
  if (typeof nonce !== "bigint" || nonce < 0n || nonce > L.MAX_AMOUNT) fail(E.BAD_FIELD, "nonce must be a u64 bigint");
  const total = essenceBytes.length + L.SIGNATURE_BYTES + 9 + parents.length * L.ID_BYTES + L.NONCE_BYTES;
  if (total > L.MAX_TRANSACTION_BYTES) fail(E.TOO_LARGE, `transaction would be ${total} bytes, more than ${L.MAX_TRANSACTION_BYTES}`);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out.set(essenceBytes, 0);
  let at = essenceBytes.length;
  out.set(signature, at);
  at += L.SIGNATURE_BYTES;
  dv.setBigUint64(at, BigInt(timestamp), true);
  at += 8;
  out[at++] = parents.length;
  for (const p of parents) {
    out.set(p, at);
    at += L.ID_BYTES;
  }
  dv.setBigUint64(at, nonce, true);
  return out;
}

/** Serializes a whole transaction. Throws ProtocolError on out-of-range fields. */
export function encodeTransaction(tx: Transaction): Uint8Array {
  return encodeAttached(encodeEssence(tx), tx.signature, tx.timestamp, tx.parents, tx.nonce);
}

/** The PoW root: BLAKE2b-256 of everything but the trailing nonce. */
export function powRoot(bytes: Uint8Array): Uint8Array {
  return blake2b256(bytes.subarray(0, bytes.length - L.NONCE_BYTES));
}

/** The transaction id: BLAKE2b-256 of all bytes. */
export function transactionId(bytes: Uint8Array): Uint8Array {
  return blake2b256(bytes);
}

/** Writes `nonce` into the last 8 bytes of serialized `bytes` (in place) and returns them. */
export function setNonce(bytes: Uint8Array, nonce: bigint): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.length).setBigUint64(bytes.length - L.NONCE_BYTES, nonce, true);
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Strict decoding of a serialized transaction. Never throws. */
export function decodeTransaction(bytes: unknown): DecodeResult {
  if (!(bytes instanceof Uint8Array)) return { ok: false, code: E.NOT_BYTES, message: "transaction must be bytes" };
  if (bytes.length > L.MAX_TRANSACTION_BYTES) {
    return { ok: false, code: E.TOO_LARGE, message: `${bytes.length} bytes, more than ${L.MAX_TRANSACTION_BYTES}` };
  }
  try {
    const r = new Reader(bytes);
    r.need(1 + 4 + L.PUBLIC_KEY_BYTES + 1 + 4, "essence header");
    const version = r.u8();
    if (version !== L.PROTOCOL_VERSION) bad(E.UNKNOWN_VERSION, `unknown version ${version}`);
    const networkId = r.u32();
    const issuer = r.take(L.PUBLIC_KEY_BYTES);
    const payloadType = r.u8();
    const kind = payloadByCode(payloadType);
    if (kind === undefined) bad(E.UNKNOWN_PAYLOAD, `unknown payload type ${payloadType}`);
    const payloadLength = r.u32();
    r.need(payloadLength, "payload");
    const payload: Payload = kind.decode(r, r.at + payloadLength);
    const essenceLength = r.at;
    r.need(L.SIGNATURE_BYTES + 8 + 1, "signature and attachment");
    const signature = r.take(L.SIGNATURE_BYTES);
    const ts = r.u64();
    if (ts > BigInt(Number.MAX_SAFE_INTEGER)) bad(E.BAD_FIELD, "timestamp above 2^53 - 1");
    const timestamp = Number(ts);
    const nParents = r.u8();
    if (nParents < L.MIN_PARENTS || nParents > L.MAX_PARENTS) bad(E.PARENT_COUNT, `parent count ${nParents} outside ${L.MIN_PARENTS}..${L.MAX_PARENTS}`);
    r.need(nParents * L.ID_BYTES, "parents");
    const parents: Uint8Array[] = [];
    for (let i = 0; i < nParents; i++) {
      const p = r.take(L.ID_BYTES);
      if (i > 0 && compareIds(parents[i - 1], p) >= 0) bad(E.PARENTS_UNSORTED, `parent ${i} is not above parent ${i - 1}`);
      parents.push(p);
    }
    r.need(L.NONCE_BYTES, "nonce");
    const nonce = r.u64();
    if (r.at !== bytes.length) bad(E.TRAILING_BYTES, `${bytes.length - r.at} bytes after the nonce`);
    const tx: Transaction = { version, networkId, issuer, payload, signature, timestamp, parents, nonce };
    return { ok: true, value: { tx, bytes, essenceLength } };
  } catch (err) {
    if (err instanceof DecodeFailure) return { ok: false, code: err.code, message: err.message };
    // A bug, not bad input: still reported as a rejection, never a crash of the caller.
    return { ok: false, code: E.MALFORMED, message: `undecodable: ${(err as Error).message}` };
  }
}

/** decodeTransaction, throwing ProtocolError on failure. */
export function decodeTransactionOrThrow(bytes: Uint8Array): DecodedTransaction {
  const r = decodeTransaction(bytes);
  if (!r.ok) throw new ProtocolError(r.code, r.message);
  return r.value;
}

export { ZERO_ID };
