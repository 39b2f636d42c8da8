/** `import bytes from "x.wasm"`: what esbuild's binary loader produces (used by browser bundles only). */
declare module "*.wasm" {
  const bytes: Uint8Array;
  export default bytes;
}
