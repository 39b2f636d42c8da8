/**
 * Pages in use under a steady load, with pruning and without (docs/storage.md, Pruning, Measured).
 * One node in this process (LMDB in a temporary folder, its own coordinator every 100 ms, a window
 * of 512 arrivals), data records of 1 KB from 16 sensors (one stream each) submitted at a steady
 * rate for `--seconds`;
 * every few seconds the pages in use, the file's size and the pruning index are sampled. Run once
 * with pruning at `--depth` milestones and once as an archive; each run checks at its end that the
 * ledger index went on and that (pruned) the oldest records are gone and so are their stream index
 * entries, or (archive) all are there. The pruned run also prints which sub-databases grew between
 * the first prune and the end (pages each), and the bytes a kept milestone takes (its transaction,
 * in `tx` or, pruned, `keptTx`; its record, id and metadata entries, and its issuer entry until it
 * is pruned: keys and values, without B-tree overhead).
 *
 *   node dist/bench/pruning/pages.js [--seconds 25] [--rate 200] [--depth 20]
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { attach, signTransaction, stampSync } from "../../client/protocol/build";
import { decodeTransaction } from "../../client/protocol/codec";
import { fromHex, toHex } from "../../client/protocol/bytes";
import { keyPairFromSeed, addressOf } from "../../client/protocol/keys";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";
import { Coordinator } from "../../node/coordinator";
import type { Genesis } from "../../node/ledger/genesis";
import { TangleNode } from "../../node/tangle-node";
import { Pruner } from "../../node/pruning/pruner";
import { databasePages } from "../../node/pruning/pages";
import { keys } from "../../node/storage/schema";
import type { Store } from "../../node/storage/store";
import { requiredDifficulty } from "../../node/validation/pipeline";

const coordinatorSeed = new Uint8Array(32).fill(0xc0);
const issuer = keyPairFromSeed(new Uint8Array(32).fill(0xa1));
const genesis: Genesis = {
  networkId: 77,
  networkName: "bench",
  committee: { members: [toHex(keyPairFromSeed(coordinatorSeed).publicKey)], threshold: 1 },
  outputs: [{ address: toHex(addressOf(issuer.publicKey)), amount: "1000" }],
  milestoneIntervalMs: 100,
  baseDifficulty: 4,
};

interface Sample {
  s: number;
  ledgerIndex: number;
  pruningIndex: number;
  pagesInUse: number;
  fileMB: number;
}

interface PageStat {
  treeBranchPageCount?: number;
  treeLeafPageCount?: number;
  overflowPages?: number;
}

/** Pages of each sub-database. */
function pagesByDb(store: Store): Record<string, number> {
  const dbs = { tx: store.tx, keptTx: store.keptTx, ids: store.ids, meta: store.meta, approvers: store.approvers, utxo: store.utxo, spent: store.spent, balances: store.balances, received: store.received, milestones: store.milestones, streams: store.streams, issuers: store.issuers, state: store.state };
  const out: Record<string, number> = {};
  for (const [name, db] of Object.entries(dbs)) {
    const st = db.getStats() as PageStat;
    out[name] = (st.treeBranchPageCount ?? 0) + (st.treeLeafPageCount ?? 0) + (st.overflowPages ?? 0);
  }
  return out;
}

/** Bytes (keys and values) a kept milestone takes, averaged over milestones from..to. */
function milestoneBytes(store: Store, from: number, to: number): number {
  let total = 0;
  let n = 0;
  for (let m = from; m <= to; m++) {
    const record = store.getMilestone(m);
    const seq = record && store.seqOf(record.id);
    if (!record || seq === undefined) continue;
    const value = store.storedValueBySeq(seq)!;
    total += 8 + value.length; // tx or keptTx: seq -> id || bytes
    total += 32 + 8; // ids
    total += 8 + 16; // meta
    const d = decodeTransaction(store.getTransactionBytes(record.id)!);
    if (d.ok && store.issuers.doesExist(keys.issuer(d.value.tx.issuer, d.value.tx.timestamp, record.id))) total += 32 + 8 + 32; // issuers (key only; gone once pruned)
    total += 4 + store.milestones.getBinary(keys.milestone(m))!.length; // the record (msgpack)
    n++;
  }
  return n ? Math.round(total / n) : 0;
}

async function runOnce(seconds: number, rate: number, depth: number | undefined): Promise<Sample[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-bench-pruning-"));
  const node = await TangleNode.open({ dataDir: dir, genesis, window: 512 });
  const coord = new Coordinator(node, coordinatorSeed, { intervalMs: 100 });
  const pruner = depth === undefined ? undefined : new Pruner({ node, depth, synced: () => true });
  if (pruner) node.on("milestone", pruner.onMilestone);
  coord.start();
  const body = new TextEncoder().encode("x".repeat(1000));
  const samples: Sample[] = [];
  const first: string[] = [];
  let atFirstPrune: Record<string, number> | undefined;
  const heads: Uint8Array[] = [];
  const t0 = Date.now();
  let n = 0;
  let nextSample = 0;
  try {
    while (Date.now() - t0 < seconds * 1000) {
      // 16 sensors, each a stream of records linked by their previous record's id.
      const sensor = n % 16;
      const stream = new Uint8Array(32).fill(sensor + 1);
      const sequence = Math.floor(n / 16);
      const prev = heads[sensor] ?? new Uint8Array(32);
      const payload = { type: "data" as const, streamId: stream, sequence, prevRecordId: sequence === 0 ? new Uint8Array(32) : prev, contentType: "text/plain", data: body };
      const signed = signTransaction({ version: PROTOCOL_VERSION, networkId: genesis.networkId, issuer: issuer.publicKey, payload }, issuer.secretKey);
      const bytes = attach(signed, node.selectParents(2).map((p) => fromHex(p)), node.now());
      const r = await node.submit(stampSync(bytes, requiredDifficulty(bytes.length, genesis.baseDifficulty)));
      heads[sensor] = fromHex(r.id);
      if (n < 20) first.push(r.id);
      n++;
      const due = t0 + (n * 1000) / rate;
      if (due > Date.now()) await new Promise((res) => setTimeout(res, due - Date.now()));
      const s = (Date.now() - t0) / 1000;
      if (!atFirstPrune && node.pruningIndex > 0) atFirstPrune = pagesByDb(node.store);
      if (s >= nextSample) {
        const p = databasePages(node.store);
        samples.push({ s: Math.round(s), ledgerIndex: node.ledgerIndex, pruningIndex: node.pruningIndex, pagesInUse: p.pagesInUse, fileMB: +(p.fileBytes / 1e6).toFixed(2) });
        nextSample += seconds / 5;
      }
    }
    await coord.stop();
    await pruner?.close();
    const p = databasePages(node.store);
    samples.push({ s: Math.round((Date.now() - t0) / 1000), ledgerIndex: node.ledgerIndex, pruningIndex: node.pruningIndex, pagesInUse: p.pagesInUse, fileMB: +(p.fileBytes / 1e6).toFixed(2) });
    // The answer is right: pruned, the first records are gone; archive, all are there.
    console.table(samples);
    const stored = first.filter((id) => node.hasTransaction(id)).length;
    if (depth !== undefined && stored !== 0) throw new Error(`pruned run: ${stored} of the first records still stored`);
    if (depth === undefined && stored !== first.length) throw new Error("archive run: a record is missing");
    // Pruned, every stream lists only records still stored (the index went with them).
    for (let sensor = 0; sensor < 16; sensor++) {
      for (const r of node.store.streamRecords(new Uint8Array(32).fill(sensor + 1), 0, 1000)) {
        if (!node.store.hasTransaction(r.id)) throw new Error(`stream ${sensor + 1} lists sequence ${r.sequence}, not stored`);
      }
    }
    console.log(`${depth === undefined ? "archive" : `pruning depth ${depth}`}: ${n} records in ${seconds} s`);
    if (atFirstPrune) {
      const end = pagesByDb(node.store);
      const grew = Object.fromEntries(Object.keys(end).map((k) => [k, end[k] - atFirstPrune![k]]));
      console.log("pages grown per sub-database from the first prune to the end:", JSON.stringify(grew));
    }
    const to = node.ledgerIndex;
    console.log(`bytes per kept milestone (milestones ${Math.max(1, to - 99)}..${to}): ${milestoneBytes(node.store, Math.max(1, to - 99), to)}`);
    return samples;
  } finally {
    await node.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: "string", default: "25" }, rate: { type: "string", default: "200" }, depth: { type: "string", default: "20" } } });
  const seconds = Number(values.seconds);
  const rate = Number(values.rate);
  for (const depth of [Number(values.depth), undefined]) await runOnce(seconds, rate, depth);
}

void main();
