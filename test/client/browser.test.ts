/**
 * The client in a browser: the library bundled with esbuild (client/browser/bundle.ts) is loaded in
 * headless Chromium (Debian's `chromium`, driven by playwright-core) from a page served on
 * 127.0.0.1. From the page: a wallet is created from a fresh mnemonic, proof of work runs on Web
 * Workers, a data record is submitted to a real node (started in this process: startTestNode) and
 * seen confirmed, and a transfer from the dev wallet reaches the new wallet. The bundle must
 * contain no Node-only code.
 *
 * No browser, no pass: when Chromium is missing the test installs Debian's package itself
 * (test/support/chromium.ts, as root or with passwordless sudo) and fails, naming the command that
 * fixes it, when it cannot.
 */
import * as http from "node:http";
import { AddressInfo } from "node:net";
import { chromium, Browser } from "playwright-core";
import { bundleBrowserClient, BrowserBundle } from "../../client/browser/bundle";
import { startTestNode, TestNode } from "../support/node";
import { ensureChromium } from "../support/chromium";

const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

let node: TestNode | undefined;
let server: http.Server | undefined;
let browser: Browser | undefined;
let bundle: BrowserBundle;
let pageUrl: string;

beforeAll(async () => {
  const executablePath = ensureChromium();
  const [b, n] = await Promise.all([bundleBrowserClient({ minify: true }), startTestNode({ milestoneIntervalMs: 100 })]);
  bundle = b;
  node = n;
  server = http.createServer((req, res) => {
    if (req.url === "/tangle.js") {
      res.writeHead(200, { "content-type": "text/javascript" });
      res.end(bundle.code);
    } else if (req.url === "/") {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(`<!doctype html><html><head><title>tangle</title><script src="/tangle.js"></script></head><body></body></html>`);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  pageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await chromium.launch({ executablePath, args: ARGS, headless: true, timeout: 30_000 });
}, 16 * 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  await node?.close();
});

test("the bundle holds the client and the embedded WASM core, and nothing Node-only", () => {
  expect(bundle.inputs.some((f) => f.endsWith("core-wasm/build/release.wasm"))).toBe(true);
  expect(bundle.inputs.some((f) => f.endsWith("client/pow-web.ts"))).toBe(true);
  for (const f of bundle.inputs) expect(f).not.toMatch(/node_modules\/(ws|lmdb)\/|client\/pow\.ts$|client\/node\.ts$|outbox-lmdb|wasm-file\.ts$/);
  expect(bundle.bytes).toBeLessThan(400 * 1024);
});

test("in Chromium: a new wallet, PoW on Web Workers, a data record submitted and confirmed, a transfer received", async () => {
  const page = await browser!.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(pageUrl);
  const r = await page.evaluate(async (nodeUrl: string) => {
    const t = (window as any).tangle;
    // Count the Web Workers the page starts.
    const Native = Worker;
    let workers = 0;
    (window as any).Worker = class extends Native {
      constructor(url: string | URL, o?: WorkerOptions) {
        super(url, o);
        workers++;
      }
    };
    await t.initCore();
    const mnemonic = t.generateMnemonic();
    const client = await t.ApiClient.connect(nodeUrl);
    const wallet = t.Wallet.fromMnemonic(mnemonic, { client });
    const address = await wallet.address(0);
    const pow = new t.WebPowPool(2);
    // PoW on the workers, checked on the main thread.
    const root = t.blake2b256(new TextEncoder().encode("browser pow"));
    const found = await pow.search(root, 14);
    const powValid = t.validatePow(root, found.nonce, 14);
    // A data record signed by the new wallet's key, stamped on the workers.
    const gw = new t.Gateway({ client, keyPair: wallet.key(0).keyPair, pow, maxDelayMs: 10 });
    const acks: any[] = [];
    gw.on("ack", (a: any) => acks.push(a));
    const streamId = await gw.publish("browser-thermometer", { temp: 21.5 });
    await gw.flush(20_000);
    const confirmed = await t.waitForConfirmation(client, [acks[0].id], { timeoutMs: 20_000 });
    const report = await t.verifyStream(client, streamId, { issuer: wallet.key(0).keyPair.publicKey });
    // Verified on WebCrypto, under the strict rules: R = A = the identity, S = 0 is refused.
    const verifier = await t.ed25519Verifier();
    const identity = Uint8Array.from({ length: 64 }, (_, i) => (i === 0 ? 1 : 0));
    const [identitySigned] = await verifier.verifyMany([{ message: Uint8Array.of(1, 2, 3), signature: identity, publicKey: identity.subarray(0, 32) }]);
    // Value: the dev wallet (public mnemonic) pays the new wallet, PoW again on the workers.
    const dev = t.Wallet.dev({ client, attach: { pow } });
    const sent = await dev.send({ to: address, amount: 42n });
    const balance = await wallet.balance();
    await gw.close();
    await pow.close();
    client.close();
    return {
      address,
      words: mnemonic.split(" ").length,
      workers,
      powValid,
      powThreads: found.threads,
      ack: acks[0],
      confirmedBy: confirmed.get(acks[0].id)?.milestoneIndex ?? null,
      reportOk: report.ok,
      ed25519: verifier.name,
      identitySigned,
      records: report.records.length,
      sentConfirmed: sent.confirmed,
      balance: balance.confirmed.toString(),
    };
  }, node!.url);
  expect(errors).toEqual([]);
  expect(r.address).toMatch(/^tdev1/);
  expect(r.words).toBe(24);
  expect(r.workers).toBe(2);
  expect(r.powValid).toBe(true);
  expect(r.powThreads).toBe(2);
  expect(r.ack).toMatchObject({ sequence: 0, duplicate: false, readings: 1 });
  expect(r.confirmedBy).toEqual(expect.any(Number));
  expect(r.reportOk).toBe(true);
  expect(r.ed25519).toBe("webcrypto");
  expect(r.identitySigned).toBe(false);
  expect(r.records).toBe(1);
  expect(r.sentConfirmed).toBe(true);
  expect(r.balance).toBe("42");
  // The node agrees.
  const { ApiClient } = await import("../../client/node");
  const c = await ApiClient.connect(node!.url);
  try {
    const meta = await c.getTransactionMetadata(r.ack.id);
    expect(meta.confirmed).toBe(true);
  } finally {
    c.close();
  }
  await page.close();
}, 60_000);
