/**
 * What every Ed25519 implementation of the client offers (client/protocol/ed25519.ts picks one per
 * platform). Verification is always strict (client/protocol/ed25519-rules.ts): the same verdicts
 * as libsodium, so a client never accepts a record the node would refuse, nor the reverse.
 */

export type Ed25519BackendName = "libsodium" | "node:crypto" | "webcrypto" | "tweetnacl";

/** One signature to check: Ed25519 of `message` (for transactions, the 32-byte signing hash). */
export interface SignatureCheck {
  message: Uint8Array;
  signature: Uint8Array;
  publicKey: Uint8Array;
}

export interface Ed25519Backend {
  /** The implementation `verifyMany` runs on. */
  readonly name: Ed25519BackendName;
  /** Strict verification on the calling thread. Never throws (wrong lengths: false). */
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
  /** Strict verification of many signatures: one verdict per item, in order. Never rejects. */
  verifyMany(items: readonly SignatureCheck[]): Promise<boolean[]>;
  /** Deterministic RFC 8032 signature with a 64-byte secret key (seed || public key). */
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  /** The key pair of a 32-byte seed; `secretKey` is seed || public key. */
  keyPairFromSeed(seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array };
}
