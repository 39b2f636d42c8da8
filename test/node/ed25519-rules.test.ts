/**
 * The node's Ed25519 verifier under the strict rules (node/crypto/ed25519.ts): libsodium is the
 * verifier here, and the node:crypto fallback agrees with it on the RFC 8032 vectors, on small-order
 * keys that OpenSSL alone would accept, on non-canonical S and A and small-order R, and on 2,000
 * random and damaged signatures. The cases are shared with the client's implementations.
 */
import * as crypto from "node:crypto";
import { loadSodium, makeVerifier, strictRules, VERIFIER_BACKEND, verifyEd25519 } from "../../node/crypto/ed25519";
import { encodingCases, randomCases, rawOpenSsl, rfcCases, smallOrderKeyCases } from "../client/protocol/_ed25519-cases";

// libsodium (an independent implementation of the strict rules) against our node:crypto fallback.
// The cases are shared with the client's implementations (test/client/protocol/ed25519.test.ts).
const sodium = loadSodium();
const viaSodium = makeVerifier(sodium, crypto, strictRules());
const viaOpenSsl = makeVerifier(null, crypto, strictRules());

test("libsodium is the verifier on this platform", () => {
  expect(sodium).not.toBeNull();
  expect(VERIFIER_BACKEND).toBe("libsodium");
});

test("RFC 8032 vectors verify on both paths; a flipped bit fails on both", () => {
  for (const c of rfcCases()) {
    expect([c.label, viaSodium(c.message, c.signature, c.publicKey)]).toEqual([c.label, c.valid]);
    expect([c.label, viaOpenSsl(c.message, c.signature, c.publicKey)]).toEqual([c.label, c.valid]);
    if (c.valid) expect(verifyEd25519(c.message, c.signature, c.publicKey)).toBe(true);
  }
});

test("small-order keys with a signature OpenSSL alone accepts are refused by both paths", () => {
  let openSslAccepted = 0;
  for (const c of smallOrderKeyCases()) {
    if (rawOpenSsl(c.message, c.signature, c.publicKey)) openSslAccepted++;
    expect(viaSodium(c.message, c.signature, c.publicKey)).toBe(false);
    expect(viaOpenSsl(c.message, c.signature, c.publicKey)).toBe(false);
  }
  // The extra rules are not vacuous: OpenSSL by itself takes some of these.
  expect(openSslAccepted).toBeGreaterThan(0);
});

test("non-canonical S, non-canonical A and small-order R are refused by both paths", () => {
  const cases = encodingCases();
  expect(cases.filter((c) => c.valid === false).length).toBe(1 + 17 + 7);
  for (const c of cases) {
    expect([c.label, viaSodium(c.message, c.signature, c.publicKey)]).toEqual([c.label, c.valid]);
    expect([c.label, viaOpenSsl(c.message, c.signature, c.publicKey)]).toEqual([c.label, c.valid]);
  }
});

test("both paths agree on 2,000 random and damaged signatures", () => {
  const cases = randomCases(2000);
  for (const c of cases) {
    expect(viaOpenSsl(c.message, c.signature, c.publicKey)).toBe(viaSodium(c.message, c.signature, c.publicKey));
    if (c.valid) expect(viaSodium(c.message, c.signature, c.publicKey)).toBe(true);
  }
  // Neither kind is rare, so agreement means something on both sides.
  expect(cases.filter((c) => c.valid).length).toBeGreaterThan(100);
  expect(cases.filter((c) => !c.valid).length).toBeGreaterThan(100);
});
