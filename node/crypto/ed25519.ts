/**
 * Ed25519 signature verification as the protocol defines it (docs/protocol.md, "Signatures"):
 * RFC 8032 with libsodium's strict rules — S below the group order L, the public key A a canonical
 * encoding, neither A nor R a point of small order — so every node reaches the same verdict.
 *
 * libsodium (`sodium-native`, prebuilt for the common platforms) is the fastest verifier here.
 * Where its binary is missing, Node's built-in verifier (OpenSSL) runs after the same extra checks
 * and gives the same verdicts (test/node/ed25519-rules.test.ts holds both to that).
 *
 * `makeVerifier` is self-contained on purpose: the verify worker threads build theirs from its
 * source text, so main thread and workers share one definition of the rules.
 */
import * as nodeCrypto from "node:crypto";

export type Verifier = (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) => boolean;

export interface SodiumLike {
  crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

/** Builds a verifier on libsodium when given one, else on node:crypto with the strict checks. */
export function makeVerifier(sodium: SodiumLike | null, crypto: typeof nodeCrypto): Verifier {
  const hex = (h: string) => Uint8Array.from(Buffer.from(h, "hex"));
  // Encodings of the points of order 1, 2, 4 and 8, as libsodium lists them (top bit ignored).
  const SMALL_ORDER = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  ].map(hex);
  // The group order L, little-endian.
  const L = hex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
  const smallOrder = (p: Uint8Array): boolean => {
    for (const b of SMALL_ORDER) {
      let diff = (p[31] & 0x7f) ^ b[31];
      for (let i = 0; i < 31; i++) diff |= p[i] ^ b[i];
      if (diff === 0) return true;
    }
    return false;
  };
  // A y coordinate of p or more (2^255 - 19 ≤ y < 2^255) is not a canonical encoding.
  const canonicalPoint = (p: Uint8Array): boolean => {
    if ((p[31] & 0x7f) !== 0x7f) return true;
    for (let i = 30; i > 0; i--) if (p[i] !== 0xff) return true;
    return p[0] < 0xed;
  };
  const canonicalScalar = (s: Uint8Array): boolean => {
    for (let i = 31; i >= 0; i--) {
      if (s[i] !== L[i]) return s[i] < L[i];
    }
    return false;
  };
  const view = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  if (sodium) {
    return (message, signature, publicKey) => {
      if (signature.length !== 64 || publicKey.length !== 32) return false;
      return sodium.crypto_sign_verify_detached(view(signature), view(message), view(publicKey));
    };
  }
  // DER SubjectPublicKeyInfo header for an Ed25519 key (RFC 8410); keys are wrapped once and cached.
  const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
  const keys = new Map<string, nodeCrypto.KeyObject | null>();
  const keyObject = (publicKey: Uint8Array): nodeCrypto.KeyObject | null => {
    const k = view(publicKey).toString("hex");
    let key = keys.get(k);
    if (key !== undefined) return key;
    try {
      key = crypto.createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: "der", type: "spki" });
    } catch {
      key = null;
    }
    if (keys.size >= 4096) keys.delete(keys.keys().next().value as string);
    keys.set(k, key);
    return key;
  };
  return (message, signature, publicKey) => {
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    if (!canonicalScalar(signature.subarray(32)) || smallOrder(signature.subarray(0, 32))) return false;
    if (!canonicalPoint(publicKey) || smallOrder(publicKey)) return false;
    const key = keyObject(publicKey);
    if (!key) return false;
    try {
      return crypto.verify(null, message, key, signature);
    } catch {
      return false;
    }
  };
}

/** libsodium through sodium-native, or null where its binary is not available. */
export function loadSodium(): SodiumLike | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("sodium-native") as SodiumLike;
  } catch {
    return null;
  }
}

const sodium = loadSodium();

/** Which implementation this process verifies with. */
export const VERIFIER_BACKEND: "libsodium" | "node:crypto" = sodium ? "libsodium" : "node:crypto";

const verifier = makeVerifier(sodium, nodeCrypto);

/** Verifies an Ed25519 signature under the protocol's rules. Never throws. */
export function verifyEd25519(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  return verifier(message, signature, publicKey);
}
