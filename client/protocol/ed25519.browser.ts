/**
 * Browser twin of ed25519.ts (swapped in by client/browser/bundle.ts): verification of many
 * signatures on WebCrypto Ed25519 where the browser has it (feature-tested once, with an RFC 8032
 * vector), after the strict rules; signing and synchronous verification on tweetnacl (WebCrypto
 * has no synchronous calls), also after the strict rules.
 */
import type { Ed25519Backend } from "./ed25519-backend";
import { naclEd25519 } from "./ed25519-nacl";
import { webCryptoEd25519, webCryptoHasEd25519 } from "./ed25519-webcrypto";

export type { Ed25519Backend, Ed25519BackendName, SignatureCheck } from "./ed25519-backend";

/** Signing and synchronous verification (strict): tweetnacl. */
export const ed25519: Ed25519Backend = naclEd25519();

let chosen: Promise<Ed25519Backend> | undefined;

/** WebCrypto when it verifies Ed25519 here, else tweetnacl; decided on the first call. */
export function ed25519Verifier(): Promise<Ed25519Backend> {
  chosen ??= (async () => {
    const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
    return subtle && (await webCryptoHasEd25519(subtle)) ? webCryptoEd25519(subtle, ed25519) : ed25519;
  })();
  return chosen;
}
