/**
 * Time to synced for a new node: from genesis (milestone sync and solidification of the whole
 * history) against `--bootstrap snapshot` (docs/storage.md, "Booting from a peer", Measured):
 * `node dist/bench/snapshot/bootstrap.js [--records 20000] [--concurrency 16] [--json FILE]`
 * (`npm run bench:bootstrap`: a million records, bench/results/bootstrap.json and bootstrap-synced.svg).
 *
 * A coordinator process (dev network, an archive, 250 ms milestones, `--snapshot-interval 20`) takes N data
 * records from `concurrency` issuers (each attached to parents the node selects, stamped at the
 * difficulty it names); once a snapshot past the load is written, two new node processes are timed
 * from spawn to a confirmed milestone index at least the coordinator's when they were spawned: G
 * with `--peer C` on an empty directory, then S with `--bootstrap snapshot --peer C`. Checked: the
 * last records are confirmed at C; both G and S reach the index with C's state hash there; S's
 * import was of a file past the load.
 *
 * `--ledger-entries K` (then the above is skipped): the snapshot side at a large ledger. A file of K
 * random unspent outputs under a milestone signed by a committee of one (the network of
 * bench/snapshot/measure.ts, written as a genesis file) is put in the snapshot directory of a node
 * process P of that network; a node process S with `--bootstrap snapshot --peer P` is timed from
 * spawn to listening, with its own log's download, verify-and-import and database-open times.
 * Checked: S imported the file's index with its ledger root.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { attach, signTransaction, stampSync } from "../../client/protocol/build";
import { fromHex, toHex } from "../../client/protocol/bytes";
import { Code } from "../../client/protocol/codes";
import { keyPairFromSeed } from "../../client/protocol/keys";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";
import { devGenesis } from "../../node/networks/dev";
import { attach as attachTx, milestonePayload, signMilestone } from "../../client/protocol/build";
import { addressOf } from "../../client/protocol/keys";
import { outputEntryKey, outputEntryValue } from "../../client/protocol/ledger-proof";
import type { MilestoneFields } from "../../client/protocol/payloads";
import { seededRandom } from "../../client/util/random";
import { Genesis, genesisTransactionId } from "../../node/ledger/genesis";
import { outputTree } from "../../node/ledger/ledger-tree";
import { compareKeys, SnapshotWriter } from "../../node/snapshot";
import { requiredDifficulty } from "../../node/validation/pipeline";
import { writeCharts } from "../lib/chart";
import { launchNode, NodeProcess } from "../lib/processes";
import { BenchResult, makeReport, writeReport } from "../lib/report";
import { openRawClient, RawClient } from "../lib/raw-client";

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

async function call(c: RawClient, method: string, params: unknown = {}): Promise<any> {
  const r = await c.call(method, params);
  if (r.error) throw new Error(`${method}: ${r.error.code} ${r.error.message ?? ""}`);
  return r.result;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** This run's temporary directories, removed at exit whatever ends it. */
const temporary: string[] = [];
const logged = (p: NodeProcess, msg: string) => p.logs.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).filter((j) => j.msg === msg);

/** Spawn → confirmed index ≥ target with the coordinator's state hash there; ms. */
async function timeToSynced(args: string[], c: RawClient, deadlineMs: number): Promise<{ ms: number; proc: NodeProcess; index: number }> {
  const target = (await call(c, "getNodeInfo")).confirmedMilestoneIndex as number;
  const t0 = performance.now();
  const proc = await launchNode(args, { timeoutMs: deadlineMs });
  const n = await openRawClient(proc.url);
  try {
    for (;;) {
      const i = await call(n, "getNodeInfo");
      if (i.confirmedMilestoneIndex >= target) {
        const ms = performance.now() - t0;
        const [a, b] = await Promise.all([call(n, "getMilestone", { index: target }), call(c, "getMilestone", { index: target })]);
        if (a.stateHash !== b.stateHash) throw new Error(`state hash at ${target} differs`);
        return { ms, proc, index: target };
      }
      if (performance.now() - t0 > deadlineMs) {
        // What the node said about it (its warnings), so a stall names its cause.
        const warnings = proc.logs.filter((l) => /"level":(40|50)/.test(l)).slice(-10);
        await proc.stop("SIGKILL");
        throw new Error(`not synced within ${deadlineMs} ms (at ${i.confirmedMilestoneIndex} of ${target}); its last warnings:\n${warnings.join("\n")}`);
      }
      await sleep(50);
    }
  } finally {
    n.close();
  }
}

/** The snapshot side at `n` ledger entries (see the header). */
async function largeLedger(n: number): Promise<void> {
  const r = seededRandom(17);
  const member = keyPairFromSeed(new Uint8Array(32).fill(0x5e));
  const genesis: Genesis = {
    networkId: 4242,
    networkName: "snapshot-bench",
    committee: { members: [toHex(member.publicKey)], threshold: 1 },
    outputs: [{ address: toHex(addressOf(member.publicKey)), amount: "1000" }],
    milestoneIntervalMs: 250,
    baseDifficulty: 4,
  };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-bootstrap-bench-"));
  temporary.push(tmp);
  const procs: NodeProcess[] = [];
  try {
    const genesisFile = path.join(tmp, "genesis.json");
    fs.writeFileSync(genesisFile, JSON.stringify(genesis));
    const outputs = Array.from({ length: n }, () => ({ txId: r.bytes(32), index: r.int(4), address: r.bytes(32), amount: BigInt(1 + r.int(1_000_000)) }));
    const entries = outputs.map((o) => ({ key: outputEntryKey(o.txId, o.index), value: outputEntryValue(o.address, o.amount) })).sort((a, b) => compareKeys(a.key, b.key));
    const ledgerRoot = outputTree(outputs).root();
    const parents = [r.bytes(32), r.bytes(32)].sort(Buffer.compare);
    const fields: MilestoneFields = { type: "milestone", index: 1, timestamp: Date.now(), previousMilestoneId: new Uint8Array(32), confirmedMerkleRoot: r.bytes(32), ledgerStateHash: r.bytes(32), ledgerRoot };
    const payload = milestonePayload(fields, [signMilestone(genesis.networkId, parents, fields, member.publicKey, member.secretKey)]);
    const signed = signTransaction({ version: PROTOCOL_VERSION, networkId: genesis.networkId, issuer: member.publicKey, payload }, member.secretKey);
    const unstamped = attachTx(signed, parents, fields.timestamp);
    const milestone = stampSync(unstamped, requiredDifficulty(unstamped.length, genesis.baseDifficulty));
    fs.mkdirSync(path.join(tmp, "p", "snapshots"), { recursive: true });
    const w = SnapshotWriter.create(path.join(tmp, "p", "snapshots", "full-1.snap"), { kind: "full", networkId: genesis.networkId, genesisId: genesisTransactionId(genesis), index: 1, ledgerRoot, milestone, changes: [], entryPoints: [], deletedCount: 0, entryCount: n });
    for (const e of entries) w.addEntry(e.key, e.value);
    const { bytes } = w.finish();
    const P = await launchNode(["--network", genesisFile, "--data", path.join(tmp, "p"), "--log-level", "info"]);
    procs.push(P);
    const t0 = performance.now();
    const S = await launchNode(["--network", genesisFile, "--data", path.join(tmp, "s"), "--peer", P.url, "--bootstrap", "snapshot", "--log-level", "info"], { timeoutMs: 110_000 });
    const listeningMs = performance.now() - t0;
    procs.push(S);
    const dl = logged(S, "bootstrap: snapshot downloaded")[0];
    const im = logged(S, "bootstrap: snapshot verified against the genesis and imported")[0];
    const opened = logged(S, "database opened")[0];
    if (!im || im.index !== 1 || im.ledgerRoot !== toHex(ledgerRoot) || im.entries !== n) throw new Error(`the import: ${JSON.stringify(im)}`);
    console.log(`snapshot of ${n} entries (${bytes} bytes): spawn to listening ${Math.round(listeningMs)} ms; downloaded in ${dl.ms} ms (${dl.mbPerSecond} MB/s), verified and imported in ${im.ms} ms, database opened in ${opened.startupMs} ms`);
    console.log(JSON.stringify({ entries: n, bytes, listeningMs: Math.round(listeningMs), downloadMs: dl.ms, importMs: im.ms, openMs: opened.startupMs }));
  } finally {
    await Promise.all(procs.map((p) => p.stop("SIGKILL")));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const large = arg("ledger-entries", 0);
  if (large > 0) return largeLedger(large);
  const records = arg("records", 20_000);
  const concurrency = arg("concurrency", 16);
  const json = process.argv.includes("--json") ? process.argv[process.argv.indexOf("--json") + 1] : undefined;
  // Waits grow with the history: from genesis ran at about 0.4 ms a record up to 40,000 records
  // (docs/storage.md); 2 ms a record, at least 100 s, leaves room for a slower machine.
  const syncDeadlineMs = Math.max(100_000, records * 2);
  const waitMs = Math.max(30_000, records / 10);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-bootstrap-bench-"));
  temporary.push(tmp);
  const procs: NodeProcess[] = [];
  try {
    // An archive: a node syncing from genesis needs every transaction of the history.
    const C = await launchNode(["--network", "dev", "--data", path.join(tmp, "c"), "--coordinator-key", "dev", "--pruning", "off", "--milestone-interval-ms", "250", "--snapshot-interval", "20", "--log-level", "info"]);
    procs.push(C);
    const c = await openRawClient(C.url);
    const networkId = devGenesis().networkId;
    let sent = 0;
    const last: string[] = [];
    const tl = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        const key = keyPairFromSeed(randomBytes(32));
        const w = await openRawClient(C.url);
        const stream = randomBytes(32);
        let prev: Uint8Array = new Uint8Array(32);
        let difficulty = 0;
        for (let seq = 0; sent < records; seq++) {
          sent++;
          const { parents } = await call(w, "selectParents", { count: 2 });
          const payload = { type: "data" as const, streamId: stream, sequence: seq, prevRecordId: prev, contentType: "application/json", data: new TextEncoder().encode(`{"v":${seq}}`) };
          const signed = signTransaction({ version: PROTOCOL_VERSION, networkId, issuer: key.publicKey, payload }, key.secretKey);
          const bytes = attach(signed, parents.map((p: string) => fromHex(p)), Date.now());
          if (seq % 100 === 0) difficulty = (await call(w, "getDifficulty", { issuer: toHex(key.publicKey), size: bytes.length })).difficulty;
          // The adaptive PoW may ask more of an issuer between two looks at its difficulty: a
          // refusal for insufficient work is asked again and stamped again (a long load met one).
          let answer = await w.call("submitTransaction", { bytes: stampSync(bytes, difficulty) });
          for (let retry = 0; answer.error?.code === Code.ERR_TX_POW_INSUFFICIENT && retry < 8; retry++) {
            difficulty = (await call(w, "getDifficulty", { issuer: toHex(key.publicKey), size: bytes.length })).difficulty;
            answer = await w.call("submitTransaction", { bytes: stampSync(bytes, difficulty) });
          }
          if (answer.error) throw new Error(`submitTransaction: ${answer.error.code} ${answer.error.message ?? ""}`);
          const id = answer.result.id as string;
          prev = fromHex(id);
          if (sent > records - 50) last.push(id);
        }
        w.close();
      }),
    );
    const loadMs = performance.now() - tl;
    const loadedAt = (await call(c, "getNodeInfo")).confirmedMilestoneIndex as number;
    for (let t = Date.now(); ; await sleep(200)) {
      let all = true;
      for (const id of last) all &&= (await call(c, "getTransactionMetadata", { id })).confirmed;
      if (all) break;
      if (Date.now() - t > waitMs) throw new Error(`the load was not confirmed in ${waitMs / 1000} s`);
    }
    for (let t = Date.now(); !logged(C, "snapshot written").some((j) => j.index > loadedAt + 2); await sleep(200)) {
      if (Date.now() - t > waitMs) throw new Error(`no snapshot past the load in ${waitMs / 1000} s`);
    }
    const snap = logged(C, "snapshot written").at(-1);
    const stored = (await call(c, "getNodeInfo")).storedTransactions as number;
    console.log(`load: ${records} records in ${(loadMs / 1000).toFixed(1)} s (${Math.round(records / (loadMs / 1000))}/s); ${stored} transactions stored at C; snapshot ${snap.index}: ${snap.bytes} bytes, ${snap.entries} entries, written in ${snap.ms} ms`);

    const G = await timeToSynced(["--network", "dev", "--data", path.join(tmp, "g"), "--peer", C.url, "--log-level", "info"], c, syncDeadlineMs);
    procs.push(G.proc);
    const gStored = (await (async () => {
      const n = await openRawClient(G.proc.url);
      try {
        return (await call(n, "getNodeInfo")).storedTransactions as number;
      } finally {
        n.close();
      }
    })());
    await G.proc.stop();
    console.log(`from genesis: synced to milestone ${G.index} in ${Math.round(G.ms)} ms (${gStored} transactions stored)`);

    const S = await timeToSynced(["--network", "dev", "--data", path.join(tmp, "s"), "--peer", C.url, "--bootstrap", "snapshot", "--log-level", "info"], c, syncDeadlineMs);
    procs.push(S.proc);
    const dl = logged(S.proc, "bootstrap: snapshot downloaded")[0];
    const im = logged(S.proc, "bootstrap: snapshot verified against the genesis and imported")[0];
    if (!im || im.index <= loadedAt) throw new Error("the booted node did not import a snapshot past the load");
    console.log(`from a snapshot: synced to milestone ${S.index} in ${Math.round(S.ms)} ms (snapshot ${im.index}: ${dl.bytes} bytes downloaded in ${dl.ms} ms, verified and imported in ${im.ms} ms)`);
    console.log(JSON.stringify({ records, loadMs: Math.round(loadMs), stored, snapshot: { index: snap.index, bytes: snap.bytes, entries: snap.entries }, fromGenesisMs: Math.round(G.ms), fromSnapshotMs: Math.round(S.ms), downloadMs: dl.ms, importMs: im.ms }));
    if (json) {
      // The shared report format (bench/lib/report.ts) and its chart next to it (bootstrap-synced.svg).
      const params = { records, storedTransactions: stored };
      const results: BenchResult[] = [
        { name: "load", params, metric: "records-per-second", value: Math.round(records / (loadMs / 1000)), unit: "tx/s" },
        { name: "time-to-synced", params: { ...params, from: "genesis", milestone: G.index, storedAtNode: gStored }, metric: "spawn-to-synced", value: Math.round(G.ms), unit: "ms" },
        { name: "time-to-synced", params: { ...params, from: "snapshot", milestone: S.index }, metric: "spawn-to-synced", value: Math.round(S.ms), unit: "ms" },
        { name: "snapshot", params: { ...params, index: snap.index, entries: snap.entries }, metric: "file-bytes", value: snap.bytes, unit: "B" },
        { name: "snapshot", params: { ...params, index: im.index }, metric: "download", value: dl.ms, unit: "ms" },
        { name: "snapshot", params: { ...params, index: im.index }, metric: "verify-and-import", value: im.ms, unit: "ms" },
      ];
      const report = makeReport("bootstrap", results);
      writeReport(json, report);
      console.log(`wrote ${[json, ...(await writeCharts(report, json))].join(", ")}`);
    }
    c.close();
  } finally {
    await Promise.all(procs.map((p) => p.stop("SIGKILL")));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// Stopped by a signal (a long run given up): exit, so that ../lib/processes.ts kills the node
// processes, and remove the temporary directories of this run (a million records are gigabytes).
process.once("exit", () => {
  for (const d of temporary) {
    try {
      fs.rmSync(d, { recursive: true, force: true });
    } catch {
      // a node was still writing into it
    }
  }
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(signal === "SIGINT" ? 130 : 143));

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
