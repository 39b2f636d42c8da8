/**
 * The browser bundle's Ed25519, run in Node: the bundle esbuild builds for browsers
 * (client/browser/bundle.ts) is evaluated in a fresh V8 context with only what a page offers —
 * once with WebCrypto (Node's `crypto.subtle`, which has Ed25519) and once without any `crypto` —
 * and its verifier must pick WebCrypto, then tweetnacl, and give libsodium's verdicts on the
 * strict-rule edge cases either way. (test/client/browser.test.ts runs the same bundle in Chromium.)
 */
import * as vm from "node:vm";
import { bundleBrowserClient, BrowserBundle } from "../../../client/browser/bundle";
import { loadSodium } from "../../../client/protocol/ed25519-node";
import { Case, encodingCases, randomCases, rfcCases, smallOrderKeyCases } from "./_ed25519-cases";

const sodium = loadSodium()!;
const libsodium = (c: Case) => sodium.crypto_sign_verify_detached(c.signature, c.message, c.publicKey);

let bundle: BrowserBundle;
beforeAll(async () => {
  bundle = await bundleBrowserClient({ minify: true });
}, 60_000);

/** The bundle's global `tangle` in a new context; `crypto` only when given. */
function load(withCrypto: boolean) {
  const page: Record<string, unknown> = { console, setTimeout, clearTimeout, TextEncoder, TextDecoder, WebAssembly };
  if (withCrypto) page.crypto = globalThis.crypto;
  const ctx = vm.createContext(page);
  vm.runInContext("globalThis.self = globalThis;", ctx);
  vm.runInContext(bundle.code, ctx);
  const U8 = vm.runInContext("Uint8Array", ctx) as Uint8ArrayConstructor;
  // The page's own Uint8Array (tweetnacl checks instanceof).
  const local = (c: Case) => ({ message: new U8(c.message), signature: new U8(c.signature), publicKey: new U8(c.publicKey) });
  return { tangle: (ctx as unknown as { tangle: any }).tangle, local };
}

const cases = (): Case[] => [...rfcCases(), ...smallOrderKeyCases(), ...encodingCases(), ...randomCases(30)];

test("the bundle holds the browser Ed25519 and none of the Node one", () => {
  expect(bundle.inputs).toEqual(expect.arrayContaining(["client/protocol/ed25519.browser.ts", "client/protocol/ed25519-webcrypto.ts", "client/protocol/ed25519-rules.ts"]));
  for (const f of bundle.inputs) expect(f).not.toMatch(/sodium-native|client\/protocol\/ed25519(-node)?\.ts$/);
});

test("with WebCrypto: the bundle verifies on it, with libsodium's verdicts", async () => {
  const { tangle, local } = load(true);
  const verifier = await tangle.ed25519Verifier();
  expect(verifier.name).toBe("webcrypto");
  const cs = cases();
  expect(await verifier.verifyMany(cs.map(local))).toEqual(cs.map(libsodium));
});

test("without WebCrypto: the bundle falls back to tweetnacl, with libsodium's verdicts", async () => {
  const { tangle, local } = load(false);
  const verifier = await tangle.ed25519Verifier();
  expect(verifier.name).toBe("tweetnacl");
  expect(tangle.ed25519.name).toBe("tweetnacl");
  const cs = cases();
  expect(await verifier.verifyMany(cs.map(local))).toEqual(cs.map(libsodium));
  expect(cs.map(local).map((c) => tangle.ed25519.verify(c.message, c.signature, c.publicKey))).toEqual(cs.map(libsodium));
}, 120_000);
