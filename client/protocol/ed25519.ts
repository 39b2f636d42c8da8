/**
 * Ed25519 for this platform, in Node: libsodium, or node:crypto where its binary is missing
 * (client/protocol/ed25519-node.ts). Browser bundles swap this file for ed25519.browser.ts
 * (client/browser/bundle.ts), which verifies on WebCrypto where the browser has Ed25519 and on
 * tweetnacl otherwise. Both files export the same names.
 */
import type { Ed25519Backend } from "./ed25519-backend";
import { nodeEd25519 } from "./ed25519-node";

export type { Ed25519Backend, Ed25519BackendName, SignatureCheck } from "./ed25519-backend";

/** Signing and synchronous verification (strict) on this platform. */
export const ed25519: Ed25519Backend = nodeEd25519();

/** The fastest verifier of many signatures here (in Node, the same as `ed25519`). */
export function ed25519Verifier(): Promise<Ed25519Backend> {
  return Promise.resolve(ed25519);
}
