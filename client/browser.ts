/**
 * The client library's browser entry point (bundle it with client/browser/bundle.ts): everything in
 * ./index.ts, plus proof of work on Web Workers. The WASM core is embedded in the bundle; call
 * `await initCore()` once before anything hashes (browsers compile modules of this size only
 * asynchronously on the main thread). The WebSocket is the browser's own.
 */
export * from "./index";
export { WebPowPool } from "./pow-web";
export { ed25519, ed25519Verifier } from "./protocol/ed25519";
export type { Ed25519Backend, Ed25519BackendName, SignatureCheck } from "./protocol/ed25519";
export { verifyEssence } from "./protocol/keys";
