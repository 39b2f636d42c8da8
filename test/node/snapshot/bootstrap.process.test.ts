/**
 * A new node boots from a peer's snapshot (issue 17): `tangle node --bootstrap snapshot --peer URL`
 * in real processes on 127.0.0.1.
 *
 *   C coordinator ── A (--snapshot-interval 3: writes <data>/snapshots/full-<N>.snap)
 *        └───────── B (no snapshots)
 *   D --bootstrap snapshot --peer A --peer B: imports A's newest file, then follows by gossip and sync
 *
 * Then peers that make the bootstrap fail: one serving a damaged file and one a file of another
 * genesis (ERR_BOOTSTRAP_VERIFY, naming ERR_SNAPSHOT_CHECKSUM and ERR_SNAPSHOT_WRONG_NETWORK), one
 * serving none (ERR_BOOTSTRAP_NO_SNAPSHOT); each leaves the data directory empty.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import type { Payload } from "../../../client/protocol/codec";
import { addressOf, KeyPair, keyPairFromSeed } from "../../../client/protocol/keys";
import { devWalletSeed } from "../../../node/networks/dev";
import { spawnNode } from "../../../bench/lib/processes";
import { startNodeProcess, RawClient, NodeProcess } from "../api/_process";
import { buildVia, record } from "../api/_tx";

jest.setTimeout(180_000);

const dev = keyPairFromSeed(devWalletSeed());
const devAddr = addressOf(dev.publicKey);
let tmp: string;
const procs: NodeProcess[] = [];
const clients: RawClient[] = [];

beforeAll(() => void (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-bootstrap-"))));
afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  await Promise.all(procs.map((p) => p.stop("SIGKILL")));
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface N {
  proc: NodeProcess;
  c: RawClient;
  call: (m: string, p?: unknown) => Promise<any>;
}

async function start(name: string, extra: string[]): Promise<N> {
  const proc = await startNodeProcess(["--network", "dev", "--data", path.join(tmp, name), ...extra]);
  procs.push(proc);
  const c = await RawClient.connect(proc.url);
  clients.push(c);
  return { proc, c, call: (m, p) => c.call(m, p) };
}

async function until(what: string, ok: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const logged = (p: { logs: string[] }, msg: string) => p.logs.map((l) => (l.startsWith("{") ? JSON.parse(l) : {})).filter((j) => j.msg === msg);
const index = (n: N) => n.call("getNodeInfo").then((i) => i.confirmedMilestoneIndex as number);

function transfer(key: KeyPair, input: { txId: string; index: number; amount: string }, to: { address: Uint8Array; amount: bigint }[]): Payload {
  const rest = BigInt(input.amount) - to.reduce((s, o) => s + o.amount, 0n);
  return { type: "transfer", inputs: [{ txId: fromHex(input.txId), index: input.index }], outputs: [...to, { address: addressOf(key.publicKey), amount: rest }] };
}

async function confirmedOn(n: N, id: string, timeoutMs: number): Promise<void> {
  await until(`${id} confirmed`, async () => {
    const r = await n.c.raw("getTransactionMetadata", { id });
    return !r.error && r.result.confirmed;
  }, timeoutMs);
}

/** The ledger root both nodes report at one same milestone (retried until they are at one). */
async function rootsAtOneMilestone(x: N, y: N, output: { txId: string; index: number }): Promise<{ index: number; roots: string[] }> {
  for (let i = 0; i < 100; i++) {
    const [a, b] = await Promise.all([x.call("getOutputProof", output), y.call("getOutputProof", output)]);
    if (a.milestoneIndex === b.milestoneIndex) return { index: a.milestoneIndex, roots: [a.ledgerRoot, b.ledgerRoot] };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the two nodes were never at one milestone");
}

test("a node started with --bootstrap snapshot imports a peer's verified snapshot, has its ledger root and balances, reaches the coordinator's latest milestone and confirms new transactions", async () => {
  const C = await start("c", ["--coordinator-key", "dev", "--milestone-interval-ms", "500"]);
  const A = await start("a", ["--peer", C.proc.url, "--snapshot-interval", "3"]);
  const B = await start("b", ["--peer", C.proc.url]);

  // Load before the snapshot: a transfer to five fresh addresses and records on two streams.
  const owners = Array.from({ length: 5 }, () => keyPairFromSeed(randomBytes(32)));
  const genesisOut = (await C.call("getOutputs", { address: toHex(devAddr) })).outputs[0];
  const pay = (await C.call("submitTransaction", { bytes: await buildVia(C.call, dev, transfer(dev, genesisOut, owners.map((o, i) => ({ address: addressOf(o.publicKey), amount: BigInt(1000 + i) })))) })).id as string;
  const records: string[] = [];
  for (const stream of [randomBytes(32), randomBytes(32)]) {
    let prev: string | undefined;
    for (let i = 0; i < 10; i++) records.push((prev = (await C.call("submitTransaction", { bytes: await buildVia(C.call, dev, record(stream, i, prev)) })).id as string));
  }
  await confirmedOn(C, pay, 20_000);
  for (const id of records) await confirmedOn(C, id, 20_000);
  let loadedAt = 0;
  for (const id of [pay, ...records]) loadedAt = Math.max(loadedAt, (await C.call("getTransactionMetadata", { id })).confirmedBy as number);
  await until("A wrote a snapshot past the load", () => logged(A.proc, "snapshot written").some((j) => j.index >= loadedAt), 30_000);

  const D = await start("d", ["--bootstrap", "snapshot", "--peer", A.proc.url, "--peer", B.proc.url]);
  const imported = logged(D.proc, "bootstrap: snapshot verified against the genesis and imported");
  expect(imported).toHaveLength(1);
  const N = imported[0].index as number;
  expect(N).toBeGreaterThanOrEqual(loadedAt);
  expect(logged(D.proc, "bootstrap: snapshot downloaded")[0]).toMatchObject({ peer: A.proc.url, index: N });
  // B serves none: said, and not fatal while A does.
  expect(logged(D.proc, "bootstrap: no snapshot from this peer").map((j) => j.peer)).toEqual([B.proc.url]);
  expect(fs.readdirSync(path.join(tmp, "d", "snapshots"))).toEqual([`full-${N}.snap`]);

  // The imported milestone is A's (and C's), by id and state hash.
  const [mD, mC] = await Promise.all([D.call("getMilestone", { index: N }), C.call("getMilestone", { index: N })]);
  expect({ id: mD.id, stateHash: mD.stateHash }).toEqual({ id: mC.id, stateHash: mC.stateHash });

  // It follows: the coordinator's latest milestone, every milestone after N with C's state hash.
  const target = (await index(C)) + 3;
  await until("D at the coordinator's latest milestone", async () => (await index(D)) >= target, 60_000);
  for (let k = N + 1; k <= target; k++) {
    const [a, b] = await Promise.all([D.call("getMilestone", { index: k }), C.call("getMilestone", { index: k })]);
    expect({ k, id: a.id, stateHash: a.stateHash }).toEqual({ k, id: b.id, stateHash: b.stateHash });
  }
  // Same balances and the same ledger root at one milestone.
  for (const a of [...owners.map((o) => addressOf(o.publicKey)), devAddr]) {
    const [x, y] = await Promise.all([D.call("getBalance", { address: toHex(a) }), C.call("getBalance", { address: toHex(a) })]);
    expect(x.confirmed).toBe(y.confirmed);
  }
  const r = await rootsAtOneMilestone(D, C, { txId: pay, index: 0 });
  expect(r.roots[0]).toBe(r.roots[1]);
  // History below the snapshot is not held on D: a record confirmed there is ERR_PRUNED with the
  // snapshot's index (not ERR_NOT_FOUND), and getNodeInfo names the snapshot D started from.
  expect((await D.call("getNodeInfo")).pruning).toMatchObject({ snapshotIndex: N });
  expect((await C.call("getNodeInfo")).pruning).toMatchObject({ snapshotIndex: 0 });
  for (const method of ["getTransaction", "getTransactionMetadata", "getInclusionProof"]) {
    const a = await D.c.raw(method, { id: records[0] });
    expect({ method, code: a.error?.code, data: a.error?.data }).toEqual({ method, code: "ERR_PRUNED", data: { pruningIndex: N } });
  }

  // New transactions submitted to D: a spend of an output the snapshot carried, and a record; confirmed on D and on C.
  const owner = owners[0];
  const out = (await D.call("getOutputs", { address: toHex(addressOf(owner.publicKey)) })).outputs[0];
  expect(out).toMatchObject({ txId: pay, index: 0, amount: "1000" });
  const fresh = addressOf(keyPairFromSeed(randomBytes(32)).publicKey);
  const spend = (await D.call("submitTransaction", { bytes: await buildVia(D.call, owner, transfer(owner, out, [{ address: fresh, amount: 600n }])) })).id as string;
  const rec = (await D.call("submitTransaction", { bytes: await buildVia(D.call, dev, record(randomBytes(32), 0)) })).id as string;
  for (const n of [D, C]) {
    await confirmedOn(n, spend, 30_000);
    await confirmedOn(n, rec, 30_000);
    expect((await n.call("getBalance", { address: toHex(fresh) })).confirmed).toBe("600");
  }
  console.log(`bootstrap: snapshot ${N} (${logged(D.proc, "bootstrap: snapshot downloaded")[0].bytes} bytes) downloaded in ${logged(D.proc, "bootstrap: snapshot downloaded")[0].ms} ms, imported in ${imported[0].ms} ms`);

  // Restarted with the same command line, D opens its database: the bootstrap is skipped and said so.
  procs.splice(procs.indexOf(D.proc), 1);
  await D.proc.stop();
  const again = await start("d", ["--bootstrap", "snapshot", "--peer", A.proc.url]);
  expect(logged(again.proc, "bootstrap: the data directory is not empty; skipped (the node opens what is there)")).toHaveLength(1);
  expect(await index(again)).toBeGreaterThanOrEqual(target);

  // A peer serving a damaged snapshot: A's file with one byte of its trailing checksum changed, in a node's snapshot directory.
  const good = path.join(tmp, "d", "snapshots", `full-${N}.snap`);
  const bad = fs.readFileSync(good);
  bad[bad.length - 1] ^= 0x01;
  fs.mkdirSync(path.join(tmp, "e", "snapshots"), { recursive: true });
  fs.writeFileSync(path.join(tmp, "e", "snapshots", `full-${N}.snap`), bad);
  const E = await start("e", ["--peer", C.proc.url]);
  // And one serving a file of another genesis (its header's genesis id changed: the first thing verified).
  const foreign = fs.readFileSync(good);
  foreign[8 + 1 + 1 + 4 + 5] ^= 0xff;
  fs.mkdirSync(path.join(tmp, "e2", "snapshots"), { recursive: true });
  fs.writeFileSync(path.join(tmp, "e2", "snapshots", `full-${N}.snap`), foreign);
  const E2 = await start("e2", ["--peer", C.proc.url]);
  for (const [peer, code, why] of [
    [E.proc.url, "ERR_BOOTSTRAP_VERIFY", "ERR_SNAPSHOT_CHECKSUM"],
    [E2.proc.url, "ERR_BOOTSTRAP_VERIFY", "ERR_SNAPSHOT_WRONG_NETWORK"],
    [B.proc.url, "ERR_BOOTSTRAP_NO_SNAPSHOT", "the peer has no snapshot to serve"],
  ]) {
    const dir = path.join(tmp, `f-${why}`);
    const f = spawnNode(["--network", "dev", "--data", dir, "--log-level", "debug", "--bootstrap", "snapshot", "--peer", peer]);
    expect(await f.exited).toBe(1);
    expect(f.logs.join("\n")).toContain(code);
    expect(f.logs.join("\n")).toContain(why);
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
  }
});
