/**
 * `tangle proof` (cli/proof.ts), the built command run as a user runs it, against a node started in
 * this process (dev network, its coordinator, LMDB in a temporary folder, 127.0.0.1): get writes
 * the JSON form (or the byte form with --binary) of a confirmed record's proof; verify checks it
 * with no node, exit 0; a tampered file, another network's genesis and an unparsable file exit 1
 * naming the code; usage mistakes exit 2; an unknown id exits 1 with the node's code.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { keyPairFromSeed } from "../../client/protocol/keys";
import { devWalletSeed } from "../../node/networks/dev";
import { startTestNode, TestNode } from "../support/node";
import { buildVia, record } from "../node/api/_tx";
import { testGenesis } from "../node/_helpers";
import { tangle } from "./_run";

const dev = keyPairFromSeed(devWalletSeed());
let node: TestNode;
let dir: string;
let id: string;

beforeAll(async () => {
  node = await startTestNode({ client: true });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-proof-cli-"));
  const call = (m: string, p?: unknown) => node.client!.request(m as never, p as Record<string, unknown> | undefined);
  id = (await node.client!.submitTransaction(await buildVia(call, dev, record(randomBytes(32), 0)))).id;
  for (const until = Date.now() + 20_000; (await node.client!.getTransactionMetadata(id)).confirmedBy === null; ) {
    if (Date.now() > until) throw new Error("record not confirmed");
    await new Promise((r) => setTimeout(r, 50));
  }
}, 30_000);

afterAll(async () => {
  await node?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test("get writes the JSON form, verify checks it offline (exit 0); the byte form likewise", async () => {
  const file = path.join(dir, "p.json");
  const got = await tangle(["proof", "get", id, "--node", node.url, "--out", file]);
  expect([got.code, got.stderr]).toEqual([0, ""]);
  expect(got.stdout).toContain(`transaction ${id}`);
  const json = JSON.parse(fs.readFileSync(file, "utf8"));
  expect(json).toMatchObject({ type: "tangle-inclusion-proof", version: 1, transactionId: id, ledgerEffect: "none", conflict: null, committeeChanges: [] });

  // The node is not asked: a URL where nothing listens changes nothing.
  const ok = await tangle(["proof", "verify", file, "--network", "dev"]);
  expect([ok.code, ok.stderr]).toEqual([0, ""]);
  expect(ok.stdout).toMatch(new RegExp(`^valid: transaction ${id} \\(data\\) was confirmed by milestone ${json.milestone.index} `));

  const bin = path.join(dir, "p.bin");
  expect((await tangle(["proof", "get", id, "--node", node.url, "--out", bin, "--binary"])).code).toBe(0);
  expect(Buffer.from(fs.readFileSync(bin).subarray(0, 4)).toString("ascii")).toBe("TGIP");
  const v = await tangle(["proof", "verify", bin, "--network", "dev", "--json"]);
  expect(v.code).toBe(0);
  expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, transactionId: id, milestoneIndex: json.milestone.index, milestoneId: json.milestone.id });
}, 60_000);

test("a tampered file, another network's genesis and a file that is no proof: exit 1 naming the code", async () => {
  const file = path.join(dir, "t.json");
  expect((await tangle(["proof", "get", id, "--node", node.url, "--out", file])).code).toBe(0);
  const json = JSON.parse(fs.readFileSync(file, "utf8"));

  const tampered = path.join(dir, "tampered.json");
  const flipped = json.transaction.slice(0, 100) + (json.transaction[100] === "0" ? "1" : "0") + json.transaction.slice(101);
  fs.writeFileSync(tampered, JSON.stringify({ ...json, transaction: flipped }));
  const t = await tangle(["proof", "verify", tampered, "--network", "dev"]);
  expect(t.code).toBe(1);
  expect(t.stdout).toMatch(/^invalid: ERR_PROOF_TX_ID: /);

  const genesisFile = path.join(dir, "genesis.json");
  fs.writeFileSync(genesisFile, JSON.stringify(testGenesis()));
  const w = await tangle(["proof", "verify", file, "--network", genesisFile]);
  expect(w.code).toBe(1);
  expect(w.stdout).toMatch(/^invalid: ERR_PROOF_WRONG_NETWORK: /);

  const junk = path.join(dir, "junk.txt");
  fs.writeFileSync(junk, "not a proof");
  const j = await tangle(["proof", "verify", junk, "--network", "dev", "--json"]);
  expect(j.code).toBe(1);
  expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, code: "ERR_PROOF_MALFORMED" });
}, 60_000);

test("usage mistakes exit 2 with the command's usage; an unknown id exits 1 with ERR_NOT_FOUND", async () => {
  const file = path.join(dir, "u.json");
  const noNetwork = await tangle(["proof", "verify", file]);
  expect(noNetwork.code).toBe(2);
  expect(noNetwork.stderr).toMatch(/--network dev\|FILE is required/);
  expect((await tangle(["proof", "verify", path.join(dir, "missing.json"), "--network", "dev"])).stderr).toMatch(/no such file/);
  expect((await tangle(["proof", "get", "xyz", "--out", file])).code).toBe(2);
  expect((await tangle(["proof", "get", id])).stderr).toMatch(/--out FILE is required/);
  const help = await tangle(["proof", "verify", "--help"]);
  expect([help.code, help.stdout.startsWith("Usage: tangle proof verify ")]).toEqual([0, true]);

  const unknown = await tangle(["proof", "get", randomBytes(32).toString("hex"), "--node", node.url, "--out", file]);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain("ERR_NOT_FOUND");
  expect(fs.existsSync(file)).toBe(false);
}, 60_000);
