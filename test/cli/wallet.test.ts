/**
 * `tangle wallet`, `tangle gateway` and `tangle stream` as a user runs them (node bin/tangle.js, the
 * compiled CLI) against a real node process: the --json documents and their amounts (decimal strings),
 * mnemonic sources, exit codes, and usage errors (exit 2).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEV_MNEMONIC, generateMnemonic, validateMnemonic, Wallet } from "../../client/wallet";
import { DEV_SUPPLY } from "../../node/networks/dev";
import { startNodeProcess, NodeProcess } from "../node/api/_process";

const BIN = path.join(__dirname, "..", "..", "bin", "tangle.js");
let node: NodeProcess;
let tmp: string;

function tangle(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 60_000, env: { ...process.env, CI: "1", TANGLE_MNEMONIC: "", ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const withNode = (...args: string[]) => [...args, "--node", node.url];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-cli-"));
  node = await startNodeProcess(["--network", "dev", "--coordinator-key", "dev", "--data", path.join(tmp, "node"), "--milestone-interval-ms", "100"]);
}, 30_000);

afterAll(async () => {
  await node?.stop("SIGTERM");
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("wallet new, wallet address: JSON documents, mnemonic from --dev, a file or TANGLE_MNEMONIC", async () => {
  const [fresh, short, dev, file, env] = await Promise.all([
    tangle(["wallet", "new", "--json"]),
    tangle(["wallet", "new", "--words", "12", "--json"]),
    tangle(["wallet", "address", "--dev", "--json"]),
    (async () => {
      const f = path.join(tmp, "mnemonic.txt");
      fs.writeFileSync(f, `${DEV_MNEMONIC}\n`);
      return tangle(["wallet", "address", "--mnemonic-file", f, "--index", "3", "--json"]);
    })(),
    tangle(["wallet", "address", "--index", "3"], { TANGLE_MNEMONIC: DEV_MNEMONIC }),
  ]);
  expect(fresh.code).toBe(0);
  const n = JSON.parse(fresh.stdout);
  expect(Object.keys(n).sort()).toEqual(["address", "mnemonic"]);
  expect(n.mnemonic.split(" ")).toHaveLength(24);
  expect(validateMnemonic(n.mnemonic)).toBe(true);
  expect(n.address).toBe(Wallet.fromMnemonic(n.mnemonic).addressWith("tdev", 0));
  expect(JSON.parse(short.stdout).mnemonic.split(" ")).toHaveLength(12);
  const devWallet = Wallet.dev();
  expect(JSON.parse(dev.stdout)).toMatchObject({ address: devWallet.addressWith("tdev", 0), index: 0 });
  expect(JSON.parse(file.stdout)).toMatchObject({ address: devWallet.addressWith("tdev", 3), index: 3, path: "m/44'/7467'/0'/0'/3'" });
  expect(env.stdout.trim()).toBe(devWallet.addressWith("tdev", 3));
});

test("wallet balance and send: amounts are JSON decimal strings; balances move on both sides", async () => {
  const to = Wallet.fromMnemonic(generateMnemonic()).addressWith("tdev", 0);
  const before = await tangle(withNode("wallet", "balance", "--dev", "--json"));
  expect(before.code).toBe(0);
  const b = JSON.parse(before.stdout);
  expect(b).toMatchObject({ address: Wallet.dev().addressWith("tdev", 0), confirmed: DEV_SUPPLY.toString(), pending: "0" });
  expect(before.stdout).toContain(`"confirmed":"${DEV_SUPPLY}"`);

  const sent = await tangle(withNode("wallet", "send", "--dev", "--to", to, "--amount", "1234", "--json"));
  expect(sent.stderr).toBe("");
  expect(sent.code).toBe(0);
  const s = JSON.parse(sent.stdout);
  expect(s).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{64}$/), confirmed: true, amount: "1234" });

  const [theirs, mine] = await Promise.all([tangle(withNode("wallet", "balance", to, "--json")), tangle(withNode("wallet", "balance", "--dev", "--json"))]);
  expect(JSON.parse(theirs.stdout)).toEqual({ address: to, confirmed: "1234", pending: "0", pendingIncoming: "0", pendingOutgoing: "0" });
  expect(JSON.parse(mine.stdout).confirmed).toBe((DEV_SUPPLY - 1234n).toString());

  // For people: a table with a total line.
  const table = await tangle(withNode("wallet", "balance", "--dev"));
  expect(table.stdout).toMatch(/total\s+999999998766/);
  // The remainder sits on the internal (change) chain, and the table says so.
  expect(table.stdout).toMatch(/^\s*key\s+address\s+pending\s+confirmed/m);
  expect(table.stdout).toMatch(/internal 0\s+tdev1\S+\s+999999998766/);
});

test("gateway publish, stream verify, gateway simulate", async () => {
  const outbox = ["--outbox", path.join(tmp, "outbox")];
  const first = await tangle(withNode("gateway", "publish", "--dev", "--stream", "pm25-main-st", "--value", '{"pm25":7.1}', "--json", ...outbox));
  expect(first.stderr).toBe("");
  const p1 = JSON.parse(first.stdout);
  expect(p1).toMatchObject({ streamId: expect.stringMatching(/^[0-9a-f]{64}$/), sequence: 0, id: expect.stringMatching(/^[0-9a-f]{64}$/), readings: 1 });
  const second = JSON.parse((await tangle(withNode("gateway", "publish", "--dev", "--stream", "pm25-main-st", "--value", "7.4", "--json", ...outbox))).stdout);
  expect(second).toMatchObject({ streamId: p1.streamId, sequence: 1 });

  const verified = await tangle(withNode("stream", "verify", "pm25-main-st", "--dev", "--json"));
  expect(verified.code).toBe(0);
  const report = JSON.parse(verified.stdout);
  expect(report).toMatchObject({ streamId: p1.streamId, ok: true, problems: [] });
  expect(report.records.map((r: { sequence: number; id: string }) => [r.sequence, r.id])).toEqual([
    [0, p1.id],
    [1, second.id],
  ]);
  const people = await tangle(withNode("stream", "verify", p1.streamId));
  expect(people.stdout).toMatch(/OK: 2 records/);
  const nothing = await tangle(withNode("stream", "verify", "00".repeat(32)));
  expect(nothing.code).toBe(1);
  expect(nothing.stdout).toMatch(/no records/);

  const sim = await tangle(withNode("gateway", "simulate", "--dev", "--index", "1", "--sensors", "5", "--rate", "4", "--duration", "1", "--json"));
  expect(sim.stderr).toBe("");
  expect(sim.code).toBe(0);
  const r = JSON.parse(sim.stdout);
  expect(r.sensors).toBe(5);
  expect(r.readings).toBeGreaterThanOrEqual(15);
  // At most 4 per second from each of 5 sensors for 1 s; per sensor, what it read.
  expect(r.readings).toBeLessThanOrEqual(20);
  expect(r.streams.reduce((n: number, x: { readings: number }) => n + x.readings, 0)).toBe(r.readings);
  expect(r.acknowledged).toBe(r.readings);
  expect(new Set(r.streams.map((x: { kind: string }) => x.kind))).toEqual(new Set(["air", "climate", "noise", "parking", "traffic"]));
}, 30_000);

test("usage errors exit 2 and name the problem; an unreachable node exits 1", async () => {
  const cases: [string[], RegExp][] = [
    [["wallet"], /wallet: which one/],
    [["wallet", "fly"], /unknown subcommand 'fly'/],
    [["wallet", "address"], /no mnemonic/],
    [["wallet", "address", "--dev", "--index=-1"], /--index must be an integer/],
    [["wallet", "new", "--words", "13"], /--words must be 12, 15, 18, 21 or 24/],
    [["wallet", "send", "--dev", "--amount", "5"], /--to ADDRESS is required/],
    [["wallet", "send", "--dev", "--to", "tdev1xyz", "--amount", "1.5"], /--amount must be a whole number/],
    [["wallet", "balance", "--dev", "--node", "http://x"], /--node must be a ws/],
    [["wallet", "address", "--dev", "--bogus"], /bogus/],
    [["wallet", "address", "--mnemonic-file", "/nonexistent/m.txt"], /--mnemonic-file/],
    [["gateway", "publish", "--dev", "--stream", "x", "--value", "{bad"], /--value: not JSON/],
    [["gateway", "publish", "--dev", "--value", "1"], /--stream NAME\|ID is required/],
    [["gateway", "simulate", "--dev", "--sensors", "0", "--rate", "1"], /--sensors must be an integer/],
    [["gateway", "simulate", "--dev", "--sensors", "2", "--rate", "fast"], /--rate must be/],
    [["gateway", "simulate", "--dev", "--sensors", "2", "--rate", "1", "--duration", "1", "--count", "5"], /not both/],
    [["stream", "verify"], /one stream ID/],
    [["stream", "check", "x"], /unknown subcommand 'check'/],
  ];
  const unreachable = tangle(["wallet", "balance", "--dev", "--node", "ws://127.0.0.1:1"]);
  const results = await Promise.all(cases.map(([args]) => tangle(args, { TANGLE_MNEMONIC: "" })));
  results.forEach((r, i) => {
    expect([cases[i][0].join(" "), r.code]).toEqual([cases[i][0].join(" "), 2]);
    expect(r.stderr).toMatch(cases[i][1]);
  });
  const bad = await tangle(["wallet", "address", "--index", "0"], { TANGLE_MNEMONIC: "abandon abandon" });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/TANGLE_MNEMONIC: not a valid BIP-39 mnemonic/);
  const otherNet = await tangle(withNode("wallet", "send", "--dev", "--to", Wallet.dev().addressWith("tmain", 0), "--amount", "1"));
  expect(otherNet.code).toBe(2);
  expect(otherNet.stderr).toMatch(/expected 'tdev'/);
  const down = await unreachable;
  expect(down.code).toBe(1);
  expect(down.stderr).toMatch(/cannot reach a node at ws:\/\/127.0.0.1:1/);
}, 30_000);
