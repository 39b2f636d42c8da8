/**
 * The client library, for Node and browsers alike: protocol codec, keys, the API client, the
 * wallet, the gateway SDK and the stream verifier. Nothing reachable from here imports a Node
 * module. Node programs use ./node.ts (which adds `ws`, worker-thread PoW and the LMDB outbox);
 * browser bundles use ./browser.ts (which adds Web Worker PoW and the embedded WASM core).
 */
export * from "./api";
export * from "./wallet";
export * from "./gateway";
export { attachAndSubmit, prepareAttachment, milestoneIntervalOf, nodeInfoOf, REATTACHABLE_CODES } from "./attach";
export type { AttachEvent, AttachOptions, Attachment, RemotePowPolicy, Submitted } from "./attach";
export { confirmWithReattach, waitForConfirmation } from "./confirm";
export type { ConfirmEvent, ConfirmOptions, ConfirmResult } from "./confirm";
export { InlinePow, POW_ABORTED } from "./local-pow";
export type { LocalPow, LocalPowOptions, LocalPowProgress, LocalPowResult } from "./local-pow";
export * from "./protocol/codec";
export { attach, signTransaction, signedPart, stampSync } from "./protocol/build";
export type { SignedEssence } from "./protocol/build";
export { addressOf, keyPairFromSeed, randomKeyPair, signEssence, verifyEssenceNacl } from "./protocol/keys";
export type { KeyPair } from "./protocol/keys";
export { concatBytes, equalBytes, fromHex, toHex } from "./protocol/bytes";
export { ProtocolError, ProtocolErrorCode } from "./protocol/errors";
export { CodedError, Code, CODES, isCode, CONFLICT_REASONS, isConflictReason } from "./protocol/codes";
export type { CodeInfo, CodeLayer } from "./protocol/codes";
export {
  decodeInclusionProof,
  encodeInclusionProof,
  inclusionProofFromJson,
  inclusionProofToJson,
  merkleAuditPath,
  rootFromAuditPath,
  verifyInclusionProof,
  verifyInclusionProofAny,
} from "./protocol/inclusion-proof";
export type { AuditPath, InclusionProof, InclusionProofJson, InclusionVerdict, LedgerEffect, ProofTrustRoot } from "./protocol/inclusion-proof";
export * as limits from "./protocol/limits";
export { initCore, setCoreModule, coreModule } from "../core-wasm/src/module";
export { blake2b, blake2b256 } from "../core-wasm/src/blake2b";
export { powThreshold, powWork, validatePow } from "../core-wasm/src/pow";
