/**
 * Loads the AssemblyScript core (`core-wasm/build/release.wasm`) with @assemblyscript/loader.
 *
 * The module is compiled once per process and instantiated per user: the hashing helpers share one
 * lazily created instance, every `TangleGraph` and every PoW worker gets its own (a graph owns the
 * linear memory it allocates, and a worker runs on its own thread). Only integers cross the
 * boundary; callers read and write linear memory through typed-array views over static buffers
 * whose addresses the module exports.
 *
 * Where the bytes come from: in Node, `wasm-file.ts` reads the build with fs (compiled on first use,
 * synchronously). Browsers compile large modules only asynchronously on the main thread, so a page
 * calls `await initCore()` once before anything hashes (the browser bundle embeds the bytes); any
 * host may also hand over its own module or bytes with `setCoreModule` / `initCore(source)`.
 */
import * as loader from "@assemblyscript/loader";
import { wasmBytes, wasmPath } from "./wasm-file";

export { wasmPath };

/** Raw exports of the core module; each file in core-wasm/src types the part it uses. */
export type CoreExports = Record<string, any> & { memory: WebAssembly.Memory };

export interface CoreInstance {
  exports: CoreExports;
  memory: WebAssembly.Memory;
}

let compiled: WebAssembly.Module | undefined;
let shared: CoreInstance | undefined;

/** What `setCoreModule` and `initCore` accept: a compiled module or the bytes of one. */
export type CoreSource = WebAssembly.Module | ArrayBuffer | ArrayBufferView;

function asBytes(source: ArrayBuffer | ArrayBufferView): BufferSource {
  return (source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength)) as BufferSource;
}

/**
 * Uses `source` as the core from now on (instances made earlier keep theirs). Bytes are compiled
 * synchronously here, which browsers refuse on the main thread for modules this size: there, use
 * `initCore`.
 */
export function setCoreModule(source: CoreSource): WebAssembly.Module {
  compiled = source instanceof WebAssembly.Module ? source : new WebAssembly.Module(asBytes(source));
  shared = undefined;
  return compiled;
}

/**
 * Compiles the core asynchronously (from `source`, or from the bytes this build knows about) and
 * makes it current. Idempotent without a source; required once in browsers, optional in Node.
 */
export async function initCore(source?: CoreSource): Promise<WebAssembly.Module> {
  if (source === undefined && compiled) return compiled;
  const module = source instanceof WebAssembly.Module ? source : await WebAssembly.compile(asBytes(source ?? wasmBytes()));
  return setCoreModule(module);
}

/** The compiled module (compiled once; can be posted to worker threads and Web Workers). */
export function coreModule(): WebAssembly.Module {
  if (!compiled) compiled = new WebAssembly.Module(asBytes(wasmBytes()));
  return compiled;
}

function abort(msgPtr: number, filePtr: number, line: number, column: number): never {
  throw new Error(`WASM core aborted at ${line}:${column}`);
}

/** A fresh instance with its own linear memory. */
export function instantiateCore(): CoreInstance {
  const { exports } = loader.instantiateSync(coreModule(), { env: { abort } }) as unknown as {
    exports: CoreExports;
  };
  return { exports, memory: exports.memory };
}

/** The process-wide instance used by the hashing helpers. */
export function sharedCore(): CoreInstance {
  if (!shared) shared = instantiateCore();
  return shared;
}
