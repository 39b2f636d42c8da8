/**
 * Snapshots in a real network (issue 17): nodes on 127.0.0.1, peered over WebSockets.
 *
 *   C coordinator (archive) ── P (--pruning-depth 10, --snapshot-interval 4)
 *        └────────────────────  R (archive) ── P
 *   D --bootstrap snapshot --peer P: boots from the pruned node's newest file, then follows it
 *
 * C, R and D are `tangle node` processes (dist/). P runs in this process through the same
 * composition root (node/main.ts startNode, test/support/node.ts) with a tip-selection window of
 * 64 arrivals: the pruner never prunes a milestone whose cone the window may still hold, and a
 * process has the default window of 65,536 arrivals (no option sets it), far more than a test
 * makes in a minute.
 *
 * Load (value transfers and data records, submitted to all three) runs until P has pruned past the
 * first of it and then written a snapshot. D then has the same milestones (id,
 * state hash), the same ledger root and the same balances as the other three, confirms a spend and
 * a record submitted to it on all four, and P still answers ERR_PRUNED for what it deleted.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import type { Payload } from "../../../client/protocol/codec";
import { addressOf, KeyPair, keyPairFromSeed } from "../../../client/protocol/keys";
import { devWalletSeed } from "../../../node/networks/dev";
import { startNodeProcess, RawClient, NodeProcess } from "../api/_process";
import { startTestNode, TestNode } from "../../support/node";
import { buildVia, record } from "../api/_tx";

jest.setTimeout(120_000);

const dev = keyPairFromSeed(devWalletSeed());
const devAddr = addressOf(dev.publicKey);
/** Small, yet past the 8 milestones for which tip selection still returns a confirmed tip (docs/tip-selection.md). */
const DEPTH = 10;
let tmp: string;
const procs: NodeProcess[] = [];
const clients: RawClient[] = [];
let inProcess: TestNode | undefined;

beforeAll(() => void (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-snapnet-"))));
afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  await Promise.all(procs.map((p) => p.stop("SIGKILL")));
  await inProcess?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface N {
  name: string;
  url: string;
  /** Its log lines, parsed. */
  logs: () => Record<string, any>[];
  c: RawClient;
  call: (m: string, p?: unknown) => Promise<any>;
}

async function connect(name: string, url: string, logs: () => Record<string, any>[]): Promise<N> {
  const c = await RawClient.connect(url);
  clients.push(c);
  return { name, url, logs, c, call: (m, p) => c.call(m, p) };
}

async function start(name: string, extra: string[]): Promise<N> {
  const proc = await startNodeProcess(["--network", "dev", "--data", path.join(tmp, name), ...extra]);
  procs.push(proc);
  return connect(name, proc.url, () => proc.logs.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)));
}

async function until(what: string, ok: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const logged = (n: N, msg: string) => n.logs().filter((j) => j.msg === msg);
const index = (n: N) => n.call("getNodeInfo").then((i) => i.confirmedMilestoneIndex as number);

function transfer(key: KeyPair, input: { txId: string; index: number; amount: string }, to: { address: Uint8Array; amount: bigint }[]): Payload {
  const rest = BigInt(input.amount) - to.reduce((s, o) => s + o.amount, 0n);
  return { type: "transfer", inputs: [{ txId: fromHex(input.txId), index: input.index }], outputs: [...to, { address: addressOf(key.publicKey), amount: rest }] };
}

/**
 * `n.call`, asked again for a moment while the node says it is catching up (ERR_NOT_SYNCED: a
 * follower a milestone or two behind under load refuses selectParents, as it should; a client waits).
 */
function withRetry(n: N): N["call"] {
  return async (m, p) => {
    for (let i = 0; ; i++) {
      try {
        return await n.call(m, p);
      } catch (err) {
        if ((err as { code?: string }).code !== "ERR_NOT_SYNCED" || i >= 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
}

async function confirmedOn(n: N, id: string, timeoutMs: number): Promise<number> {
  let by = 0;
  await until(`${id} confirmed on ${n.name}`, async () => {
    const r = await n.c.raw("getTransactionMetadata", { id });
    if (!r.error && r.result.confirmed) by = r.result.confirmedBy;
    return by > 0;
  }, timeoutMs);
  return by;
}

/** The ledger root two nodes report at one same milestone (retried until they are at one). */
async function rootsAtOneMilestone(x: N, y: N, output: { txId: string; index: number }): Promise<string[]> {
  for (let i = 0; i < 200; i++) {
    const [a, b] = await Promise.all([x.call("getOutputProof", output), y.call("getOutputProof", output)]);
    if (a.milestoneIndex === b.milestoneIndex) return [a.ledgerRoot, b.ledgerRoot];
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${x.name} and ${y.name} were never at one milestone`);
}

test("a node booted from a pruned peer's snapshot has the network's ledger root and balances and confirms new transactions; the pruned node answers ERR_PRUNED for what it deleted", async () => {
  const C = await start("c", ["--coordinator-key", "dev", "--milestone-interval-ms", "250", "--pruning", "off"]);
  const R = await start("r", ["--peer", C.url, "--pruning", "off"]);
  inProcess = await startTestNode({ coordinator: false, peer: [C.url, R.url], pruningDepth: DEPTH, snapshotInterval: 4, node: { window: 64 } });
  const P = await connect("p", inProcess.url, () => inProcess!.logs);
  const nodes = [C, P, R];
  // The followers caught up before the load (selectParents refuses while a node is catching up).
  await until("P and R synced", async () => (await Promise.all([P, R].map((n) => n.call("getNodeInfo")))).every((i) => i.synced), 20_000);

  // Value: the genesis output to six owners; records on two streams, submitted to each node in turn.
  const owners = Array.from({ length: 6 }, () => keyPairFromSeed(randomBytes(32)));
  const addresses = [devAddr, ...owners.map((o) => addressOf(o.publicKey))];
  const genesisOut = (await C.call("getOutputs", { address: toHex(devAddr) })).outputs[0];
  const pay = (await C.call("submitTransaction", { bytes: await buildVia(C.call, dev, transfer(dev, genesisOut, owners.map((o, i) => ({ address: addressOf(o.publicKey), amount: BigInt(1000 + i) })))) })).id as string;
  await confirmedOn(C, pay, 20_000);
  const streams = [randomBytes(32), randomBytes(32)];
  const heads: (string | undefined)[] = [undefined, undefined];
  const records: string[] = [];
  let seq = 0;
  const oneRecord = async (n: N, s: number) => {
    heads[s] = (await n.call("submitTransaction", { bytes: await buildVia(withRetry(n), dev, record(streams[s], seq, heads[s])) })).id as string;
    records.push(heads[s]!);
  };
  for (let i = 0; i < 6; i++, seq++) for (const s of [0, 1]) await oneRecord(nodes[(i + s) % 3], s);
  // Owners 1 to 3 each pay a fresh address, through P, R and C: spends the snapshot carries as outputs.
  const spends: string[] = [];
  for (const [i, n] of [[1, P], [2, R], [3, C]] as const) {
    const o = owners[i];
    const out = (await n.call("getOutputs", { address: toHex(addressOf(o.publicKey)) })).outputs[0];
    const to = addressOf(keyPairFromSeed(randomBytes(32)).publicKey);
    addresses.push(to);
    spends.push((await n.call("submitTransaction", { bytes: await buildVia(withRetry(n), o, transfer(o, out, [{ address: to, amount: 400n }])) })).id as string);
  }
  let loadedAt = 0;
  for (const id of [...records, ...spends]) loadedAt = Math.max(loadedAt, await confirmedOn(C, id, 20_000));

  // More records while P prunes past the load and then writes a snapshot.
  const firstRecord = records[0];
  const firstConfirmedBy = await confirmedOn(P, firstRecord, 20_000);
  let pruned = 0;
  let snapshot = 0;
  for (let i = 0; ; i++, seq++) {
    const lines = P.logs();
    const at = lines.findIndex((j) => j.msg === "pruned" && j.pruningIndex >= loadedAt);
    if (at >= 0) {
      pruned = lines[at].pruningIndex;
      snapshot = Math.max(0, ...lines.slice(at).filter((j) => j.msg === "snapshot written").map((j) => j.index as number));
    }
    if (snapshot > 0) break;
    if (i > 200) throw new Error(`P did not prune past ${loadedAt} and snapshot above it (pruned ${pruned}, snapshot ${snapshot})`);
    await oneRecord(nodes[i % 3], i % 2);
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(pruned).toBeGreaterThanOrEqual(firstConfirmedBy);

  // D boots from P alone.
  const D = await start("d", ["--bootstrap", "snapshot", "--peer", P.url]);
  const imported = logged(D, "bootstrap: snapshot verified against the genesis and imported");
  expect(imported).toHaveLength(1);
  const N = imported[0].index as number;
  expect(N).toBeGreaterThan(pruned);
  expect(logged(D, "bootstrap: snapshot downloaded")[0]).toMatchObject({ peer: P.url, index: N });
  const all = [C, P, R, D];

  // It follows: every milestone from N to past the coordinator's latest, by id and state hash, on all four.
  const target = (await index(C)) + 3;
  await until("D past the coordinator's latest milestone", async () => (await index(D)) >= target, 30_000);
  for (let k = N; k <= target; k++) {
    const ms = await Promise.all(all.map((n) => n.call("getMilestone", { index: k })));
    for (const m of ms.slice(1)) expect({ k, id: m.id, stateHash: m.stateHash }).toEqual({ k, id: ms[0].id, stateHash: ms[0].stateHash });
  }

  // Same balances of every address the load paid, and the same ledger root at one milestone.
  for (const a of addresses) {
    const b = await Promise.all(all.map((n) => n.call("getBalance", { address: toHex(a) }).then((r) => r.confirmed as string)));
    expect(b).toEqual([b[0], b[0], b[0], b[0]]);
  }
  for (const n of [C, P, R]) {
    const [x, y] = await rootsAtOneMilestone(D, n, { txId: pay, index: 0 });
    expect(x).toBe(y);
  }

  // New transactions submitted to D: a spend of an output the snapshot carried, and a record; confirmed on all four.
  const owner = owners[0];
  const out = (await D.call("getOutputs", { address: toHex(addressOf(owner.publicKey)) })).outputs[0];
  expect(out).toMatchObject({ txId: pay, index: 0, amount: "1000" });
  const fresh = addressOf(keyPairFromSeed(randomBytes(32)).publicKey);
  const spend = (await D.call("submitTransaction", { bytes: await buildVia(withRetry(D), owner, transfer(owner, out, [{ address: fresh, amount: 600n }])) })).id as string;
  const rec = (await D.call("submitTransaction", { bytes: await buildVia(withRetry(D), dev, record(randomBytes(32), 0)) })).id as string;
  for (const n of all) {
    await confirmedOn(n, spend, 20_000);
    await confirmedOn(n, rec, 20_000);
    expect((await n.call("getBalance", { address: toHex(fresh) })).confirmed).toBe("600");
    expect((await n.call("getBalance", { address: toHex(addressOf(owner.publicKey)) })).confirmed).toBe("400");
  }

  // P deleted the first record: ERR_PRUNED with its pruning index; the archives still have it.
  const gone = await P.c.raw("getTransaction", { id: firstRecord });
  expect(gone.error).toMatchObject({ code: "ERR_PRUNED" });
  expect(gone.error.data.pruningIndex).toBeGreaterThanOrEqual(firstConfirmedBy);
  for (const n of [C, R]) expect((await n.call("getTransactionMetadata", { id: firstRecord })).confirmedBy).toBe(firstConfirmedBy);
  const prunedNow = (await P.call("getNodeInfo")).pruning.index as number;
  expect(prunedNow).toBeGreaterThanOrEqual(pruned);
  console.log(`snapshot network: P pruned to ${prunedNow}, D booted from its file at ${N} (${logged(D, "bootstrap: snapshot downloaded")[0].bytes} bytes), followed to ${target}`);
});
