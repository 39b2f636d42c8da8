/**
 * Where the compiled core comes from in Node: `core-wasm/build/{release,debug}.wasm`, read with fs.
 * Browser bundles replace this file by `wasm-file.browser.ts` (client/browser/bundle.ts does the
 * swap), so nothing that reaches for fs or path ends up in a bundle.
 *
 * `TANGLE_WASM=debug` selects the debug build (assertions on, bounds checked) for investigations.
 */
import * as fs from "node:fs";
import * as path from "node:path";

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

/** The module's bytes (synchronously: Node may compile them on any thread). */
export function wasmBytes(): Uint8Array {
  return fs.readFileSync(wasmPath());
}
