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
 */
import { blake2b256 } from "../../core-wasm/src/blake2b";
import * as L from "./limits";
import { ProtocolError, ProtocolErrorCode as E } from "./errors";
import { toHex } from "./bytes";
import { ByteWriter } from "../util/byte-writer";

export interface Input {
  /** Id of the transaction that created the output. */
  txId: Uint8Array;
  /** Index of the output in that transaction. */
  index: number;
}

export interface Output {
  address: Uint8Array;
  amount: bigint;
}

export interface TransferPayload {
  type: "transfer";
  inputs: Input[];
  outputs: Output[];
}

export interface DataPayload {
  type: "data";
  streamId: Uint8Array;
  sequence: number;
  /** Id of the stream's previous record; all zero for sequence 0. */
  prevRecordId: Uint8Array;
  contentType: string;
  data: Uint8Array;
}

export interface MilestonePayload {
  type: "milestone";
  index: number;
  timestamp: number;
  /** RFC 6962 merkle root of the ids this milestone confirms, in white-flag order. */
  confirmedMerkleRoot: Uint8Array;
  ledgerStateHash: Uint8Array;
}

export type Payload = TransferPayload | DataPayload | MilestonePayload;

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
const MAX_U32 = 0xffffffff;

// ---------------------------------------------------------------------------------------------
// Encoding

function fail(code: E, message: string): never {
  throw new ProtocolError(code, message);
}

function checkBytes(name: string, b: unknown, len: number): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array) || b.length !== len) fail(E.BAD_FIELD, `${name} must be ${len} bytes`);
}

function checkUint(name: string, v: unknown, max: number, min = 0): asserts v is number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    fail(E.BAD_FIELD, `${name} must be an integer in [${min}, ${max}], got ${String(v)}`);
  }
}

function writePayload(w: ByteWriter, p: Payload): void {
  switch (p.type) {
    case "transfer": {
      if (p.inputs.length < 1 || p.inputs.length > L.MAX_INPUTS) fail(E.IO_COUNT, `inputs must number 1..${L.MAX_INPUTS}`);
      if (p.outputs.length < 1 || p.outputs.length > L.MAX_OUTPUTS) fail(E.IO_COUNT, `outputs must number 1..${L.MAX_OUTPUTS}`);
      w.u8(p.inputs.length);
      for (const i of p.inputs) {
        checkBytes("input txId", i.txId, L.ID_BYTES);
        checkUint("input index", i.index, L.MAX_OUTPUTS - 1);
        w.bytes(i.txId);
        w.u8(i.index);
      }
      w.u8(p.outputs.length);
      let sum = 0n;
      for (const o of p.outputs) {
        checkBytes("output address", o.address, L.ADDRESS_BYTES);
        if (typeof o.amount !== "bigint" || o.amount <= 0n || o.amount > L.MAX_AMOUNT) fail(E.AMOUNT, "output amount must be in [1, 2^64)");
        sum += o.amount;
        w.bytes(o.address);
        w.u64le(o.amount);
      }
      if (sum > L.MAX_AMOUNT) fail(E.AMOUNT, "outputs sum past 2^64 - 1");
      return;
    }
    case "data": {
      checkBytes("streamId", p.streamId, L.STREAM_ID_BYTES);
      checkUint("sequence", p.sequence, Number.MAX_SAFE_INTEGER);
      checkBytes("prevRecordId", p.prevRecordId, L.ID_BYTES);
      const ct = new TextEncoder().encode(p.contentType);
      if (!validContentType(ct)) fail(E.CONTENT_TYPE, "contentType must be 1..64 printable ASCII characters");
      if (!(p.data instanceof Uint8Array)) fail(E.BAD_FIELD, "data must be a Uint8Array");
      if (p.data.length > L.MAX_DATA_BYTES) fail(E.DATA_TOO_LARGE, `data must be at most ${L.MAX_DATA_BYTES} bytes`);
      if ((p.sequence === 0) !== isZero(p.prevRecordId)) fail(E.STREAM_LINK, "sequence 0 has a zero prevRecordId, later sequences a non-zero one");
      w.bytes(p.streamId);
      w.u64le(BigInt(p.sequence));
      w.bytes(p.prevRecordId);
      w.u8(ct.length);
      w.bytes(ct);
      w.u32le(p.data.length);
      w.bytes(p.data);
      return;
    }
    case "milestone": {
      checkUint("milestone index", p.index, MAX_U32, 1);
      checkUint("milestone timestamp", p.timestamp, Number.MAX_SAFE_INTEGER);
      checkBytes("confirmedMerkleRoot", p.confirmedMerkleRoot, L.ID_BYTES);
      checkBytes("ledgerStateHash", p.ledgerStateHash, L.ID_BYTES);
      w.u32le(p.index);
      w.u64le(BigInt(p.timestamp));
      w.bytes(p.confirmedMerkleRoot);
      w.bytes(p.ledgerStateHash);
      return;
    }
    default:
      fail(E.UNKNOWN_PAYLOAD, `unknown payload type ${(p as { type: unknown }).type}`);
  }
}

const PAYLOAD_CODES = { transfer: L.PAYLOAD_TRANSFER, data: L.PAYLOAD_DATA, milestone: L.PAYLOAD_MILESTONE } as const;

/** The essence bytes (what the signature covers, through its BLAKE2b-256). Throws ProtocolError. */
export function encodeEssence(e: Essence): Uint8Array {
  if (e.version !== L.PROTOCOL_VERSION) fail(E.UNKNOWN_VERSION, `version must be ${L.PROTOCOL_VERSION}`);
  checkUint("networkId", e.networkId, MAX_U32);
  checkBytes("issuer", e.issuer, L.PUBLIC_KEY_BYTES);
  const code = PAYLOAD_CODES[e.payload?.type as keyof typeof PAYLOAD_CODES];
  if (code === undefined) fail(E.UNKNOWN_PAYLOAD, `unknown payload type ${String(e.payload?.type)}`);
  const w = new ByteWriter();
  w.u8(e.version);
  w.u32le(e.networkId);
  w.bytes(e.issuer);
  w.u8(code);
  const lenAt = w.length;
  w.u32le(0);
  writePayload(w, e.payload);
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

class Reader {
  at = 0;
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  }
  has(n: number): boolean {
    return this.at + n <= this.bytes.length;
  }
  u8(): number {
    return this.view.getUint8(this.at++);
  }
  u32(): number {
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }
  u64(): bigint {
    const v = this.view.getBigUint64(this.at, true);
    this.at += 8;
    return v;
  }
  take(n: number): Uint8Array {
    const v = this.bytes.slice(this.at, this.at + n);
    this.at += n;
    return v;
  }
}

class DecodeFailure {
  constructor(
    readonly code: E,
    readonly message: string,
  ) {}
}

function bad(code: E, message: string): never {
  throw new DecodeFailure(code, message);
}

function need(r: Reader, n: number, what: string): void {
  if (!r.has(n)) bad(E.TRUNCATED, `truncated in ${what} at byte ${r.at}`);
}

function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

function validContentType(ct: Uint8Array): boolean {
  if (ct.length < 1 || ct.length > L.MAX_CONTENT_TYPE_BYTES) return false;
  for (let i = 0; i < ct.length; i++) if (ct[i] < 0x20 || ct[i] > 0x7e) return false;
  return true;
}

function safeNumber(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) bad(what === "timestamp" ? E.BAD_FIELD : E.MILESTONE_FIELD, `${what} above 2^53 - 1`);
  return Number(v);
}

function readPayload(r: Reader, type: number, end: number): Payload {
  switch (type) {
    case L.PAYLOAD_TRANSFER: {
      need(r, 1, "input count");
      const nIn = r.u8();
      if (nIn < 1 || nIn > L.MAX_INPUTS) bad(E.IO_COUNT, `input count ${nIn} outside 1..${L.MAX_INPUTS}`);
      need(r, nIn * 33, "inputs");
      const inputs: Input[] = [];
      const seen = new Set<string>();
      for (let i = 0; i < nIn; i++) {
        const txId = r.take(L.ID_BYTES);
        const index = r.u8();
        if (index >= L.MAX_OUTPUTS) bad(E.IO_COUNT, `input ${i} refers to output ${index}, beyond ${L.MAX_OUTPUTS - 1}`);
        const key = toHex(txId) + index;
        if (seen.has(key)) bad(E.DUPLICATE_INPUT, `input ${i} repeats an earlier input`);
        seen.add(key);
        inputs.push({ txId, index });
      }
      need(r, 1, "output count");
      const nOut = r.u8();
      if (nOut < 1 || nOut > L.MAX_OUTPUTS) bad(E.IO_COUNT, `output count ${nOut} outside 1..${L.MAX_OUTPUTS}`);
      need(r, nOut * 40, "outputs");
      const outputs: Output[] = [];
      let sum = 0n;
      for (let i = 0; i < nOut; i++) {
        const address = r.take(L.ADDRESS_BYTES);
        const amount = r.u64();
        if (amount === 0n) bad(E.AMOUNT, `output ${i} has amount 0`);
        sum += amount;
        outputs.push({ address, amount });
      }
      if (sum > L.MAX_AMOUNT) bad(E.AMOUNT, "outputs sum past 2^64 - 1");
      if (r.at !== end) bad(E.PAYLOAD_LENGTH, "payload length disagrees with the transfer's fields");
      return { type: "transfer", inputs, outputs };
    }
    case L.PAYLOAD_DATA: {
      need(r, L.STREAM_ID_BYTES + 8 + L.ID_BYTES + 1, "data header");
      const streamId = r.take(L.STREAM_ID_BYTES);
      const sequence = r.u64();
      if (sequence > BigInt(Number.MAX_SAFE_INTEGER)) bad(E.BAD_FIELD, "sequence above 2^53 - 1");
      const prevRecordId = r.take(L.ID_BYTES);
      const ctLen = r.u8();
      need(r, ctLen, "content type");
      const ct = r.take(ctLen);
      if (!validContentType(ct)) bad(E.CONTENT_TYPE, "content type must be 1..64 printable ASCII characters");
      need(r, 4, "data length");
      const dataLen = r.u32();
      if (dataLen > L.MAX_DATA_BYTES) bad(E.DATA_TOO_LARGE, `data of ${dataLen} bytes, more than ${L.MAX_DATA_BYTES}`);
      need(r, dataLen, "data");
      const data = r.take(dataLen);
      if ((sequence === 0n) !== isZero(prevRecordId)) bad(E.STREAM_LINK, "sequence 0 has a zero prevRecordId, later sequences a non-zero one");
      if (r.at !== end) bad(E.PAYLOAD_LENGTH, "payload length disagrees with the data record's fields");
      return { type: "data", streamId, sequence: Number(sequence), prevRecordId, contentType: new TextDecoder().decode(ct), data };
    }
    case L.PAYLOAD_MILESTONE: {
      need(r, 4 + 8 + 64, "milestone");
      const index = r.u32();
      if (index === 0) bad(E.MILESTONE_FIELD, "milestone index 0");
      const timestamp = safeNumber(r.u64(), "milestone timestamp");
      const confirmedMerkleRoot = r.take(L.ID_BYTES);
      const ledgerStateHash = r.take(L.ID_BYTES);
      if (r.at !== end) bad(E.PAYLOAD_LENGTH, "payload length disagrees with the milestone's fields");
      return { type: "milestone", index, timestamp, confirmedMerkleRoot, ledgerStateHash };
    }
    default:
      bad(E.UNKNOWN_PAYLOAD, `unknown payload type ${type}`);
  }
}

/** Strict decoding of a serialized transaction. Never throws. */
export function decodeTransaction(bytes: unknown): DecodeResult {
  if (!(bytes instanceof Uint8Array)) return { ok: false, code: E.NOT_BYTES, message: "transaction must be bytes" };
  if (bytes.length > L.MAX_TRANSACTION_BYTES) {
    return { ok: false, code: E.TOO_LARGE, message: `${bytes.length} bytes, more than ${L.MAX_TRANSACTION_BYTES}` };
  }
  try {
    const r = new Reader(bytes);
    need(r, 1 + 4 + L.PUBLIC_KEY_BYTES + 1 + 4, "essence header");
    const version = r.u8();
    if (version !== L.PROTOCOL_VERSION) bad(E.UNKNOWN_VERSION, `unknown version ${version}`);
    const networkId = r.u32();
    const issuer = r.take(L.PUBLIC_KEY_BYTES);
    const payloadType = r.u8();
    if (payloadType < L.PAYLOAD_TRANSFER || payloadType > L.PAYLOAD_MILESTONE) bad(E.UNKNOWN_PAYLOAD, `unknown payload type ${payloadType}`);
    const payloadLength = r.u32();
    need(r, payloadLength, "payload");
    const end = r.at + payloadLength;
    const payload = readPayload(r, payloadType, end);
    const essenceLength = r.at;
    need(r, L.SIGNATURE_BYTES + 8 + 1, "signature and attachment");
    const signature = r.take(L.SIGNATURE_BYTES);
    const timestamp = safeNumber(r.u64(), "timestamp");
    const nParents = r.u8();
    if (nParents < L.MIN_PARENTS || nParents > L.MAX_PARENTS) bad(E.PARENT_COUNT, `parent count ${nParents} outside ${L.MIN_PARENTS}..${L.MAX_PARENTS}`);
    need(r, nParents * L.ID_BYTES, "parents");
    const parents: Uint8Array[] = [];
    for (let i = 0; i < nParents; i++) {
      const p = r.take(L.ID_BYTES);
      if (i > 0 && compareIds(parents[i - 1], p) >= 0) bad(E.PARENTS_UNSORTED, `parent ${i} is not above parent ${i - 1}`);
      parents.push(p);
    }
    need(r, L.NONCE_BYTES, "nonce");
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
