/**
 * A network made without code (`tangle network init`, `tangle key`), run by real `tangle node`
 * processes started as `node bin/tangle.js node` (heap bounded, no warning), and what the wallet
 * refuses or warns about there: --dev off the dev network, two mnemonic sources, a mnemonic file
 * others can read; Ctrl-C during `wallet send` before and after the transfer was submitted.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateMnemonic, Wallet } from "../../client/wallet";
import { parseGenesis } from "../../node/ledger/genesis";
import { keyPairFromSeed } from "../../client/protocol/keys";
import { fromHex, toHex } from "../../client/protocol/bytes";
import { DEV_SUPPLY } from "../../node/networks/dev";
import { NodeProcess, RawClient, startNodeProcess } from "../node/api/_process";
import { start, tangle } from "./_run";

const U64_MAX = "18446744073709551615"; // above 2^53: a JSON number would lose it
let tmp: string;
/** "city": default supply to a generated wallet, milestones once an hour (nothing sent confirms). */
let city: { dir: string; node: NodeProcess; init: any };
/**
 * "slowpow": the whole u64 supply to `owner`, 26-bit proof of work (a send is still in PoW seconds
 * later), and milestones once an hour (the coordinator's own 26-bit PoW never runs during the test).
 */
let slow: { dir: string; node: NodeProcess; init: any; mnemonicFile: string; owner: string; ownerHere: string };

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-network-"));
  const cityDir = path.join(tmp, "city");
  const slowDir = path.join(tmp, "slowpow");
  const ownerMnemonic = generateMnemonic();
  const owner = Wallet.fromMnemonic(ownerMnemonic).addressWith("tdev", 0); // any network's prefix is accepted
  const mnemonicFile = path.join(tmp, "owner.mnemonic");
  fs.writeFileSync(mnemonicFile, `${ownerMnemonic}\n`, { mode: 0o600 });
  const [a, b] = await Promise.all([
    tangle(["network", "init", "--out", cityDir, "--name", "city", "--interval-ms", "3600000", "--json"]),
    tangle(["network", "init", "--out", slowDir, "--name", "slowpow", "--supply", U64_MAX, "--to", owner, "--difficulty", "26", "--interval-ms", "3600000", "--json"]),
  ]);
  expect([a.code, a.stderr, b.code, b.stderr]).toEqual([0, "", 0, ""]);
  const nodeArgs = (dir: string) => ["--network", path.join(dir, "genesis.json"), "--coordinator-key", path.join(dir, "committee-1.key"), "--data", path.join(dir, "data")];
  const [cityNode, slowNode] = await Promise.all([startNodeProcess(nodeArgs(cityDir)), startNodeProcess(nodeArgs(slowDir))]);
  city = { dir: cityDir, node: cityNode, init: JSON.parse(a.stdout) };
  slow = { dir: slowDir, node: slowNode, init: JSON.parse(b.stdout), mnemonicFile, owner, ownerHere: Wallet.fromMnemonic(ownerMnemonic).addressWith("tslowpow", 0) };
}, 60_000);

afterAll(async () => {
  await Promise.all([city?.node.stop("SIGTERM"), slow?.node.stop("SIGTERM")]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("network init writes genesis.json and a 0600 committee key, prints the commands, and never overwrites", async () => {
  const genesis = parseGenesis(fs.readFileSync(path.join(city.dir, "genesis.json"), "utf8"));
  expect(genesis).toMatchObject({ networkName: "city", milestoneIntervalMs: 3_600_000, outputs: [{ amount: DEV_SUPPLY.toString() }] });
  const seed = fs.readFileSync(path.join(city.dir, "committee-1.key"), "utf8");
  expect(seed).toMatch(/^[0-9a-f]{64}\n$/);
  expect(genesis.committee).toEqual({ members: [toHex(keyPairFromSeed(fromHex(seed.trim())).publicKey)], threshold: 1 });
  for (const f of ["committee-1.key", "keys/genesis.mnemonic"]) expect(fs.statSync(path.join(city.dir, f)).mode & 0o777).toBe(0o600);
  // The supply belongs to the generated wallet.
  const mnemonic = fs.readFileSync(path.join(city.dir, "keys", "genesis.mnemonic"), "utf8");
  expect(genesis.outputs[0].address).toBe(toHex(Wallet.fromMnemonic(mnemonic).key(0).address));
  expect(city.init.commands.coordinator).toContain("--coordinator-key");

  // For people: the commands that start the nodes.
  const other = path.join(tmp, "people");
  const people = await tangle(["network", "init", "--out", other, "--name", "people"]);
  expect(people.code).toBe(0);
  expect(people.stdout).toContain(`tangle node --network ${path.join(other, "genesis.json")} --coordinator-key ${path.join(other, "committee-1.key")}`);
  expect(people.stdout).toMatch(/--peer ws:\/\/127\.0\.0\.1:14265/);

  const before = fs.readFileSync(path.join(city.dir, "genesis.json"), "utf8");
  const again = await tangle(["network", "init", "--out", city.dir, "--name", "city"]);
  expect(again.code).toBe(2);
  expect(again.stderr).toMatch(/genesis\.json, committee-1\.key, keys\/genesis\.mnemonic already exist/);
  expect(fs.readFileSync(path.join(city.dir, "genesis.json"), "utf8")).toBe(before);
  expect(fs.readFileSync(path.join(city.dir, "committee-1.key"), "utf8")).toBe(seed);

  for (const [args, message] of [
    [["network", "init", "--name", "x"], /--out DIR is required/],
    [["network", "init", "--out", path.join(tmp, "bad1"), "--supply", "0"], /--supply must be a whole number/],
    [["network", "init", "--out", path.join(tmp, "bad2"), "--supply", "18446744073709551616"], /--supply must be a whole number/],
    [["network", "init", "--out", path.join(tmp, "bad3"), "--name", "dev"], /built-in dev network/],
    [["network", "init", "--out", path.join(tmp, "bad4"), "--to", "tdev1nope"], /--to:/],
    [["network", "init", "--out", path.join(tmp, "bad5"), "--difficulty", "64"], /--difficulty must be an integer from 0 to 63/],
    [["network", "init", "--out", path.join(tmp, "bad6"), "--committee", "17"], /--committee must be an integer from 1 to 16/],
    [["network", "init", "--out", path.join(tmp, "bad7"), "--committee", "4", "--threshold", "2"], /--threshold must be an integer from 3 to 4/],
    [["network", "init", "--out", path.join(tmp, "bad8"), "--threshold", "2"], /--threshold must be an integer from 1 to 1/],
  ] as [string[], RegExp][]) {
    const r = await tangle(args);
    expect([args.join(" "), r.code]).toEqual([args.join(" "), 2]);
    expect(r.stderr).toMatch(message);
  }
  for (const bad of ["bad1", "bad2", "bad3", "bad4", "bad5", "bad6", "bad7", "bad8"]) expect(fs.existsSync(path.join(tmp, bad))).toBe(false);
}, 60_000);

test("network init --committee 4 --threshold 3 writes four 0600 member keys named in the genesis's committee, in order; the default threshold is floor(2n/3) + 1", async () => {
  const dir = path.join(tmp, "four");
  const r = await tangle(["network", "init", "--out", dir, "--name", "four", "--committee", "4", "--threshold", "3", "--json"]);
  expect([r.code, r.stderr]).toEqual([0, ""]);
  const genesis = parseGenesis(fs.readFileSync(path.join(dir, "genesis.json"), "utf8"));
  const members = [1, 2, 3, 4].map((i) => {
    const file = path.join(dir, `committee-${i}.key`);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    return toHex(keyPairFromSeed(fromHex(fs.readFileSync(file, "utf8").trim())).publicKey);
  });
  expect(new Set(members).size).toBe(4);
  expect(genesis.committee).toEqual({ members, threshold: 3 });
  const out = JSON.parse(r.stdout);
  expect(out.coordinatorKeys).toEqual([1, 2, 3, 4].map((i) => path.join(dir, `committee-${i}.key`)));
  expect(out.commands.members[1]).toContain(`--coordinator-key ${path.join(dir, "committee-2.key")}`);
  // key show finds the genesis beside the key and says it is a member.
  const shown = JSON.parse((await tangle(["key", "show", path.join(dir, "committee-3.key"), "--json"])).stdout);
  expect(shown).toMatchObject({ publicKey: members[2], network: "four", coordinator: true });

  const seven = path.join(tmp, "seven");
  const people = await tangle(["network", "init", "--out", seven, "--name", "seven", "--committee", "7"]);
  expect(people.code).toBe(0);
  expect(people.stdout).toContain("signed by 5 of 7 committee members");
  expect(people.stdout).toContain(`--coordinator-key ${path.join(seven, "committee-7.key")}`);
  expect(parseGenesis(fs.readFileSync(path.join(seven, "genesis.json"), "utf8")).committee.threshold).toBe(5);

  // A member of the 3-of-4 committee alone: it takes part in rounds (proposes in its own, signs
  // its proposals), but with one member of the three needed no milestone can be made, and it says so.
  const member = await startNodeProcess(["--network", path.join(dir, "genesis.json"), "--coordinator-key", path.join(dir, "committee-2.key"), "--data", path.join(dir, "data", "node-2"), "--milestone-interval-ms", "50"]);
  try {
    const line = member.logs.map((l) => (l.startsWith("{") ? JSON.parse(l) : {})).find((j) => j.msg?.startsWith("committee: this node is a member"));
    expect(line).toMatchObject({ publicKey: members[1], members: 4, threshold: 3 });
    let health: { status: string; reason?: string } = { status: "ok" };
    for (let i = 0; i < 100 && health.status === "ok"; i++) {
      await new Promise((r) => setTimeout(r, 200));
      health = await (await fetch(`http://127.0.0.1:${member.port}/health`)).json();
    }
    expect(health).toEqual({ status: "unhealthy", reason: expect.stringContaining("committee: 1 of 4 members reachable, 3 needed to sign") });
    const cl = await RawClient.connect(member.url);
    const info = await cl.call("getNodeInfo");
    cl.ws.terminate();
    expect(info).toMatchObject({ latestMilestoneIndex: 0, committee: { members, threshold: 3, reachable: 1 }, coordinatorPublicKeys: members });
    // Alone, it proposes (a proposal binds nobody: docs/committee.md) and signs no essence: its sign
    // guard has nothing written down, so it is free to sign whichever essence the others propose.
    expect(fs.existsSync(path.join(dir, "data", "node-2", "committee-signed.json"))).toBe(false);
  } finally {
    await member.stop("SIGTERM");
  }
}, 45_000);

test("key new and key show: public key, address with the network's prefix, and hex", async () => {
  const keyFile = path.join(city.dir, "committee-1.key");
  const shown = await tangle(["key", "show", keyFile, "--json"]);
  expect(shown.code).toBe(0);
  const k = JSON.parse(shown.stdout);
  const genesis = parseGenesis(fs.readFileSync(path.join(city.dir, "genesis.json"), "utf8"));
  expect(k).toMatchObject({ publicKey: genesis.committee.members[0], network: "city", coordinator: true, address: expect.stringMatching(/^tcity1/) });
  const people = await tangle(["key", "show", keyFile]);
  expect(people.stdout).toContain(`public key   ${genesis.committee.members[0]}`);
  expect(people.stdout).toMatch(/^address\s+tcity1/m);

  const fresh = path.join(tmp, "fresh.key");
  const made = await tangle(["key", "new", "--out", fresh, "--network", "dev", "--json"]);
  expect(made.code).toBe(0);
  expect(fs.statSync(fresh).mode & 0o777).toBe(0o600);
  expect(JSON.parse(made.stdout)).toMatchObject({ file: fresh, address: expect.stringMatching(/^tdev1/), coordinator: false });
  expect(JSON.parse(made.stdout).seed).toBeUndefined(); // the secret stays in the file
  const twice = await tangle(["key", "new", "--out", fresh]);
  expect(twice.code).toBe(2);
  expect(twice.stderr).toMatch(/already exists/);
  const notKey = await tangle(["key", "show", path.join(city.dir, "genesis.json")]);
  expect(notKey.code).toBe(2);
  expect(notKey.stderr).toMatch(/not a key file/);
});

test("tangle node takes a key the genesis does not name (a committee change may name it later), and says so naming both keys", async () => {
  const wrong = path.join(tmp, "wrong.key");
  expect((await tangle(["key", "new", "--out", wrong])).code).toBe(0);
  const wrongPublic = toHex(keyPairFromSeed(fromHex(fs.readFileSync(wrong, "utf8").trim())).publicKey);
  const expected = parseGenesis(fs.readFileSync(path.join(city.dir, "genesis.json"), "utf8")).committee.members[0];
  const node = await startNodeProcess(["--network", path.join(city.dir, "genesis.json"), "--coordinator-key", wrong, "--data", path.join(tmp, "wrong-data")]);
  try {
    const line = node.logs.map((l) => (l.startsWith("{") ? JSON.parse(l) : {})).find((j) => typeof j.msg === "string" && j.msg.includes("not in the genesis committee"));
    expect(line.msg).toContain(`this node's key ${wrongPublic} is not in the genesis committee of network 'city'; it takes part once a committee change names it`);
    expect(line.genesisMembers).toEqual([expected]);
    const listening = node.logs.map((l) => (l.startsWith("{") ? JSON.parse(l) : {})).find((j) => j.msg === "listening");
    expect(listening).toMatchObject({ coordinator: false, committeeMember: false });
  } finally {
    await node.stop("SIGTERM");
  }
});

test("`node bin/tangle.js node` runs with the bounded heap of npm start and no warning", () => {
  for (const node of [city.node, slow.node]) {
    const listening = node.logs.map((l) => (l.startsWith("{") ? JSON.parse(l) : {})).find((j) => j.msg === "listening");
    // --max-old-space-size=256 --max-semi-space-size=8: 256 + 3 × 8 MiB (the old space alone is 256)
    expect(listening.heapLimitMiB).toBeGreaterThanOrEqual(256);
    expect(listening.heapLimitMiB).toBeLessThanOrEqual(280);
    expect(node.logs.join("\n")).not.toMatch(/heap not bounded/);
  }
});

test("a supply above 2^53 is printed exactly, as a JSON string", async () => {
  expect(slow.init.owner).toBe(slow.ownerHere);
  const r = await tangle(["wallet", "balance", slow.ownerHere, "--node", slow.node.url, "--json"]);
  expect([r.code, r.stderr]).toEqual([0, ""]);
  const b = JSON.parse(r.stdout);
  expect(b.confirmed).toBe(U64_MAX);
  expect(b.address).toMatch(/^tslowpow1/);
  const table = await tangle(["wallet", "balance", slow.ownerHere, "--node", slow.node.url]);
  expect(table.stdout).toContain(U64_MAX);
});

test("--dev is refused off the dev network, and with a second mnemonic source; a mnemonic file others can read gets a warning", async () => {
  const to = Wallet.fromMnemonic(generateMnemonic()).addressWith("tcity", 0);
  const [balance, send] = await Promise.all([
    tangle(["wallet", "balance", "--dev", "--node", city.node.url]),
    tangle(["wallet", "send", "--dev", "--to", to, "--amount", "1", "--node", city.node.url]),
  ]);
  for (const r of [balance, send]) {
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--dev uses the dev network's public mnemonic and works on the dev network only; the node at .* is on network 'city'/);
  }
  const offline = await tangle(["wallet", "address", "--dev", "--network", "city"]);
  expect(offline.code).toBe(2);
  expect(offline.stderr).toMatch(/--dev .* cannot be used with --network city/);

  const file = path.join(city.dir, "keys", "genesis.mnemonic");
  const both = await tangle(["wallet", "address", "--dev", "--mnemonic-file", file]);
  expect(both.code).toBe(2);
  expect(both.stderr).toMatch(/--dev and --mnemonic-file are two mnemonic sources/);
  const envToo = await tangle(["wallet", "address", "--dev"], { TANGLE_MNEMONIC: fs.readFileSync(file, "utf8") });
  expect(envToo.code).toBe(2);
  expect(envToo.stderr).toMatch(/--dev and TANGLE_MNEMONIC are two mnemonic sources/);

  // The genesis wallet's file is 0600: no warning; a copy readable by others: a warning, and it still works.
  const mine = await tangle(["wallet", "balance", "--mnemonic-file", file, "--node", city.node.url, "--json"]);
  expect(mine.stderr).toBe("");
  expect(JSON.parse(mine.stdout).confirmed).toBe(DEV_SUPPLY.toString());
  const open = path.join(tmp, "open.mnemonic");
  fs.copyFileSync(file, open);
  fs.chmodSync(open, 0o644);
  const warned = await tangle(["wallet", "address", "--mnemonic-file", open, "--network", "city"]);
  expect(warned.code).toBe(0);
  expect(warned.stderr).toMatch(/warning: .*open\.mnemonic is accessible by group or others \(mode 0644\).*chmod 600/);
  expect(warned.stdout).toMatch(/^tcity1/);
}, 60_000);

test("Ctrl-C during wallet send: before submission it will not confirm; after, it may, with the id and how to check; exit 130", async () => {
  // Submitted: the city network issues no milestone for an hour, so the send waits after submitting.
  const to = Wallet.fromMnemonic(generateMnemonic()).addressWith("tcity", 0);
  const after = start(["wallet", "send", "--mnemonic-file", path.join(city.dir, "keys", "genesis.mnemonic"), "--to", to, "--amount", "5", "--node", city.node.url]);
  const [, id] = await after.waitStderr(/submitted ([0-9a-f]{64})/);
  after.child.kill("SIGINT");
  const a = await after.done;
  expect(a.code).toBe(130);
  expect(a.stderr).toMatch(/interrupted after submitting the transfer: it may still confirm/);
  expect(a.stderr).toContain(id);
  expect(a.stderr).toContain("tangle wallet balance");

  // Not submitted: 26-bit proof of work takes the machine seconds; interrupt it.
  const before = start(["wallet", "send", "--mnemonic-file", slow.mnemonicFile, "--to", Wallet.fromMnemonic(generateMnemonic()).addressWith("tslowpow", 0), "--amount", "5", "--node", slow.node.url]);
  await before.waitStderr(/sending 5 in 1 transfer/);
  before.child.kill("SIGINT");
  const b = await before.done;
  expect(b.code).toBe(130);
  expect(b.stderr).toMatch(/interrupted before the transfer was submitted: it will not confirm/);
  expect(b.stderr).not.toMatch(/submitted [0-9a-f]{64}/);
}, 60_000);
