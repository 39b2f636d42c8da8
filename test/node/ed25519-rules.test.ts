import * as crypto from "node:crypto";
import { loadSodium, makeVerifier, VERIFIER_BACKEND, verifyEd25519 } from "../../node/crypto/ed25519";
import vectors from "../vectors/ed25519-rfc8032.json";

// libsodium (an independent implementation of the strict rules) against our node:crypto fallback.
const sodium = loadSodium();
const viaSodium = makeVerifier(sodium, crypto);
const viaOpenSsl = makeVerifier(null, crypto);
const h = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));

const SPKI = Buffer.from("302a300506032b6570032100", "hex");
/** OpenSSL alone, without the extra checks. */
function rawOpenSsl(m: Uint8Array, sig: Uint8Array, pk: Uint8Array): boolean {
  try {
    return crypto.verify(null, m, crypto.createPublicKey({ key: Buffer.concat([SPKI, pk]), format: "der", type: "spki" }), sig);
  } catch {
    return false;
  }
}

const SMALL_ORDER = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
].map(h);

test("libsodium is the verifier on this platform", () => {
  expect(sodium).not.toBeNull();
  expect(VERIFIER_BACKEND).toBe("libsodium");
});

test("RFC 8032 vectors verify on both paths; a flipped bit fails on both", () => {
  for (const v of vectors.vectors) {
    const [m, s, a] = [h(v.message), h(v.signature), h(v.publicKey)];
    expect(viaSodium(m, s, a)).toBe(true);
    expect(viaOpenSsl(m, s, a)).toBe(true);
    expect(verifyEd25519(m, s, a)).toBe(true);
    for (const i of [0, 31, 32, 63]) {
      const bad = Uint8Array.from(s);
      bad[i] ^= 1;
      expect(viaSodium(m, bad, a)).toBe(false);
      expect(viaOpenSsl(m, bad, a)).toBe(false);
    }
  }
});

test("small-order keys with a signature OpenSSL alone accepts are refused by both paths", () => {
  // R = the identity, S = 0: [S]B = R + [k]A holds whenever [k]A is the identity, so for a
  // small-order A some messages verify under plain RFC 8032 (cofactorless) checks.
  const sig = new Uint8Array(64);
  sig[0] = 1; // R = encoding of the identity (y = 1)
  let openSslAccepted = 0;
  for (const a of SMALL_ORDER) {
    for (let i = 0; i < 64; i++) {
      const m = Uint8Array.of(i, 1, 2, 3);
      if (rawOpenSsl(m, sig, a)) openSslAccepted++;
      expect(viaSodium(m, sig, a)).toBe(false);
      expect(viaOpenSsl(m, sig, a)).toBe(false);
    }
  }
  // The extra rules are not vacuous: OpenSSL by itself takes some of these.
  expect(openSslAccepted).toBeGreaterThan(0);
});

test("non-canonical S, non-canonical A and small-order R are refused by both paths", () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ed25519");
  const a = Uint8Array.from(publicKey.export({ format: "der", type: "spki" }).subarray(12));
  const m = Uint8Array.from(crypto.randomBytes(32));
  const sig = Uint8Array.from(crypto.sign(null, m, privateKey));
  expect(viaSodium(m, sig, a)).toBe(true);
  expect(viaOpenSsl(m, sig, a)).toBe(true);
  // S + L (still below 2^256 when S's top byte is small, which holds for every canonical S).
  const L = h("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
  const sPlusL = Uint8Array.from(sig);
  let carry = 0;
  for (let i = 0; i < 32; i++) {
    const t = sig[32 + i] + L[i] + carry;
    sPlusL[32 + i] = t & 0xff;
    carry = t >> 8;
  }
  expect(viaSodium(m, sPlusL, a)).toBe(false);
  expect(viaOpenSsl(m, sPlusL, a)).toBe(false);
  // y = p + 2 .. p + 18: encodings of small y values that are not canonical.
  for (let low = 0xef; low <= 0xff; low++) {
    const nonCanonical = h("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    nonCanonical[0] = low;
    expect(viaSodium(m, sig, nonCanonical)).toBe(false);
    expect(viaOpenSsl(m, sig, nonCanonical)).toBe(false);
  }
  for (const r of SMALL_ORDER) {
    const s2 = Uint8Array.from(sig);
    s2.set(r, 0);
    expect(viaSodium(m, s2, a)).toBe(false);
    expect(viaOpenSsl(m, s2, a)).toBe(false);
  }
});

test("both paths agree on 2,000 random and damaged signatures", () => {
  const keys = Array.from({ length: 5 }, () => crypto.generateKeyPairSync("ed25519"));
  for (let i = 0; i < 2000; i++) {
    const k = keys[i % keys.length];
    const a = Uint8Array.from(k.publicKey.export({ format: "der", type: "spki" }).subarray(12));
    const m = Uint8Array.from(crypto.randomBytes(32));
    const s = Uint8Array.from(crypto.sign(null, m, k.privateKey));
    if (i % 3 === 1) s[i % 64] ^= 1 << i % 8;
    if (i % 3 === 2) a[i % 32] ^= 1 << i % 8;
    expect(viaOpenSsl(m, s, a)).toBe(viaSodium(m, s, a));
    if (i % 3 === 0) expect(viaSodium(m, s, a)).toBe(true);
  }
});
