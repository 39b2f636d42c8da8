/**
 * Every Ed25519 implementation of the client — libsodium and node:crypto (Node), WebCrypto and
 * tweetnacl (browsers), and what each platform entry picks — gives libsodium's verdict on the
 * strict-rule edge cases the node is tested with (./_ed25519-cases.ts), one by one and in batches;
 * signs byte-identically (RFC 8032 vectors, and many random keys and messages); and the stream
 * verifier refuses what the node refuses.
 */
import * as crypto from "node:crypto";
import nacl from "tweetnacl";
import type { Ed25519Backend } from "../../../client/protocol/ed25519-backend";
import { loadSodium, nodeEd25519 } from "../../../client/protocol/ed25519-node";
import { naclEd25519 } from "../../../client/protocol/ed25519-nacl";
import { webCryptoEd25519, webCryptoHasEd25519 } from "../../../client/protocol/ed25519-webcrypto";
import * as nodePlatform from "../../../client/protocol/ed25519";
import * as browserPlatform from "../../../client/protocol/ed25519.browser";
import { encodeAttached, encodeEssence, signingHash, transactionId } from "../../../client/protocol/codec";
import { keyPairFromSeed, signEssence, verifyEssence, verifyEssenceNacl } from "../../../client/protocol/keys";
import { toHex } from "../../../client/protocol/bytes";
import { verifyRecords } from "../../../client/gateway/verify";
import vectors from "../../vectors/ed25519-rfc8032.json";
import { Case, encodingCases, h, randomCases, rfcCases, smallOrderKeyCases } from "./_ed25519-cases";
import { PROTOCOL_VERSION } from "../../../client/protocol/limits";

const sodium = loadSodium()!;
const subtle = globalThis.crypto.subtle;
const nacl0 = naclEd25519();
// tweetnacl runs at a few hundred verifications a second (tens under jest on a busy machine): where
// it does the work (every `verify` of the browser side) the random group is cut to its first
// SLOW_CASES; every other case runs everywhere. Columns: name, backend, most cases for `verify`,
// most cases for `verifyMany`.
const SLOW_CASES = 30;
const backends: [string, Ed25519Backend, number, number][] = [
  ["libsodium", nodeEd25519(sodium), Infinity, Infinity],
  ["node:crypto", nodeEd25519(null), Infinity, Infinity],
  ["tweetnacl", nacl0, SLOW_CASES, SLOW_CASES],
  ["webcrypto", webCryptoEd25519(subtle, nacl0), SLOW_CASES, Infinity],
  ["Node entry", nodePlatform.ed25519, Infinity, Infinity],
  ["browser entry (sync)", browserPlatform.ed25519, SLOW_CASES, SLOW_CASES],
];

const randomCases300 = () => randomCases(300);
const groups: [string, () => Case[]][] = [
  ["RFC 8032 vectors and flipped bits", rfcCases],
  ["small-order keys (R = identity, S = 0)", smallOrderKeyCases],
  ["non-canonical S and A, small-order R", encodingCases],
  ["300 random and damaged signatures", randomCases300],
];

/** libsodium's own verdict, straight from the library. */
const libsodium = (c: Case) => c.signature.length === 64 && c.publicKey.length === 32 && sodium.crypto_sign_verify_detached(c.signature, c.message, c.publicKey);

describe.each(groups)("%s", (_group, make) => {
  const cases = make();

  test("the cases' verdicts are libsodium's", () => {
    for (const c of cases) if (c.valid !== undefined) expect([c.label, libsodium(c)]).toEqual([c.label, c.valid]);
  });

  test.each(backends)("%s agrees with libsodium, one by one and in a batch", async (_name, b, mostSync, mostBatch) => {
    const some = (most: number) => (make === randomCases300 ? cases.slice(0, most) : cases);
    const one = some(mostSync);
    expect(one.map((c) => b.verify(c.message, c.signature, c.publicKey))).toEqual(one.map(libsodium));
    const many = some(mostBatch);
    expect(await b.verifyMany(many)).toEqual(many.map(libsodium));
  });

  test("the browser entry's batch verifier agrees with libsodium", async () => {
    const b = await browserPlatform.ed25519Verifier();
    expect(await b.verifyMany(cases)).toEqual(cases.map(libsodium));
  });
});

test("wrong lengths are refused, not thrown, by every implementation", async () => {
  const bad: Case[] = [
    { label: "short key", message: new Uint8Array(32), signature: new Uint8Array(64), publicKey: new Uint8Array(31) },
    { label: "short signature", message: new Uint8Array(32), signature: new Uint8Array(63), publicKey: new Uint8Array(32) },
    { label: "long signature", message: new Uint8Array(32), signature: new Uint8Array(65), publicKey: h(vectors.vectors[0].publicKey) },
  ];
  for (const [, b] of backends) {
    for (const c of bad) expect(b.verify(c.message, c.signature, c.publicKey)).toBe(false);
    expect(await b.verifyMany(bad)).toEqual([false, false, false]);
  }
});

test("platform choice: libsodium in Node; WebCrypto for the browser entry where it has Ed25519", async () => {
  expect(nodePlatform.ed25519.name).toBe("libsodium");
  expect((await nodePlatform.ed25519Verifier()).name).toBe("libsodium");
  expect(await webCryptoHasEd25519(subtle)).toBe(true);
  expect((await browserPlatform.ed25519Verifier()).name).toBe("webcrypto");
  expect(browserPlatform.ed25519.name).toBe("tweetnacl");
});

test("the feature test says no for a missing or Ed25519-less WebCrypto, and the browser entry falls back to tweetnacl", async () => {
  expect(await webCryptoHasEd25519(undefined)).toBe(false);
  const noEd25519 = { importKey: () => Promise.reject(new DOMException("Unrecognized name", "NotSupportedError")), verify: () => Promise.resolve(true) } as unknown as SubtleCrypto;
  expect(await webCryptoHasEd25519(noEd25519)).toBe(false);
  // A verifier that says yes to everything is not taken either.
  const yes = { importKey: subtle.importKey.bind(subtle), verify: () => Promise.resolve(true) } as unknown as SubtleCrypto;
  expect(await webCryptoHasEd25519(yes)).toBe(false);
  const saved = Object.getOwnPropertyDescriptor(globalThis, "crypto")!;
  Object.defineProperty(globalThis, "crypto", { value: undefined, configurable: true });
  try {
    let fresh: typeof browserPlatform | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      fresh = require("../../../client/protocol/ed25519.browser");
    });
    const b = await fresh!.ed25519Verifier();
    expect(b.name).toBe("tweetnacl");
    const cases = encodingCases();
    expect(await b.verifyMany(cases)).toEqual(cases.map(libsodium));
  } finally {
    Object.defineProperty(globalThis, "crypto", saved);
  }
});

describe("signing", () => {
  const signers: [string, Ed25519Backend, number][] = [
    ["libsodium", nodeEd25519(sodium), Infinity],
    ["node:crypto", nodeEd25519(null), Infinity],
    ["tweetnacl", nacl0, SLOW_CASES],
    ["Node entry", nodePlatform.ed25519, Infinity],
    ["browser entry", browserPlatform.ed25519, SLOW_CASES],
  ];

  test.each(signers)("%s: the RFC 8032 keys and signatures", (_name, b) => {
    for (const v of vectors.vectors) {
      const kp = b.keyPairFromSeed(h(v.secretKey));
      expect(toHex(kp.publicKey)).toBe(v.publicKey);
      expect(toHex(kp.secretKey)).toBe(v.secretKey + v.publicKey);
      expect(toHex(b.sign(h(v.message), kp.secretKey))).toBe(v.signature);
    }
  });

  test("every signer gives the same signature, byte for byte, on 1,000 keys and messages (tweetnacl's on the first 30)", () => {
    const openssl = signers[1][1];
    for (let i = 0; i < 1000; i++) {
      const seed = Uint8Array.from(crypto.randomBytes(32));
      const message = Uint8Array.from(crypto.randomBytes(i % 300));
      const ref = openssl.keyPairFromSeed(seed);
      const want = toHex(openssl.sign(message, ref.secretKey));
      expect(openssl.verify(message, h(want), ref.publicKey)).toBe(true);
      if (i < SLOW_CASES) {
        const naclKeys = nacl.sign.keyPair.fromSeed(seed);
        expect(toHex(naclKeys.secretKey)).toBe(toHex(ref.secretKey));
        expect(toHex(nacl.sign.detached(message, naclKeys.secretKey))).toBe(want);
      }
      for (const [name, b, most] of signers) {
        if (i >= most) continue;
        const kp = b.keyPairFromSeed(seed);
        expect([name, toHex(kp.secretKey)]).toEqual([name, toHex(ref.secretKey)]);
        expect([name, toHex(b.sign(message, kp.secretKey))]).toEqual([name, want]);
      }
    }
  });

  test("signEssence signs the signing hash, verifyEssence checks it under the strict rules", () => {
    const kp = keyPairFromSeed(h(vectors.vectors[1].secretKey));
    const essence = encodeEssence({ version: PROTOCOL_VERSION, networkId: 7, issuer: kp.publicKey, payload: { type: "data", streamId: new Uint8Array(32).fill(3), sequence: 0, prevRecordId: new Uint8Array(32), contentType: "text/plain", data: Uint8Array.of(1, 2, 3) } });
    const sig = signEssence(essence, kp.secretKey);
    expect(toHex(sig)).toBe(toHex(nacl.sign.detached(signingHash(essence), kp.secretKey)));
    expect(verifyEssence(essence, sig, kp.publicKey)).toBe(true);
    sig[40] ^= 1;
    expect(verifyEssence(essence, sig, kp.publicKey)).toBe(false);
    expect(() => signEssence(essence, kp.secretKey.subarray(0, 32))).toThrow(expect.objectContaining({ code: "ERR_TX_BAD_FIELD" }));
  });
});

test("the stream verifier refuses a record signed under the identity as key, which plain tweetnacl accepts and the node refuses", async () => {
  // A = identity, R = identity, S = 0: [0]B = R + [k]A for every message.
  const identity = h("0100000000000000000000000000000000000000000000000000000000000000");
  const signature = new Uint8Array(64);
  signature[0] = 1;
  const essence = encodeEssence({ version: PROTOCOL_VERSION, networkId: 7, issuer: identity, payload: { type: "data", streamId: new Uint8Array(32).fill(9), sequence: 0, prevRecordId: new Uint8Array(32), contentType: "text/plain", data: Uint8Array.of(42) } });
  expect(verifyEssenceNacl(essence, signature, identity)).toBe(true);
  expect(verifyEssence(essence, signature, identity)).toBe(false);
  const bytes = encodeAttached(essence, signature, 1_700_000_000_000, [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)], 0n);
  const report = await verifyRecords(new Uint8Array(32).fill(9), [{ sequence: 0, id: toHex(transactionId(bytes)), bytes, confirmedBy: null }]);
  expect(report.ok).toBe(false);
  expect(report.problems.map((p) => p.kind)).toEqual(["bad-signature"]);
});
