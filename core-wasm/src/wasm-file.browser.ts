/**
 * Browser twin of wasm-file.ts: the release build is embedded in the bundle (esbuild's `binary`
 * loader turns the import below into a Uint8Array), so a page needs no extra request and no fs.
 */
import embedded from "../build/release.wasm";

export function wasmPath(): string {
  return "embedded:release.wasm";
}

export function wasmBytes(): Uint8Array {
  return embedded;
}
