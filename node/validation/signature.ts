/**
 * Stage 5, signature: Ed25519 under libsodium's strict rules (docs/protocol.md) over the essence
 * hash, on this thread or on the node's verify pool (node/crypto/verify-pool.ts).
 */
import type { Transaction } from "../../client/protocol/codec";
import { ProtocolErrorCode as E } from "../../client/protocol/errors";
import { verifyEd25519 } from "../crypto/ed25519";
import { reject, Rejection } from "./types";

/** Verifies one signature: synchronously, or (a worker pool) asynchronously. */
export type SignatureVerifier = (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) => boolean | Promise<boolean>;

export const BAD_SIGNATURE_MESSAGE = "signature does not verify against the issuer key";

const verdict = (ok: boolean): Rejection | undefined => (ok ? undefined : reject(E.BAD_SIGNATURE, BAD_SIGNATURE_MESSAGE));

/** Synchronous with a synchronous verifier (no promise per transaction on the main-thread path). */
export function checkSignature(tx: Transaction, essenceHash: Uint8Array, verify: SignatureVerifier = verifyEd25519): Rejection | undefined | Promise<Rejection | undefined> {
  const r = verify(essenceHash, tx.signature, tx.issuer);
  return typeof r === "boolean" ? verdict(r) : r.then(verdict);
}
