/**
 * Ed25519 keys (RFC 8032), addresses and the transaction signature. Address = BLAKE2b-256(public
 * key). Keys are made and essences signed and verified on the platform's implementation
 * (client/protocol/ed25519.ts: libsodium in Node, tweetnacl in browsers; signatures are
 * byte-identical, Ed25519 being deterministic), verification always under the protocol's strict
 * rules, the node's. `verifyEssenceNacl` is plain tweetnacl, kept for comparisons.
 */
import nacl from "tweetnacl";
import { blake2b256 } from "../../core-wasm/src/blake2b";
import { signingHash } from "./codec";
import { ed25519 } from "./ed25519";
import { ProtocolError, ProtocolErrorCode as E } from "./errors";
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from "./limits";

/** A secret key is the 32-byte seed followed by the public key. */
const SECRET_KEY_BYTES = 32 + PUBLIC_KEY_BYTES;

export interface KeyPair {
  publicKey: Uint8Array;
  /** The 64-byte secret key: seed followed by public key (tweetnacl's and libsodium's layout). */
  secretKey: Uint8Array;
}

/** The key pair of a 32-byte seed (RFC 8032 private key). */
export function keyPairFromSeed(seed: Uint8Array): KeyPair {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new ProtocolError(E.BAD_FIELD, "seed must be 32 bytes");
  return ed25519.keyPairFromSeed(seed);
}

/** A fresh random key pair (the seed from the platform's secure random source). */
export function randomKeyPair(): KeyPair {
  return ed25519.keyPairFromSeed(nacl.randomBytes(32));
}

/** The 32-byte address of a public key. */
export function addressOf(publicKey: Uint8Array): Uint8Array {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_BYTES) {
    throw new ProtocolError(E.BAD_FIELD, "publicKey must be 32 bytes");
  }
  return blake2b256(publicKey);
}

/** Signs essence bytes: Ed25519 over BLAKE2b-256(essence). */
export function signEssence(essenceBytes: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== SECRET_KEY_BYTES) throw new ProtocolError(E.BAD_FIELD, `secretKey must be ${SECRET_KEY_BYTES} bytes`);
  return ed25519.sign(signingHash(essenceBytes), secretKey);
}

/** Verifies an essence signature under the protocol's rules (the node's verdict). Never throws. */
export function verifyEssence(essenceBytes: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  return ed25519.verify(signingHash(essenceBytes), signature, publicKey);
}

/** Plain tweetnacl verification of an essence signature, without the strict rules (comparisons only). */
export function verifyEssenceNacl(essenceBytes: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false;
  return nacl.sign.detached.verify(signingHash(essenceBytes), signature, publicKey);
}
