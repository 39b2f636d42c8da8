/**
 * Ed25519 verification with Node's built-in implementation (OpenSSL), far faster than tweetnacl's
 * pure-JS verify. Public keys are wrapped into KeyObjects once and kept in a bounded cache, since
 * gateways sign many transactions with the same key.
 */
import { createPublicKey, KeyObject, verify } from "node:crypto";
import { toHex } from "../../client/protocol/bytes";

// DER SubjectPublicKeyInfo header for an Ed25519 key (RFC 8410): the raw 32 bytes follow.
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const CACHE_LIMIT = 4096;
const cache = new Map<string, KeyObject>();

function keyObject(publicKey: Uint8Array): KeyObject | null {
  const k = toHex(publicKey);
  let obj = cache.get(k);
  if (obj) return obj;
  try {
    obj = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: "der", type: "spki" });
  } catch {
    return null; // not a valid curve point encoding
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(k, obj);
  return obj;
}

/** Verifies an Ed25519 signature. Never throws: malformed keys or signatures verify false. */
export function verifyEd25519(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const key = keyObject(publicKey);
  if (!key) return false;
  try {
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}
