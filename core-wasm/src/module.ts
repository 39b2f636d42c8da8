/**
 * Loads the AssemblyScript core (`core-wasm/build/release.wasm`) with @assemblyscript/loader.
 *
 * The module is compiled once per process and instantiated per user: the hashing helpers share one
 * lazily created instance, every `TangleGraph` and every PoW worker gets its own (a graph owns the
 * linear memory it allocates, and a worker runs on its own thread). Only integers cross the
 * boundary; callers read and write linear memory through typed-array views over static buffers
 * whose addresses the module exports.
 *
 * `TANGLE_WASM=debug` selects the debug build (assertions on, bounds checked) for investigations.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as loader from "@assemblyscript/loader";

/** Raw exports of the core module; each file in core-wasm/src types the part it uses. */
export type CoreExports = Record<string, any> & { memory: WebAssembly.Memory };

export interface CoreInstance {
  exports: CoreExports;
  memory: WebAssembly.Memory;
}

let compiled: WebAssembly.Module | undefined;
let shared: CoreInstance | undefined;

/** Absolute path of the build in use. */
export function wasmPath(): string {
  const flavour = process.env.TANGLE_WASM === "debug" ? "debug" : "release";
  // Works from the TypeScript sources (core-wasm/src) and from the compiled tree (dist/core-wasm/src).
  const candidates = [
    path.resolve(__dirname, "..", "build", `${flavour}.wasm`),
    path.resolve(__dirname, "..", "..", "..", "core-wasm", "build", `${flavour}.wasm`),
  ];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new Error(`WASM core not built (${flavour}.wasm missing); run \`npm run asbuild\``);
}

/** The compiled module (compiled once; can be posted to worker threads). */
export function coreModule(): WebAssembly.Module {
  if (!compiled) compiled = new WebAssembly.Module(fs.readFileSync(wasmPath()));
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
