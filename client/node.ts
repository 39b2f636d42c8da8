/**
 * The client library's Node entry point: everything in ./index.ts, with `ws` registered as the
 * WebSocket (so `new ApiClient(url)` just works), proof of work on worker threads (`PowPool`) and
 * the on-disk gateway outbox (`LmdbOutbox`).
 */
import WebSocket from "ws";
import { setDefaultWebSocket, WebSocketConstructor } from "./api/socket";

setDefaultWebSocket(WebSocket as unknown as WebSocketConstructor);

export * from "./index";
export { PowPool, computePow, defaultThreads, PowAbortedError } from "./pow";
export { LmdbOutbox } from "./gateway/outbox-lmdb";
export { ed25519, ed25519Verifier } from "./protocol/ed25519";
export type { Ed25519Backend, Ed25519BackendName, SignatureCheck } from "./protocol/ed25519";
export { verifyEssence } from "./protocol/keys";
