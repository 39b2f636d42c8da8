/**
 * Ed25519 signature verification as the protocol defines it (docs/protocol.md, "Signatures"):
 * RFC 8032 with libsodium's strict rules — S below the group order L, the public key A a canonical
 * encoding, neither A nor R a point of small order — so every node reaches the same verdict.
 *
 * The implementation is the client's (client/protocol/ed25519-node.ts, rules in
 * client/protocol/ed25519-rules.ts): libsodium (`sodium-native`), or where its binary is missing
 * Node's built-in verifier (OpenSSL) after the same rules, with the same verdicts
 * (test/node/ed25519-rules.test.ts holds both to that). The node and its clients share one copy.
 */
import { ed25519 } from "../../client/protocol/ed25519";

export { loadSodium, makeVerifier } from "../../client/protocol/ed25519-node";
export type { SodiumLike, Verifier } from "../../client/protocol/ed25519-node";
export { strictRules } from "../../client/protocol/ed25519-rules";

/** Which implementation this process verifies with. */
export const VERIFIER_BACKEND = ed25519.name as "libsodium" | "node:crypto";

/** Verifies an Ed25519 signature under the protocol's rules. Never throws. */
export function verifyEd25519(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  return ed25519.verify(message, signature, publicKey);
}
