/**
 * Ed25519 verification on WebCrypto (`crypto.subtle`), where the browser has it: native code, and
 * asynchronous, so many signatures are checked in one batch of promises. WebCrypto applies plain
 * RFC 8032 (BoringSSL, NSS): the strict rules run first, as they do before node:crypto. Signing
 * and the synchronous `verify` stay on the fallback (WebCrypto has no synchronous calls).
 */
import type { Ed25519Backend } from "./ed25519-backend";
import { strictRules, StrictRules } from "./ed25519-rules";

const ALGORITHM = { name: "Ed25519" } as const;
/** Imported keys kept (a stream has one issuer; a node's traffic has many). */
const MAX_CACHED_KEYS = 4096;

const bytes = (u: Uint8Array) => u as unknown as BufferSource;

// RFC 8032 section 7.1, TEST 2: the feature test.
const PROBE = {
  publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
  message: "72",
  signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
};

function fromHexUnchecked(h: string): Uint8Array {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Whether `subtle` verifies Ed25519 correctly: a known-good signature passes, a damaged one fails. */
export async function webCryptoHasEd25519(subtle: SubtleCrypto | undefined): Promise<boolean> {
  if (!subtle || typeof subtle.importKey !== "function" || typeof subtle.verify !== "function") return false;
  try {
    const key = await subtle.importKey("raw", bytes(fromHexUnchecked(PROBE.publicKey)), ALGORITHM, false, ["verify"]);
    const sig = fromHexUnchecked(PROBE.signature);
    const good = await subtle.verify(ALGORITHM, key, bytes(sig), bytes(fromHexUnchecked(PROBE.message)));
    sig[5] ^= 1;
    const bad = await subtle.verify(ALGORITHM, key, bytes(sig), bytes(fromHexUnchecked(PROBE.message)));
    return good === true && bad === false;
  } catch {
    return false;
  }
}

/** A backend that verifies on `subtle` (check `webCryptoHasEd25519` first) and signs with `fallback`. */
export function webCryptoEd25519(subtle: SubtleCrypto, fallback: Ed25519Backend, rules: StrictRules = strictRules()): Ed25519Backend {
  const keys = new Map<string, Promise<CryptoKey | null>>();
  const keyOf = (publicKey: Uint8Array): Promise<CryptoKey | null> => {
    let k = "";
    for (let i = 0; i < 32; i++) k += publicKey[i].toString(16).padStart(2, "0");
    let key = keys.get(k);
    if (key) return key;
    key = subtle.importKey("raw", bytes(publicKey.slice()), ALGORITHM, false, ["verify"]).then(
      (c) => c,
      () => null,
    );
    if (keys.size >= MAX_CACHED_KEYS) keys.delete(keys.keys().next().value as string);
    keys.set(k, key);
    return key;
  };
  const one = async (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): Promise<boolean> => {
    if (!rules.admissible(signature, publicKey)) return false;
    const key = await keyOf(publicKey);
    if (!key) return false;
    try {
      return await subtle.verify(ALGORITHM, key, bytes(signature), bytes(message));
    } catch {
      return false;
    }
  };
  return {
    name: "webcrypto",
    verify: fallback.verify,
    verifyMany: (items) => Promise.all(items.map((it) => one(it.message, it.signature, it.publicKey))),
    sign: fallback.sign,
    keyPairFromSeed: fallback.keyPairFromSeed,
  };
}
