/**
 * The strict-rule edge cases of Ed25519 (docs/protocol.md, "Signatures"), shared by the node's
 * tests (test/node/ed25519-rules.test.ts) and the client's (test/client/protocol/ed25519.test.ts),
 * so every implementation is held to the same cases. `valid` is the verdict the rules require,
 * known from how the case is built; where it is undefined (randomly damaged signatures) the
 * verdict must be libsodium's.
 */
import * as crypto from "node:crypto";
import vectors from "../../vectors/ed25519-rfc8032.json";

export interface Case {
  label: string;
  message: Uint8Array;
  signature: Uint8Array;
  publicKey: Uint8Array;
  valid?: boolean;
}

export const h = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));

export const SMALL_ORDER = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
].map(h);

const SPKI = Buffer.from("302a300506032b6570032100", "hex");
/** OpenSSL alone, without the extra checks. */
export function rawOpenSsl(m: Uint8Array, sig: Uint8Array, pk: Uint8Array): boolean {
  try {
    return crypto.verify(null, m, crypto.createPublicKey({ key: Buffer.concat([SPKI, pk]), format: "der", type: "spki" }), sig);
  } catch {
    return false;
  }
}

/** RFC 8032 section 7.1 vectors (valid), and each with one bit flipped at bytes 0, 31, 32, 63. */
export function rfcCases(): Case[] {
  const out: Case[] = [];
  vectors.vectors.forEach((v, n) => {
    const [message, signature, publicKey] = [h(v.message), h(v.signature), h(v.publicKey)];
    out.push({ label: `RFC 8032 test ${n + 1}`, message, signature, publicKey, valid: true });
    for (const i of [0, 31, 32, 63]) {
      const bad = Uint8Array.from(signature);
      bad[i] ^= 1;
      out.push({ label: `RFC 8032 test ${n + 1}, byte ${i} flipped`, message, signature: bad, publicKey, valid: false });
    }
  });
  return out;
}

/**
 * R = the identity, S = 0, under each small-order key and 64 messages: [S]B = R + [k]A holds
 * whenever [k]A is the identity, so plain RFC 8032 (cofactorless) accepts some of these.
 */
export function smallOrderKeyCases(): Case[] {
  const signature = new Uint8Array(64);
  signature[0] = 1; // R = encoding of the identity (y = 1)
  const out: Case[] = [];
  for (const publicKey of SMALL_ORDER) {
    for (let i = 0; i < 64; i++) out.push({ label: `small-order A ${Buffer.from(publicKey).toString("hex").slice(0, 8)}…, message ${i}`, message: Uint8Array.of(i, 1, 2, 3), signature, publicKey, valid: false });
  }
  return out;
}

/** A valid signature, then the same with S + L, with non-canonical encodings of A, with small-order R. */
export function encodingCases(): Case[] {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ed25519");
  const a = Uint8Array.from(publicKey.export({ format: "der", type: "spki" }).subarray(12));
  const m = Uint8Array.from(crypto.randomBytes(32));
  const sig = Uint8Array.from(crypto.sign(null, m, privateKey));
  const out: Case[] = [{ label: "valid", message: m, signature: sig, publicKey: a, valid: true }];
  // S + L (still below 2^256 when S's top byte is small, which holds for every canonical S).
  const L = h("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
  const sPlusL = Uint8Array.from(sig);
  let carry = 0;
  for (let i = 0; i < 32; i++) {
    const t = sig[32 + i] + L[i] + carry;
    sPlusL[32 + i] = t & 0xff;
    carry = t >> 8;
  }
  out.push({ label: "S + L", message: m, signature: sPlusL, publicKey: a, valid: false });
  // y = p + 2 .. p + 18: encodings of small y values that are not canonical.
  for (let low = 0xef; low <= 0xff; low++) {
    const nonCanonical = h("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    nonCanonical[0] = low;
    out.push({ label: `non-canonical A ${low.toString(16)}ff…7f`, message: m, signature: sig, publicKey: nonCanonical, valid: false });
  }
  for (const r of SMALL_ORDER) {
    const s2 = Uint8Array.from(sig);
    s2.set(r, 0);
    out.push({ label: `small-order R ${Buffer.from(r).toString("hex").slice(0, 8)}…`, message: m, signature: s2, publicKey: a, valid: false });
  }
  return out;
}

/** `n` signatures by 5 keys: every third valid, every third with a bit of S or R flipped, every third with a bit of A flipped. */
export function randomCases(n = 2000): Case[] {
  const keys = Array.from({ length: 5 }, () => crypto.generateKeyPairSync("ed25519"));
  const out: Case[] = [];
  for (let i = 0; i < n; i++) {
    const k = keys[i % keys.length];
    const a = Uint8Array.from(k.publicKey.export({ format: "der", type: "spki" }).subarray(12));
    const m = Uint8Array.from(crypto.randomBytes(32));
    const s = Uint8Array.from(crypto.sign(null, m, k.privateKey));
    if (i % 3 === 1) s[i % 64] ^= 1 << i % 8;
    if (i % 3 === 2) a[i % 32] ^= 1 << i % 8;
    out.push({ label: `random ${i}`, message: m, signature: s, publicKey: a, valid: i % 3 === 0 ? true : undefined });
  }
  return out;
}
