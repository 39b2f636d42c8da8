/**
 * Delta snapshots on a running node and over the peer protocol (node/snapshot/periodic.ts,
 * node/peering/snapshot-serve.ts, node/snapshot/bootstrap.ts; docs/storage.md): a coordinator with
 * `--snapshot-interval 8 --snapshot-delta-interval 2` writes a delta from its newest full file
 * every other milestone; each verifies on its base at its own index; at most two per base are kept,
 * none on a base that is gone. A peer of protocol 6 is offered the newest full file and the newest
 * delta on it, a peer of protocol 5 the full file only. A node booting from it (`--bootstrap
 * snapshot`) downloads both, imports the delta on its base, keeps both to serve them on, and has the
 * coordinator's ledger; from a peer whose delta is damaged it imports the full file alone.
 * Nodes through the composition root (test/support/node.ts), LMDB in temporary folders.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { packFrame, unpackFrame } from "../../../client/protocol/frame";
import { addressOf, keyPairFromSeed } from "../../../client/protocol/keys";
import { devGenesis, devWalletSeed } from "../../../node/networks/dev";
import { genesisTransactionId } from "../../../node/ledger/genesis";
import { parsePeerMessage } from "../../../node/peering/protocol";
import { verifySnapshot } from "../../../node/snapshot";
import { snapshotFileName } from "../../../node/snapshot/periodic";
import { startTestNode, TestNode } from "../../support/node";
import { buildTx, cleanupDirs, tmpDir } from "../_helpers";
import { devHello, rawPeer } from "../peering/_peer";

const nodes: TestNode[] = [];
afterAll(async () => {
  for (const n of nodes.reverse()) await n.close();
  cleanupDirs();
});

async function until<T>(what: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = what();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 25));
  }
}

const dev = keyPairFromSeed(devWalletSeed());
const genesis = devGenesis();
let S: TestNode;
let to: Uint8Array;
const snapDir = () => path.join(S.dataDir, "snapshots");
const files = () => (fs.existsSync(snapDir()) ? fs.readdirSync(snapDir()).flatMap((f) => (snapshotFileName(f) ? [{ f, ...snapshotFileName(f)! }] : [])) : []);

beforeAll(async () => {
  S = await startTestNode({ snapshotInterval: 8, snapshotDeltaInterval: 2, milestoneIntervalMs: 50 });
  nodes.push(S);
  // A transfer confirmed after a full file, so the deltas on it hold it.
  const firstFull = await until(() => files().find((x) => x.kind === "full")?.index);
  await until(() => S.node.ledgerIndex > firstFull);
  to = addressOf(keyPairFromSeed(randomBytes(32)).publicKey);
  const g = genesisTransactionId(genesis);
  const amount = S.node.outputs(addressOf(dev.publicKey))[0].amount;
  const pay = await S.node.submit(buildTx(S.node, dev, { type: "transfer", inputs: [{ txId: g, index: 0 }], outputs: [{ address: to, amount: 55n }, { address: addressOf(dev.publicKey), amount: amount - 55n }] }));
  const at = await until(() => S.node.getMetadata(pay.id)?.confirmedBy ?? undefined);
  // Past two full files and a delta on the newer one; then no more milestones, so the files stay as they are.
  await until(() => {
    const newest = Math.max(...files().filter((x) => x.kind === "full").map((x) => x.index));
    return S.node.ledgerIndex >= at + 20 && files().some((x) => x.kind === "delta" && x.base === newest && x.index > at);
  });
  await S.started.coordinator!.stop();
  await new Promise((r) => setTimeout(r, 300)); // a file under way is finished
  last = S.node.ledgerIndex;
});
let last = 0;

test("a delta from the newest full file every other milestone: each verifies on its base at its index; two kept per base, none on a base that is gone", async () => {
  const now = files();
  const fulls = now.filter((x) => x.kind === "full").map((x) => x.index);
  expect(fulls.length).toBe(2);
  const deltas = now.filter((x): x is Extract<typeof x, { kind: "delta" }> => x.kind === "delta");
  expect(deltas.length).toBeGreaterThanOrEqual(1);
  for (const d of deltas) {
    expect(fulls).toContain(d.base);
    expect(deltas.filter((x) => x.base === d.base).length).toBeLessThanOrEqual(2);
    const v = await verifySnapshot(path.join(snapDir(), d.f), genesis, { base: path.join(snapDir(), `full-${d.base}.snap`) });
    expect(v).toMatchObject({ ok: true, kind: "delta", index: d.index, base: { index: d.base } });
    expect(S.node.getMilestone(d.index)).toBeDefined();
  }
  const written = S.logs.filter((l) => l.msg === "snapshot written" && l.kind === "delta");
  expect(written.length).toBeGreaterThanOrEqual(2);
});

test("snapinfo offers the newest delta on the newest full file to a peer of protocol 6, the full file alone to a peer of protocol 5", async () => {
  const offer = async (protocol: number) => {
    const p = await rawPeer(S.port);
    p.send({ ...devHello(), protocol });
    p.send({ t: "snapreq" });
    const info = await until(() => p.frames.map((f) => unpackFrame(f) as { t: string }).find((m) => m.t === "snapinfo"));
    p.ws.close();
    return info as { t: "snapinfo"; index: number; delta?: { index: number; bytes: number; ledgerRoot: string } };
  };
  const six = await offer(6);
  const newestFull = Math.max(...files().filter((x) => x.kind === "full").map((x) => x.index));
  expect(six.index).toBe(newestFull);
  expect(six.delta).toBeDefined();
  const onIt = files().filter((x) => x.kind === "delta" && x.base === newestFull).map((x) => x.index);
  expect(onIt).toContain(six.delta!.index);
  expect(six.delta!.bytes).toBe(fs.statSync(path.join(snapDir(), `delta-${newestFull}-${six.delta!.index}.snap`)).size);
  const five = await offer(5);
  expect(five.delta).toBeUndefined();
  // The form: a delta must be above the full file, with a size and a root.
  const parse = (m: unknown) => parsePeerMessage(packFrame(m), true, false);
  const base = { t: "snapinfo", index: 8, kind: "full", bytes: 100, ledgerRoot: "ab".repeat(32) };
  expect(parse({ ...base, delta: { index: 10, bytes: 7, ledgerRoot: "cd".repeat(32) } })).toEqual({ ok: true, msg: { ...base, delta: { index: 10, bytes: 7, ledgerRoot: "cd".repeat(32) } } });
  for (const delta of [{ index: 8, bytes: 7, ledgerRoot: "cd".repeat(32) }, { index: 10, bytes: 0, ledgerRoot: "cd".repeat(32) }, { index: 10, bytes: 7, ledgerRoot: "x" }, null, 5]) {
    expect(parse({ ...base, delta })).toEqual({ ok: false, why: "bad snapinfo (delta)" });
  }
});

test("a node booting from it downloads the full file and the delta, imports the delta on its base, keeps both, and has the coordinator's ledger", async () => {
  const D = await startTestNode({ coordinator: false, bootstrap: "snapshot", peer: [S.url] });
  nodes.push(D);
  const imported = D.logs.find((l) => l.msg === "bootstrap: snapshot verified against the genesis and imported")!;
  expect(imported).toMatchObject({ kind: "delta" });
  const N = imported.index as number;
  const B = imported.base as number;
  expect(N).toBeGreaterThan(B);
  expect(fs.readdirSync(path.join(D.dataDir, "snapshots")).sort()).toEqual([`delta-${B}-${N}.snap`, `full-${B}.snap`]);
  expect(D.node.getMilestone(N)?.id).toBe(S.node.getMilestone(N)?.id);
  await until(() => D.node.ledgerIndex >= last);
  expect(D.node.getMilestone(last)?.stateHash).toBe(S.node.getMilestone(last)?.stateHash);
  expect(D.node.balance(to).confirmed).toBe(55n);
});

test("a damaged delta is refused and the full file alone imported", async () => {
  // A peer serving the coordinator's newest full file and a delta on it with a byte of its checksum changed.
  const newestFull = Math.max(...files().filter((x) => x.kind === "full").map((x) => x.index));
  const delta = files().filter((x) => x.kind === "delta" && x.base === newestFull).sort((a, b) => b.index - a.index)[0];
  const servingDir = tmpDir();
  fs.mkdirSync(path.join(servingDir, "snapshots"));
  fs.copyFileSync(path.join(snapDir(), `full-${newestFull}.snap`), path.join(servingDir, "snapshots", `full-${newestFull}.snap`));
  const bad = fs.readFileSync(path.join(snapDir(), delta.f));
  bad[bad.length - 1] ^= 1;
  fs.writeFileSync(path.join(servingDir, "snapshots", delta.f), bad);
  const E = await startTestNode({ coordinator: false, data: servingDir, peer: [S.url] });
  nodes.push(E);
  const D2 = await startTestNode({ coordinator: false, bootstrap: "snapshot", peer: [E.url] });
  nodes.push(D2);
  expect(D2.logs.find((l) => l.msg === "bootstrap: delta snapshot refused; the full snapshot alone is imported")).toMatchObject({ code: "ERR_SNAPSHOT_CHECKSUM", index: delta.index });
  expect(D2.logs.find((l) => l.msg === "bootstrap: snapshot verified against the genesis and imported")).toMatchObject({ kind: "full", index: newestFull });
  expect(fs.readdirSync(path.join(D2.dataDir, "snapshots"))).toEqual([`full-${newestFull}.snap`]);
  await until(() => D2.node.ledgerIndex >= last);
  expect(D2.node.getMilestone(last)?.stateHash).toBe(S.node.getMilestone(last)?.stateHash);
});
