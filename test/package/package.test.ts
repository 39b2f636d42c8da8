/**
 * The package as a user gets it: `npm pack` of this repository, installed with `npm install` into a
 * fresh temporary app (no build tools of ours in it), then the documented imports used from that
 * app, as docs/client.md and docs/operations.md show them:
 *   - `tangle-ledger/client/node` and `tangle-ledger/node` from CommonJS and from an ES module;
 *   - the installed `tangle` command: `--version`, and `tangle node` serving a dev network that the
 *     app's client reads;
 *   - `startNode` from `tangle-ledger/node`: the same dev node inside the app's own process, read
 *     by its client, and closed so that nothing keeps the process alive;
 *   - `tangle-ledger/client/browser` bundled by the app's bundler (esbuild, platform browser): the
 *     `browser` condition and field keep Node's modules out (the WASM file reader and the
 *     libsodium/node:crypto signature code are swapped for their browser twins), and the bundle
 *     hashes and checks a signature in a context that has no `require`, no `process` and no `fs`;
 *   - the type declarations under both TypeScript module resolutions (node10 via typesVersions,
 *     node16 via exports);
 *   - what ships: the built WASM core and the native helper's sources, no compiler, no sources maps.
 */
import { execFileSync, spawn, ChildProcess } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vm from "node:vm";
import { blake2b } from "@noble/hashes/blake2b";

const ROOT = path.resolve(__dirname, "..", "..");
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

let work: string;
let app: string;
let tarball: string;
const children: ChildProcess[] = [];

function sh(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_loglevel: "error" } });
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-package-"));
  // The build is current (npm test builds first); packing must not rebuild.
  const packed = JSON.parse(sh(NPM, ["pack", "--ignore-scripts", "--json", "--pack-destination", work], ROOT)) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(work, packed[0].filename);
  app = path.join(work, "app");
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "sensor-app", version: "1.0.0", private: true }));
  sh(NPM, ["install", tarball, "--no-audit", "--no-fund", "--prefer-offline"], app);
}, 300_000);

afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test("the tarball ships the built core, the command, the native helper's sources and the license, and no build tools", () => {
  const listed = JSON.parse(sh(NPM, ["pack", "--ignore-scripts", "--dry-run", "--json"], ROOT))[0].files.map((f: { path: string }) => f.path) as string[];
  for (const f of ["core-wasm/build/release.wasm", "bin/tangle.js", "dist/cli/main.js", "dist/client/node.js", "dist/client/browser.js", "dist/node/index.js", "dist/core-wasm/src/wasm-file.web.js", "node/native/pages.c", "node/native/binding.gyp", "node/native/build.js", "LICENSE", "package.json", "README.md"]) {
    expect(listed).toContain(f);
  }
  expect(listed.filter((f) => f.endsWith(".map"))).toEqual([]);
  expect(listed.filter((f) => /^(core-wasm\/assembly|test|bench\/results)\//.test(f))).toEqual([]);
  const installed = JSON.parse(fs.readFileSync(path.join(app, "node_modules", "tangle-ledger", "package.json"), "utf8"));
  expect(Object.keys(installed.dependencies)).not.toContain("assemblyscript");
  expect(fs.existsSync(path.join(app, "node_modules", "assemblyscript"))).toBe(false);
  expect(fs.existsSync(path.join(app, "node_modules", "esbuild"))).toBe(false);
});

test("CommonJS and ES modules import the documented entry points", () => {
  const cjs = `
    const client = require("tangle-ledger/client/node");
    const neutral = require("tangle-ledger/client");
    const node = require("tangle-ledger/node");
    const root = require("tangle-ledger");
    const w = client.Wallet.dev();
    const hash = Buffer.from(client.blake2b256(new TextEncoder().encode("abc"))).toString("hex");
    console.log(JSON.stringify({
      apiClient: typeof client.ApiClient, powPool: typeof client.PowPool, outbox: typeof client.LmdbOutbox,
      neutralWallet: typeof neutral.Wallet, rootSame: root.ApiClient === client.ApiClient,
      tangleNode: typeof node.TangleNode, apiServer: typeof node.ApiServer, devGenesis: typeof node.devGenesis,
      address: w.addressWith("tdev", 0), hash,
    }));`;
  const out = JSON.parse(sh(process.execPath, ["-e", cjs], app));
  expect(out).toMatchObject({ apiClient: "function", powPool: "function", outbox: "function", neutralWallet: "function", rootSame: true, tangleNode: "function", apiServer: "function", devGenesis: "function" });
  expect(out.address).toMatch(/^tdev1/);
  expect(out.hash).toBe(Buffer.from(blake2b(new TextEncoder().encode("abc"), { dkLen: 32 })).toString("hex"));

  fs.writeFileSync(path.join(app, "esm.mjs"), `
    import { ApiClient, Wallet, blake2b256 } from "tangle-ledger/client/node";
    import { TangleNode } from "tangle-ledger/node";
    console.log(JSON.stringify({ a: typeof ApiClient, w: typeof Wallet, h: blake2b256(new Uint8Array(0)).length, n: typeof TangleNode }));`);
  expect(JSON.parse(sh(process.execPath, ["esm.mjs"], app))).toEqual({ a: "function", w: "function", h: 32, n: "function" });
});

test("the installed `tangle` command runs a dev node that the app's client reads", async () => {
  const bin = path.join(app, "node_modules", ".bin", "tangle");
  expect(sh(bin, ["--version"], app).trim()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version);
  const data = path.join(work, "data");
  const child = spawn(bin, ["node", "--network", "dev", "--coordinator-key", "dev", "--data", data, "--port", "0", "--log-level", "info"], { cwd: app, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 'listening' line in 30 s:\n${output}`)), 30_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /"url":"(ws:\/\/[^"]+)"/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`tangle node exited with ${code}:\n${output}`)));
  });
  const read = `
    const { ApiClient, Wallet } = require("tangle-ledger/client/node");
    (async () => {
      const client = await ApiClient.connect(${JSON.stringify(url)});
      const info = await client.getNodeInfo();
      const balance = await Wallet.dev({ client }).balance();
      client.close();
      console.log(JSON.stringify({ network: info.networkName, confirmed: balance.confirmed.toString() }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const out = JSON.parse(sh(process.execPath, ["-e", read], app));
  expect(out.network).toBe("dev");
  expect(BigInt(out.confirmed)).toBeGreaterThan(0n);
  child.kill("SIGTERM");
  const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once("exit", r)));
  expect(code).toBe(0);
}, 90_000);

test("an app starts a dev node in its own process with startNode, reads it with ApiClient, and closes it", () => {
  const data = path.join(work, "data-in-process");
  const script = `
    const { startNode, resolveConfig, silentLogger } = require("tangle-ledger/node");
    const { ApiClient, Wallet } = require("tangle-ledger/client/node");
    (async () => {
      const config = resolveConfig({ network: "dev", coordinatorKey: "dev", data: ${JSON.stringify(data)}, port: 0, milestoneIntervalMs: 100 });
      const started = await startNode(config, { log: silentLogger() });
      const client = await ApiClient.connect(started.url);
      const info = await client.getNodeInfo();
      const balance = await Wallet.dev({ client }).balance();
      let milestoneIndex = 0;
      for (let i = 0; i < 100 && milestoneIndex < 1; i++) {
        await new Promise((r) => setTimeout(r, 100));
        milestoneIndex = (await client.getNodeInfo()).latestMilestoneIndex;
      }
      client.close();
      await started.close();
      console.log(JSON.stringify({ url: started.url, network: info.networkName, confirmed: balance.confirmed.toString(), coordinator: Boolean(started.coordinator), milestoneIndex, closed: started.node.closed }));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  // No process.exit on success: after close() nothing may keep the app's process alive.
  const out = JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: app, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 }));
  expect(out).toMatchObject({ url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+$/), network: "dev", coordinator: true, closed: true });
  expect(out.milestoneIndex).toBeGreaterThanOrEqual(1);
  expect(BigInt(out.confirmed)).toBeGreaterThan(0n);
}, 90_000);

test("the installed `tangle bench` says what to install instead of failing half-way", () => {
  const bin = path.join(app, "node_modules", ".bin", "tangle");
  let status = 0;
  let stderr = "";
  try {
    execFileSync(bin, ["bench", "pow", "--quick"], { cwd: app, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    status = (err as { status: number }).status;
    stderr = (err as { stderr: string }).stderr;
  }
  expect(status).toBe(1);
  expect(stderr).toContain("npm install --no-save nanocurrency hash-wasm blakejs");
});

test("an app's bundler meets no Node module in tangle-ledger/client/browser, and the bundle hashes without Node", async () => {
  fs.writeFileSync(path.join(app, "page.js"), `
    import { blake2b256, Wallet, WebPowPool, initCore, keyPairFromSeed, signEssence, verifyEssence, ed25519 } from "tangle-ledger/client/browser";
    globalThis.result = (async () => {
      await initCore();
      const key = keyPairFromSeed(new Uint8Array(32).fill(7));
      const essence = new TextEncoder().encode("essence");
      const signature = signEssence(essence, key.secretKey);
      const flipped = signature.slice();
      flipped[0] ^= 1;
      return {
        hash: Array.from(blake2b256(new TextEncoder().encode("abc"))), wallet: typeof Wallet, pool: typeof WebPowPool,
        signer: ed25519.name, publicKey: Array.from(key.publicKey), signature: Array.from(signature),
        valid: verifyEssence(essence, signature, key.publicKey), flippedValid: verifyEssence(essence, flipped, key.publicKey),
      };
    })();`);
  const esbuild = await import("esbuild");
  const built = await esbuild.build({ entryPoints: [path.join(app, "page.js")], absWorkingDir: app, bundle: true, platform: "browser", format: "iife", write: false, metafile: true, logLevel: "silent" });
  const inputs = Object.keys(built.metafile!.inputs);
  expect(inputs.filter((f) => /node_modules\/(ws|lmdb|msgpackr-extract|sodium-native|pino)\/|wasm-file\.js$|ed25519-node\.js$|protocol\/ed25519\.js$|outbox-lmdb|client\/node\.js$|client\/pow\.js$/.test(f))).toEqual([]);
  expect(inputs.some((f) => f.endsWith("wasm-file.web.js"))).toBe(true);
  expect(inputs.some((f) => f.endsWith("protocol/ed25519.browser.js"))).toBe(true);
  // A context with the globals a page has for this purpose, and none of Node's.
  const context = vm.createContext({ TextEncoder, TextDecoder, WebAssembly, atob, Uint8Array, console, setTimeout, clearTimeout, queueMicrotask });
  vm.runInContext(built.outputFiles![0].text, context);
  const r = await (context.result as Promise<{ hash: number[]; wallet: string; pool: string; signer: string; publicKey: number[]; signature: number[]; valid: boolean; flippedValid: boolean }>);
  expect(Buffer.from(r.hash).toString("hex")).toBe(Buffer.from(blake2b(new TextEncoder().encode("abc"), { dkLen: 32 })).toString("hex"));
  expect(r).toMatchObject({ wallet: "function", pool: "function", signer: "tweetnacl", valid: true, flippedValid: false });
  // The bundle's signature is Node's own Ed25519 signature of the signing hash, BLAKE2b-256 of the
  // essence (deterministic: RFC 8032).
  const nodeKey = crypto.createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.alloc(32, 7)]), format: "der", type: "pkcs8" });
  expect(Buffer.from(r.signature).toString("hex")).toBe(crypto.sign(null, blake2b(new TextEncoder().encode("essence"), { dkLen: 32 }), nodeKey).toString("hex"));
});

test.each(["node10", "node16"])("the type declarations resolve under moduleResolution %s", (resolution) => {
  const dir = path.join(app, `types-${resolution}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, "main.ts"),
    `import { ApiClient, Wallet, type Balance } from "tangle-ledger/client/node";
import { WebPowPool } from "tangle-ledger/client/browser";
import { TangleNode } from "tangle-ledger/node";
export async function total(c: ApiClient): Promise<bigint> { const b: Balance = await c.getBalance("00".repeat(32)); return b.confirmed; }
export const kinds = [typeof Wallet.dev, typeof WebPowPool, typeof TangleNode.open];
`,
  );
  const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
  const moduleKind = resolution === "node16" ? "node16" : "commonjs";
  const args = [tsc, "--noEmit", "--strict", "--skipLibCheck", "--types", "node", "--typeRoots", path.join(ROOT, "node_modules", "@types"), "--target", "es2022", "--module", moduleKind, "--moduleResolution", resolution, "--lib", "es2022,dom", path.join(dir, "main.ts")];
  let out = "";
  try {
    out = execFileSync(process.execPath, args, { cwd: app, encoding: "utf8" });
  } catch (err) {
    out = `${(err as { stdout?: string }).stdout ?? ""}${(err as Error).message}`;
  }
  expect(out).toBe("");
}, 60_000);
