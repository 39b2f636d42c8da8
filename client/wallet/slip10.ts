/**
 * SLIP-0010 key derivation for Ed25519 (https://github.com/satoshilabs/slips/blob/master/slip-0010.md),
 * written over noble's HMAC-SHA512 because it is a dozen lines. Ed25519 has hardened children only:
 * every index in a path is hardened (i + 2^31), and unhardened indexes are refused.
 *
 *   master:  I = HMAC-SHA512(key = "ed25519 seed", data = seed);          key = I[0..32), chain = I[32..64)
 *   child i: I = HMAC-SHA512(key = chain, data = 0x00 ‖ key ‖ ser32(i));   same split
 *
 * The 32-byte key is the Ed25519 seed (RFC 8032 private key) of the node's key pair.
 */
import { hmac } from "@noble/hashes/hmac";
import { sha512 } from "@noble/hashes/sha2";

export const HARDENED = 0x80000000;

export interface Slip10Node {
  /** Ed25519 seed (RFC 8032 private key). */
  key: Uint8Array;
  chainCode: Uint8Array;
}

const SEED_KEY = new TextEncoder().encode("ed25519 seed");

function split(i: Uint8Array): Slip10Node {
  return { key: i.slice(0, 32), chainCode: i.slice(32, 64) };
}

export function masterNode(seed: Uint8Array): Slip10Node {
  if (!(seed instanceof Uint8Array) || seed.length < 16 || seed.length > 64) throw new TypeError("seed must be 16..64 bytes");
  return split(hmac(sha512, SEED_KEY, seed));
}

/** Child `index` (hardened: pass i + HARDENED, or use derivePath's `'` notation). */
export function childNode(parent: Slip10Node, index: number): Slip10Node {
  if (!Number.isInteger(index) || index < HARDENED || index > 0xffffffff) {
    throw new TypeError(`ed25519 derivation is hardened only: index must be in [2^31, 2^32), got ${index}`);
  }
  const data = new Uint8Array(37);
  data.set(parent.key, 1);
  new DataView(data.buffer).setUint32(33, index, false);
  return split(hmac(sha512, parent.chainCode, data));
}

/** Parses "m/44'/7467'/0'/0'/5'" into indexes; every segment must be hardened. */
export function parsePath(path: string): number[] {
  if (typeof path !== "string" || !/^m(\/\d+['hH])*$/.test(path)) throw new TypeError(`path must look like m/44'/0'/…, every segment hardened, got '${String(path)}'`);
  return path
    .split("/")
    .slice(1)
    .map((seg) => {
      const n = Number(seg.slice(0, -1));
      if (n >= HARDENED) throw new TypeError(`path segment ${seg} is out of range`);
      return n + HARDENED;
    });
}

export function derivePath(seed: Uint8Array, path: string): Slip10Node {
  return parsePath(path).reduce(childNode, masterNode(seed));
}
