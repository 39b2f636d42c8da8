/**
 * The stateless part of validation, as pure functions in pipeline order: syntax and limits →
 * network id → timestamp window → proof of work (difficulty grows with size) → signature →
 * milestone issuer. Each step rejects with its own stable code (client/protocol/errors.ts). What
 * needs the tangle (solidity) and the ledger (spends, at confirmation) comes after, in the node.
 */
import { DecodedTransaction, decodeTransaction, powRoot, transactionId } from "../../client/protocol/codec";
import { ProtocolErrorCode as E } from "../../client/protocol/errors";
import { toHex } from "../../client/protocol/bytes";
import { powWork, powThreshold, POW_MAX_DIFFICULTY } from "../../core-wasm/src/pow";
import { verifyEd25519 } from "../crypto/ed25519";
import { signingHash } from "../../client/protocol/codec";

/** Transactions up to this size need the base difficulty; each doubling beyond adds one bit. */
export const DIFFICULTY_UNIT_BYTES = 512;

export interface ValidationParams {
  networkId: number;
  /** Difficulty in bits for a transaction of at most DIFFICULTY_UNIT_BYTES. */
  baseDifficulty: number;
  /** How far in the past an attachment timestamp may be. */
  maxPastMs: number;
  /** How far in the future an attachment timestamp may be (clock skew). */
  maxFutureMs: number;
  /** Hex public keys allowed to issue milestones. */
  coordinatorKeys: ReadonlySet<string>;
}

export interface ValidTransaction extends DecodedTransaction {
  id: Uint8Array;
  idHex: string;
  /** The difficulty this transaction had to meet. */
  difficulty: number;
}

export type Verdict = { ok: true; value: ValidTransaction } | { ok: false; code: E; message: string };

export type SignatureVerifier = (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) => boolean;

/**
 * Bits of work a transaction of `sizeBytes` must carry: `base` up to DIFFICULTY_UNIT_BYTES, plus
 * one bit per doubling beyond, so the expected work grows in proportion to size. `extra` bits are
 * added on top (adaptive difficulty for issuers sending faster than their share). Capped at 63.
 */
export function requiredDifficulty(sizeBytes: number, base: number, extra = 0): number {
  const units = Math.max(1, Math.ceil(sizeBytes / DIFFICULTY_UNIT_BYTES));
  return Math.min(POW_MAX_DIFFICULTY, base + Math.ceil(Math.log2(units)) + extra);
}

/** Whether the trailing nonce of `bytes` meets `difficulty`. */
export function hasEnoughWork(bytes: Uint8Array, nonce: bigint, difficulty: number): boolean {
  return powWork(powRoot(bytes), nonce) >= powThreshold(difficulty);
}

function reject(code: E, message: string): { ok: false; code: E; message: string } {
  return { ok: false, code, message };
}

export interface CheckOptions {
  extraDifficulty?: number | ((issuer: Uint8Array) => number);
  /** The id of these bytes, when the caller already hashed them. */
  id?: Uint8Array;
}

/** A transaction that passed every check before the signature, with what the signature covers. */
export type Prechecked = { ok: true; value: ValidTransaction; signingMessage: Uint8Array } | { ok: false; code: E; message: string };

/**
 * Every stateless check up to the signature (syntax, network, timestamp window, proof of work).
 * The node verifies the signature next (possibly on another thread), then calls `checkIssuer`.
 * Never throws.
 */
export function precheckTransaction(bytes: unknown, params: ValidationParams, nowMs: number, opts: CheckOptions = {}): Prechecked {
  const decoded = decodeTransaction(bytes);
  if (!decoded.ok) return decoded;
  const { tx, essenceLength } = decoded.value;
  const raw = decoded.value.bytes;
  if (tx.networkId !== params.networkId) {
    return reject(E.WRONG_NETWORK, `network ${tx.networkId}, this node serves ${params.networkId}`);
  }
  if (tx.timestamp < nowMs - params.maxPastMs) return reject(E.TIMESTAMP_TOO_OLD, `timestamp ${tx.timestamp} is more than ${params.maxPastMs} ms old`);
  if (tx.timestamp > nowMs + params.maxFutureMs) {
    return reject(E.TIMESTAMP_IN_FUTURE, `timestamp ${tx.timestamp} is more than ${params.maxFutureMs} ms ahead`);
  }
  const extra = typeof opts.extraDifficulty === "function" ? opts.extraDifficulty(tx.issuer) : (opts.extraDifficulty ?? 0);
  const difficulty = requiredDifficulty(raw.length, params.baseDifficulty, extra);
  if (!hasEnoughWork(raw, tx.nonce, difficulty)) {
    return reject(E.POW_INSUFFICIENT, `work below ${difficulty} bits, required for ${raw.length} bytes`);
  }
  const id = opts.id ?? transactionId(raw);
  return { ok: true, value: { ...decoded.value, id, idHex: toHex(id), difficulty }, signingMessage: signingHash(raw.subarray(0, essenceLength)) };
}

/** The last step, after the signature verified: only coordinator keys issue milestones. */
export function checkIssuer(v: ValidTransaction, params: ValidationParams): Verdict {
  if (v.tx.payload.type === "milestone" && !params.coordinatorKeys.has(toHex(v.tx.issuer))) {
    return reject(E.NOT_COORDINATOR, "milestone issued by a key that is not a coordinator of this network");
  }
  return { ok: true, value: v };
}

export const BAD_SIGNATURE_MESSAGE = "signature does not verify against the issuer key";

/** Runs every stateless check on raw bytes, the signature on this thread. Never throws. */
export function validateTransaction(
  bytes: unknown,
  params: ValidationParams,
  nowMs: number,
  opts: CheckOptions & { verify?: SignatureVerifier } = {},
): Verdict {
  const pre = precheckTransaction(bytes, params, nowMs, opts);
  if (!pre.ok) return pre;
  const verify = opts.verify ?? verifyEd25519;
  if (!verify(pre.signingMessage, pre.value.tx.signature, pre.value.tx.issuer)) return reject(E.BAD_SIGNATURE, BAD_SIGNATURE_MESSAGE);
  return checkIssuer(pre.value, params);
}
