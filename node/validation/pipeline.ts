/**
 * Stateless validation, in one place: the stages in the order docs/protocol.md ("Validation, in
 * order") documents, each in its own file, called from `validateTransaction` only:
 *
 *   1 decode.ts (decoding and limits) → 2 network.ts → 3 time.ts (timestamp window) →
 *   4 pow.ts (difficulty grows with size) → 5 signature.ts (on the verify pool when there is one)
 *   → 6 issuer.ts (milestones from coordinator keys only)
 *
 * The first failing stage decides the code. The bytes are decoded once and hashed once for the
 * id (the caller may pass an id it computed already) and once for the essence. What needs the
 * tangle (solidity, node/solidifier.ts) and the ledger (spends, at confirmation) comes after, in
 * the node. Never throws.
 */
import { transactionId, signingHash } from "../../client/protocol/codec";
import { ProtocolErrorCode as E } from "../../client/protocol/errors";
import { toHex } from "../../client/protocol/bytes";
import { decodeStage } from "./decode";
import { checkNetwork } from "./network";
import { checkTimestamp } from "./time";
import { checkWork } from "./pow";
import { checkSignature, SignatureVerifier } from "./signature";
import { checkIssuer } from "./issuer";
import type { ValidationParams, Verdict } from "./types";

export type { ValidationParams, ValidTransaction, Verdict, Rejection } from "./types";
export { DIFFICULTY_UNIT_BYTES, requiredDifficulty, hasEnoughWork } from "./pow";
export { BAD_SIGNATURE_MESSAGE } from "./signature";
export type { SignatureVerifier } from "./signature";

const LATER: readonly string[] = [E.WRONG_NETWORK, E.TIMESTAMP_TOO_OLD, E.TIMESTAMP_IN_FUTURE, E.POW_INSUFFICIENT, E.BAD_SIGNATURE, E.NOT_COORDINATOR];

/** The stages in order with the codes each gives; docs/protocol.md lists the same (a test compares). */
export const VALIDATION_STAGES: readonly { stage: string; codes: readonly E[] }[] = [
  { stage: "decoding and limits", codes: Object.values(E).filter((c) => !LATER.includes(c)) },
  { stage: "network id", codes: [E.WRONG_NETWORK] },
  { stage: "timestamp window", codes: [E.TIMESTAMP_TOO_OLD, E.TIMESTAMP_IN_FUTURE] },
  { stage: "proof of work", codes: [E.POW_INSUFFICIENT] },
  { stage: "signature", codes: [E.BAD_SIGNATURE] },
  { stage: "milestone issuer", codes: [E.NOT_COORDINATOR] },
];

export interface ValidateOptions {
  /** Adaptive extra PoW bits, or a function of the issuer key giving them (API submissions). */
  extraDifficulty?: number | ((issuer: Uint8Array) => number);
  /** The id of these bytes, when the caller already hashed them (the node's duplicate check). */
  id?: Uint8Array;
  /** Signature verifier (default: node/crypto/ed25519.ts on this thread). */
  verify?: SignatureVerifier;
}

/** Runs every stateless stage on raw bytes, in the documented order. */
export async function validateTransaction(bytes: unknown, params: ValidationParams, nowMs: number, opts: ValidateOptions = {}): Promise<Verdict> {
  const decoded = decodeStage(bytes);
  if (!decoded.ok) return decoded;
  const { tx, essenceLength } = decoded.value;
  const raw = decoded.value.bytes;
  const early = checkNetwork(tx, params) ?? checkTimestamp(tx, params, nowMs);
  if (early) return early;
  const extra = typeof opts.extraDifficulty === "function" ? opts.extraDifficulty(tx.issuer) : (opts.extraDifficulty ?? 0);
  const work = checkWork(raw, tx, params.baseDifficulty, extra);
  if (!work.ok) return work;
  const essenceHash = signingHash(raw.subarray(0, essenceLength));
  let signature = checkSignature(tx, essenceHash, opts.verify);
  if (signature instanceof Promise) signature = await signature;
  const late = signature ?? checkIssuer(tx, params);
  if (late) return late;
  const id = opts.id ?? transactionId(raw);
  return { ok: true, value: { ...decoded.value, id, idHex: toHex(id), difficulty: work.difficulty, essenceHash } };
}
