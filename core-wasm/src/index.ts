/** The WASM core's TypeScript API: hashing, proof of work, the tangle graph and tip selection. */
export * from "./errors";
export { coreModule, initCore, instantiateCore, setCoreModule, sharedCore, wasmPath } from "./module";
export type { CoreSource } from "./module";
export * from "./blake2b";
export * from "./pow";
export * from "./tangle";
