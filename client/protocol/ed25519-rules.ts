/**
 * The protocol's extra Ed25519 rules (docs/protocol.md, "Signatures"): the checks libsodium's
 * `crypto_sign_verify_detached` makes before the curve equation — S below the group order L, the
 * key A a canonical encoding, neither A nor R a point of small order. Verifiers that do not apply
 * them on their own (OpenSSL through node:crypto, WebCrypto, tweetnacl) run these first, so every
 * implementation gives libsodium's verdicts.
 *
 * `strictRules` is self-contained on purpose (no imports, no Buffer): it runs in browsers, and the
 * node's verify worker threads build their copy from its source text, so there is one definition.
 */

export interface StrictRules {
  /** Whether a 32-byte encoding is one of a point of order 1, 2, 4 or 8 (top bit ignored). */
  smallOrder(point: Uint8Array): boolean;
  /** Whether a 32-byte point encoding has y below p = 2^255 - 19. */
  canonicalPoint(point: Uint8Array): boolean;
  /** Whether a 32-byte little-endian scalar is below the group order L. */
  canonicalScalar(scalar: Uint8Array): boolean;
  /** Every check above on a signature (R || S) and key A; false for wrong lengths. */
  admissible(signature: Uint8Array, publicKey: Uint8Array): boolean;
}

export function strictRules(): StrictRules {
  const hex = (h: string): Uint8Array => {
    const out = new Uint8Array(h.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
    return out;
  };
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
  const admissible = (signature: Uint8Array, publicKey: Uint8Array): boolean => {
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    if (!canonicalScalar(signature.subarray(32)) || smallOrder(signature.subarray(0, 32))) return false;
    return canonicalPoint(publicKey) && !smallOrder(publicKey);
  };
  return { smallOrder, canonicalPoint, canonicalScalar, admissible };
}
