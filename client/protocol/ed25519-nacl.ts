/**
 * Ed25519 on tweetnacl (pure JavaScript): the implementation that runs everywhere, and the
 * fallback of browsers without WebCrypto Ed25519. About 200 verifications a second on a server
 * core, a hundred times slower than libsodium (bench/verify), so it is never the first choice.
 * tweetnacl checks neither the encoding of S and A nor small orders: the strict rules run first.
 */
import nacl from "tweetnacl";
import type { Ed25519Backend, SignatureCheck } from "./ed25519-backend";
import { strictRules, StrictRules } from "./ed25519-rules";

/** Verdicts computed per item, yielding to the event loop between slices (browsers keep painting). */
async function inSlices(items: readonly SignatureCheck[], verify: Ed25519Backend["verify"], slice: number): Promise<boolean[]> {
  const out: boolean[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && i % slice === 0) await new Promise((r) => setTimeout(r, 0));
    out[i] = verify(items[i].message, items[i].signature, items[i].publicKey);
  }
  return out;
}

export function naclEd25519(rules: StrictRules = strictRules()): Ed25519Backend {
  const verify = (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean =>
    rules.admissible(signature, publicKey) && nacl.sign.detached.verify(message, signature, publicKey);
  return {
    name: "tweetnacl",
    verify,
    verifyMany: (items) => inSlices(items, verify, 32),
    sign: (message, secretKey) => nacl.sign.detached(message, secretKey),
    keyPairFromSeed: (seed) => nacl.sign.keyPair.fromSeed(seed),
  };
}
