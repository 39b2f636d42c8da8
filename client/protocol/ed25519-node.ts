/**
 * Ed25519 in Node: libsodium (`sodium-native`, prebuilt for the common platforms; about 24,000
 * verifications and 75,000 signatures a second on one server core) or, where its binary is missing,
 * Node's built-in OpenSSL (about 12,000 verifications a second) after the strict rules, which
 * OpenSSL does not apply itself. Both give libsodium's verdicts (test/node/ed25519-rules.test.ts,
 * test/client/protocol/ed25519.test.ts) and byte-identical signatures (Ed25519 is deterministic).
 *
 * Node-only: browser bundles never reach this file (client/protocol/ed25519.ts is swapped for
 * ed25519.browser.ts). `makeVerifier` is self-contained so the node's verify worker threads can
 * build theirs from its source text, with the rules from `strictRules`.
 */
import * as nodeCrypto from "node:crypto";
import type { Ed25519Backend, SignatureCheck } from "./ed25519-backend";
import { strictRules, StrictRules } from "./ed25519-rules";

export type Verifier = (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) => boolean;

export interface SodiumLike {
  crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
  crypto_sign_detached(signature: Uint8Array, message: Uint8Array, secretKey: Uint8Array): void;
  crypto_sign_seed_keypair(publicKey: Uint8Array, secretKey: Uint8Array, seed: Uint8Array): void;
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

/** Builds a verifier on libsodium when given one, else on node:crypto after the strict rules. */
export function makeVerifier(sodium: Pick<SodiumLike, "crypto_sign_verify_detached"> | null, crypto: typeof nodeCrypto, rules: StrictRules): Verifier {
  if (sodium) {
    return (message, signature, publicKey) => {
      if (signature.length !== 64 || publicKey.length !== 32) return false;
      return sodium.crypto_sign_verify_detached(signature, message, publicKey);
    };
  }
  // DER SubjectPublicKeyInfo header for an Ed25519 key (RFC 8410); keys are wrapped once and cached.
  const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
  const keys = new Map<string, nodeCrypto.KeyObject | null>();
  const keyObject = (publicKey: Uint8Array): nodeCrypto.KeyObject | null => {
    const k = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString("hex");
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
    if (!rules.admissible(signature, publicKey)) return false;
    const key = keyObject(publicKey);
    if (!key) return false;
    try {
      return crypto.verify(null, message, key, signature);
    } catch {
      return false;
    }
  };
}

// DER PrivateKeyInfo header for an Ed25519 seed (RFC 8410).
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

function opensslPrivateKey(seed: Uint8Array): nodeCrypto.KeyObject {
  return nodeCrypto.createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
}

/**
 * The Node backend: libsodium when `sodium` is given (default: loaded if present), else node:crypto.
 * Secret keys are seed || public key as everywhere in the client; libsodium signs with the public
 * half as given, node:crypto derives it from the seed (the same for every key made here).
 */
export function nodeEd25519(sodium: SodiumLike | null = loadSodium(), rules: StrictRules = strictRules()): Ed25519Backend {
  const verify = makeVerifier(sodium, nodeCrypto, rules);
  const verifyMany = async (items: readonly SignatureCheck[]) => items.map((it) => verify(it.message, it.signature, it.publicKey));
  if (sodium) {
    return {
      name: "libsodium",
      verify,
      verifyMany,
      sign(message, secretKey) {
        const signature = new Uint8Array(64);
        sodium.crypto_sign_detached(signature, message, secretKey);
        return signature;
      },
      keyPairFromSeed(seed) {
        const publicKey = new Uint8Array(32);
        const secretKey = new Uint8Array(64);
        sodium.crypto_sign_seed_keypair(publicKey, secretKey, seed);
        return { publicKey, secretKey };
      },
    };
  }
  return {
    name: "node:crypto",
    verify,
    verifyMany,
    sign: (message, secretKey) => new Uint8Array(nodeCrypto.sign(null, message, opensslPrivateKey(secretKey.subarray(0, 32)))),
    keyPairFromSeed(seed) {
      const spki = nodeCrypto.createPublicKey(opensslPrivateKey(seed)).export({ format: "der", type: "spki" });
      const publicKey = new Uint8Array(spki.subarray(spki.length - 32));
      const secretKey = new Uint8Array(64);
      secretKey.set(seed, 0);
      secretKey.set(publicKey, 32);
      return { publicKey, secretKey };
    },
  };
}
