/**
 * Ed25519 keys (RFC 8032, through tweetnacl so it also runs in browsers), addresses and the
 * transaction signature. Address = BLAKE2b-256(public key). The node verifies with Node's built-in
 * Ed25519 instead (node/crypto/verify.ts); tests prove the two agree.
 */
import nacl from "tweetnacl";
import { blake2b256 } from "../../core-wasm/src/blake2b";
import { signingHash } from "./codec";
import { ProtocolError, ProtocolErrorCode as E } from "./errors";
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from "./limits";

export interface KeyPair {
  publicKey: Uint8Array;
  /** tweetnacl's 64-byte secret key (seed followed by public key). */
  secretKey: Uint8Array;
}

/** The key pair of a 32-byte seed (RFC 8032 private key). */
export function keyPairFromSeed(seed: Uint8Array): KeyPair {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new ProtocolError(E.BAD_FIELD, "seed must be 32 bytes");
  const kp = nacl.sign.keyPair.fromSeed(seed);
  return { publicKey: kp.publicKey, secretKey: kp.secretKey };
}

/** A fresh random key pair. */
export function randomKeyPair(): KeyPair {
  const kp = nacl.sign.keyPair();
  return { publicKey: kp.publicKey, secretKey: kp.secretKey };
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
  return nacl.sign.detached(signingHash(essenceBytes), secretKey);
}

/** tweetnacl verification of an essence signature (clients; the node uses node:crypto). */
export function verifyEssenceNacl(essenceBytes: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false;
  return nacl.sign.detached.verify(signingHash(essenceBytes), signature, publicKey);
}
