/**
 * Stage 4, proof of work: the difficulty grows with size (one bit per doubling beyond
 * DIFFICULTY_UNIT_BYTES), plus adaptive extra bits for issuers sending faster than their share.
 */
import { powRoot, Transaction } from "../../client/protocol/codec";
import { ProtocolErrorCode as E } from "../../client/protocol/errors";
import { powWork, powThreshold, POW_MAX_DIFFICULTY } from "../../core-wasm/src/pow";
import { reject, Rejection } from "./types";

/** Transactions up to this size need the base difficulty; each doubling beyond adds one bit. */
export const DIFFICULTY_UNIT_BYTES = 512;

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

/** The difficulty `bytes` had to meet, or the refusal. */
export function checkWork(bytes: Uint8Array, tx: Transaction, base: number, extraBits: number): { ok: true; difficulty: number } | Rejection {
  const difficulty = requiredDifficulty(bytes.length, base, extraBits);
  if (!hasEnoughWork(bytes, tx.nonce, difficulty)) return reject(E.POW_INSUFFICIENT, `work below ${difficulty} bits, required for ${bytes.length} bytes`);
  return { ok: true, difficulty };
}
