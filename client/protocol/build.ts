/**
 * Building transactions: sign an essence once, then attach it (parents, timestamp) and stamp it with
 * proof of work as often as needed. Reattaching a stuck transaction reuses the signed essence, so
 * it needs no private key. A milestone is the exception: its members sign its parents too
 * (milestoneEssence), so it is signed for one attachment and cannot be reattached.
 */
import { encodeAttached, encodeEssence, Essence, powRoot, setNonce, signingHash, sortParents } from "./codec";
import { signEssence } from "./keys";
import { PROTOCOL_VERSION } from "./limits";
import { milestoneEssence, sortSignatures, type MilestoneFields, type MilestonePayload, type MilestoneSignature } from "./payloads";
import { PowSearcher, POW_BATCH_TRIALS } from "../../core-wasm/src/pow";
import type { PowPool, PowOptions } from "../pow";

export interface SignedEssence {
  essenceBytes: Uint8Array;
  signature: Uint8Array;
}

export function signTransaction(essence: Essence, secretKey: Uint8Array): SignedEssence {
  const essenceBytes = encodeEssence(essence);
  return { essenceBytes, signature: signEssence(essenceBytes, secretKey) };
}

/** Serialized transaction with nonce 0: ready for proof of work. Parents are put in canonical order. */
export function attach(signed: SignedEssence, parents: readonly Uint8Array[], timestampMs: number): Uint8Array {
  return encodeAttached(signed.essenceBytes, signed.signature, timestampMs, sortParents(parents), 0n);
}

/** The prefix that stays the same across reattachments (essence and signature). */
export function signedPart(bytes: Uint8Array, essenceLength: number): SignedEssence {
  return { essenceBytes: bytes.slice(0, essenceLength), signature: bytes.slice(essenceLength, essenceLength + 64) };
}

let searcher: PowSearcher | undefined;

/** Single-threaded, synchronous PoW into the nonce field (tests, tools, low difficulties). */
export function stampSync(bytes: Uint8Array, difficulty: number, start = 0n): Uint8Array {
  searcher ??= new PowSearcher();
  searcher.setRoot(powRoot(bytes));
  let n = start;
  for (;;) {
    const r = searcher.search(n, POW_BATCH_TRIALS, difficulty);
    if (r.found) return setNonce(bytes, r.nonce);
    n = BigInt.asUintN(64, n + BigInt(POW_BATCH_TRIALS));
  }
}

/** PoW on a worker pool into the nonce field. Resolves to the same (mutated) bytes. */
export async function stamp(bytes: Uint8Array, difficulty: number, pool: PowPool, opts: PowOptions = {}): Promise<Uint8Array> {
  const r = await pool.search(powRoot(bytes), difficulty, opts);
  if (!r) throw new Error("proof of work gave up (maxTrials)");
  return setNonce(bytes, r.nonce);
}

// ---- milestones ---------------------------------------------------------------------------------

/**
 * The hash each committee member signs for a milestone with these fields attached to `parents`
 * (put in canonical order here, as attach() puts them): H(milestone essence), docs/protocol.md.
 */
export function milestoneSigningHash(networkId: number, parents: readonly Uint8Array[], fields: MilestoneFields): Uint8Array {
  return signingHash(milestoneEssence(PROTOCOL_VERSION, networkId, sortParents(parents), fields));
}

/** One member's signature of the milestone (fields, parents) on network `networkId`. */
export function signMilestone(networkId: number, parents: readonly Uint8Array[], fields: MilestoneFields, publicKey: Uint8Array, secretKey: Uint8Array): MilestoneSignature {
  return { publicKey, signature: signEssence(milestoneEssence(PROTOCOL_VERSION, networkId, sortParents(parents), fields), secretKey) };
}

/** The payload of `fields` with `signatures` in the order the payload requires (by public key). */
export function milestonePayload(fields: MilestoneFields, signatures: readonly MilestoneSignature[]): MilestonePayload {
  return { ...fields, signatures: sortSignatures(signatures) };
}
