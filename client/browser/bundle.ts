/**
 * Builds the browser bundle of the client library with esbuild (a dev dependency: this file is a
 * build tool, not part of the library). Swaps make the bundle browser-only:
 *   - core-wasm/src/wasm-file.ts (reads the .wasm with fs) → wasm-file.browser.ts (the bytes
 *     embedded through esbuild's binary loader);
 *   - client/protocol/ed25519.ts (libsodium or node:crypto) → ed25519.browser.ts (WebCrypto where
 *     the browser has Ed25519, tweetnacl otherwise);
 *   - no Node module may be reached at all: esbuild refuses Node's built-ins on its own, and the
 *     build fails if `ws`, `lmdb` or one of our Node-only files got in, rather than shipping a
 *     bundle that breaks at run time.
 *
 *   npm run bundle:browser        → dist/browser/tangle-client.js (global `tangle`)
 */
import * as path from "node:path";
import type { BuildOptions, Metafile, Plugin } from "esbuild";

const ROOT = path.resolve(__dirname, "..", "..");
/** From the sources (client/browser) or the build (dist/client/browser): the repository root. */
function repoRoot(): string {
  return path.basename(path.resolve(ROOT)) === "dist" ? path.resolve(ROOT, "..") : ROOT;
}

/**
 * Inputs that must never end up in a browser bundle. Node's built-in modules need no entry: with
 * platform "browser" esbuild refuses them unless a package maps them away (tweetnacl maps crypto).
 */
export const FORBIDDEN_IN_BROWSER = [/node_modules\/ws\//, /node_modules\/lmdb\//, /node_modules\/msgpackr-extract\//, /client\/pow\.ts$/, /client\/node\.ts$/, /gateway\/outbox-lmdb\.ts$/, /core-wasm\/src\/wasm-file\.ts$/, /node_modules\/sodium-native\//, /client\/protocol\/ed25519(-node)?\.ts$/];

const browserSwaps: Plugin = {
  name: "tangle-browser",
  setup(build) {
    build.onResolve({ filter: /\/wasm-file$/ }, (args) => ({ path: path.join(args.resolveDir, "wasm-file.browser.ts") }));
    build.onResolve({ filter: /\/ed25519$/ }, (args) => {
      const target = path.join(args.resolveDir, args.path);
      return target.endsWith(path.join("client", "protocol", "ed25519")) ? { path: `${target}.browser.ts` } : undefined;
    });
  },
};

export interface BrowserBundle {
  code: string;
  bytes: number;
  /** Every input file the bundle contains (relative to the repository root). */
  inputs: string[];
}

/** Bundles client/browser.ts as an IIFE that sets `globalThis[globalName]`. */
export async function bundleBrowserClient(opts: { outfile?: string; minify?: boolean; globalName?: string } = {}): Promise<BrowserBundle> {
  const esbuild = await import("esbuild");
  const root = repoRoot();
  const options: BuildOptions = {
    entryPoints: [path.join(root, "client", "browser.ts")],
    bundle: true,
    platform: "browser",
    format: "iife",
    globalName: opts.globalName ?? "tangle",
    target: ["es2022"],
    minify: opts.minify ?? true,
    sourcemap: false,
    metafile: true,
    write: false,
    loader: { ".wasm": "binary" },
    plugins: [browserSwaps],
    logLevel: "silent",
    absWorkingDir: root,
  };
  const result = await esbuild.build(options);
  const code = result.outputFiles![0].text;
  const inputs = Object.keys((result.metafile as Metafile).inputs);
  const forbidden = inputs.filter((f) => FORBIDDEN_IN_BROWSER.some((re) => re.test(f)));
  if (forbidden.length) throw new Error(`the browser bundle must not contain ${forbidden.join(", ")}`);
  if (opts.outfile) {
    const fs = await import("node:fs");
    fs.mkdirSync(path.dirname(opts.outfile), { recursive: true });
    fs.writeFileSync(opts.outfile, code);
  }
  return { code, bytes: Buffer.byteLength(code), inputs };
}

if (require.main === module) {
  const out = process.argv[2] ?? path.join(repoRoot(), "dist", "browser", "tangle-client.js");
  bundleBrowserClient({ outfile: out }).then(
    (b) => process.stdout.write(`${out}: ${(b.bytes / 1024).toFixed(1)} KiB from ${b.inputs.length} files\n`),
    (err: Error) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
