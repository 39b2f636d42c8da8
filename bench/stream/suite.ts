/**
 * stream: how long `verifyStream` (client/gateway/verify.ts) takes to fetch and check one stream
 * of 10,000 records from a real local node process, end to end (getStream pages over WebSocket,
 * decoding, ids, signatures, links), with each Ed25519 verifier the client can use in Node:
 * libsodium (the default), node:crypto (its fallback), WebCrypto as Node offers it (what a browser
 * with Ed25519 uses), and tweetnacl (what clients used before; on a slice of the stream, as it
 * would take minutes on the whole), plus libsodium with one page in flight instead of four.
 * Fetching alone is timed too. Checked after every timed case: 10,000 records, every one ok; and
 * per verifier, a record whose signature was altered is named.
 *
 * The node runs a bench network: the dev network's rules with base difficulty 1, so that one
 * sensor can publish 10,000 records in seconds (adaptive PoW still applies, at small cost).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ApiClient, fetchStream, verifyRecords, verifyStream } from "../../client/node";
import type { StreamRecord } from "../../client/api/types";
import { attach, signTransaction, stampSync } from "../../client/protocol/build";
import { fromHex, toHex } from "../../client/protocol/bytes";
import { decodeTransaction, transactionId } from "../../client/protocol/codec";
import type { Ed25519Backend } from "../../client/protocol/ed25519-backend";
import { naclEd25519 } from "../../client/protocol/ed25519-nacl";
import { loadSodium, nodeEd25519 } from "../../client/protocol/ed25519-node";
import { webCryptoEd25519, webCryptoHasEd25519 } from "../../client/protocol/ed25519-webcrypto";
import { addressOf, keyPairFromSeed } from "../../client/protocol/keys";
import { encodeReading, packReadings, READINGS_CONTENT_TYPE } from "../../client/gateway/readings";
import { BenchResult, median, SuiteOptions } from "../lib/report";
import { startBenchNode } from "../lib/processes";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";

const RECORDS = 10_000;
const NETWORK_ID = 0x62656e63; // "benc"
/** Records signed with tweetnacl's verifier per run (about 200 verifications a second). */
const TWEETNACL_RECORDS = 400;

/** A genesis and coordinator key for the bench network, in `dir`; returns the node's arguments. */
function benchNetwork(dir: string): string[] {
  const coordinatorSeed = new Uint8Array(32).fill(0xc0);
  const owner = keyPairFromSeed(new Uint8Array(32).fill(0x0e));
  const genesis = {
    networkId: NETWORK_ID,
    networkName: "stream-bench",
    coordinatorPublicKeys: [toHex(keyPairFromSeed(coordinatorSeed).publicKey)],
    outputs: [{ address: toHex(addressOf(owner.publicKey)), amount: "1000000" }],
    milestoneIntervalMs: 250,
    baseDifficulty: 1,
  };
  fs.writeFileSync(path.join(dir, "genesis.json"), JSON.stringify(genesis));
  fs.writeFileSync(path.join(dir, "coordinator.key"), toHex(coordinatorSeed));
  return ["--network", path.join(dir, "genesis.json"), "--coordinator-key", path.join(dir, "coordinator.key"), "--no-remote-pow"];
}

/**
 * One sensor's stream of `n` chained records (one reading each), submitted over three connections
 * (each connection's request rate is limited) with a bounded number in flight.
 */
async function publish(url: string, n: number, progress: (done: number) => void): Promise<{ streamId: Uint8Array; issuer: Uint8Array }> {
  const sensor = keyPairFromSeed(new Uint8Array(32).fill(0x5e));
  const streamId = new Uint8Array(32).fill(0x57);
  const clients = await Promise.all([0, 1, 2].map(() => ApiClient.connect(url)));
  try {
    let tips: Uint8Array[] = [];
    let difficulty = 0;
    let prev: Uint8Array = new Uint8Array(32);
    const inFlight = new Set<Promise<unknown>>();
    for (let sequence = 0; sequence < n; sequence++) {
      const data = packReadings([encodeReading({ t: 1_700_000_000_000 + sequence * 1000, v: { temp: 20 + (sequence % 50) / 10, rh: 40 + (sequence % 20) } })]);
      const signed = signTransaction({ version: PROTOCOL_VERSION, networkId: NETWORK_ID, issuer: sensor.publicKey, payload: { type: "data", streamId, sequence, prevRecordId: prev, contentType: READINGS_CONTENT_TYPE, data } }, sensor.secretKey);
      if (sequence % 50 === 0) {
        tips = (await clients[0].selectParents(8)).map((p) => fromHex(p));
        // The adaptive bits grow with the sensor's rate: one bit of margin until the next look.
        difficulty = (await clients[0].getDifficulty(sensor.publicKey, signed.essenceBytes.length + 64 + 8 + 1 + 8 * 32 + 8)).difficulty + 1;
      }
      const bytes = stampSync(attach(signed, [tips[sequence % tips.length], tips[(sequence + 1) % tips.length]], Date.now()), difficulty);
      const p: Promise<unknown> = clients[sequence % 3].submitTransaction(bytes).finally(() => inFlight.delete(p));
      inFlight.add(p);
      prev = transactionId(bytes);
      if (inFlight.size >= 96) await Promise.race(inFlight);
      if (sequence % 500 === 0) progress(sequence);
    }
    await Promise.all(inFlight);
    return { streamId, issuer: sensor.publicKey };
  } finally {
    clients.forEach((c) => c.close());
  }
}

/** The verifiers compared; WebCrypto only where Node's has Ed25519. */
async function verifiers(): Promise<Ed25519Backend[]> {
  const sodium = loadSodium();
  const tweetnacl = naclEd25519();
  const out: Ed25519Backend[] = [];
  if (sodium) out.push(nodeEd25519(sodium));
  out.push(nodeEd25519(null));
  const subtle = globalThis.crypto?.subtle;
  if (await webCryptoHasEd25519(subtle)) out.push(webCryptoEd25519(subtle, tweetnacl));
  out.push(tweetnacl);
  return out;
}

/** The records with one record's signature altered (its id no longer matches either). */
function tampered(records: StreamRecord[], index: number): StreamRecord[] {
  const copy = records.map((r) => ({ ...r }));
  const bytes = Uint8Array.from(copy[index].bytes);
  const d = decodeTransaction(bytes);
  if (!d.ok) throw new Error("stream: a published record does not decode");
  bytes[d.value.essenceLength + 40] ^= 1; // a bit of S, inside the signature

  copy[index].bytes = bytes;
  return copy;
}

export async function runStreamSuite(opts: SuiteOptions = {}): Promise<BenchResult[]> {
  const quick = Boolean(opts.quick);
  const reps = quick ? 3 : 5;
  const progress = opts.progress ?? (() => {});
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-stream-bench-"));
  const steps = 4 + 5 * reps;
  let step = 0;
  fs.mkdirSync(path.join(dir, "node"));
  const node = await startBenchNode(benchNetwork(dir), { dir: path.join(dir, "node") });
  const results: BenchResult[] = [];
  try {
    progress(step++, steps, `publishing ${RECORDS} records`);
    const t0 = performance.now();
    const { streamId, issuer } = await publish(node.url, RECORDS, (n) => progress(step, steps, `published ${n}`));
    const publishSeconds = (performance.now() - t0) / 1000;
    const client = await ApiClient.connect(node.url);
    try {
      const seconds = (t: number) => (performance.now() - t) / 1000;
      // Fetching alone.
      const fetchTimes: number[] = [];
      let all: StreamRecord[] = [];
      for (let r = 0; r < reps; r++) {
        progress(step++, steps, "fetching");
        const t = performance.now();
        all = await fetchStream(client, streamId);
        fetchTimes.push(seconds(t));
        if (all.length !== RECORDS) throw new Error(`stream: fetched ${all.length} records, published ${RECORDS}`);
      }
      const cases: { backend: Ed25519Backend; records: number; pagesInFlight: number; reps: number }[] = [];
      for (const backend of await verifiers()) {
        const slow = backend.name === "tweetnacl";
        cases.push({ backend, records: slow ? TWEETNACL_RECORDS : RECORDS, pagesInFlight: 4, reps: slow ? 1 : reps });
      }
      cases.splice(1, 0, { backend: cases[0].backend, records: RECORDS, pagesInFlight: 1, reps });
      const rate = new Map<string, number>();
      for (const c of cases) {
        const label = `${c.backend.name}, ${c.records} records, ${c.pagesInFlight} page(s) in flight`;
        const times: number[] = [];
        for (let r = 0; r < c.reps; r++) {
          progress(step++, steps, label);
          const t = performance.now();
          const report = await verifyStream(client, streamId, { issuer, verifier: c.backend, pagesInFlight: c.pagesInFlight, maxRecords: c.records === RECORDS ? undefined : c.records });
          times.push(seconds(t));
          if (!report.ok || report.records.length !== c.records || report.records.some((x) => !x.ok)) throw new Error(`stream: ${label}: the published stream did not verify (${report.problems[0]?.message})`);
        }
        // The answer must change when a signature does.
        const slice = all.slice(0, c.records);
        const bad = Math.floor(c.records / 2);
        const report = await verifyRecords(streamId, tampered(slice, bad), { issuer, verifier: c.backend });
        if (!report.problems.some((p) => p.kind === "bad-signature" && p.sequence === bad)) throw new Error(`stream: ${label}: an altered signature was not caught`);
        const params = { verifier: c.backend.name, records: c.records, pagesInFlight: c.pagesInFlight };
        const m = median(times);
        results.push({ name: "stream-verify", params, metric: "seconds-median", value: Number(m.toFixed(3)), unit: "s" });
        results.push({ name: "stream-verify", params, metric: "records-per-second-median", value: Math.round(c.records / m), unit: "records/s" });
        if (c.pagesInFlight === 4) rate.set(c.backend.name, c.records / m);
        else rate.set("libsodium-1-page", c.records / m);
      }
      results.push({ name: "stream-fetch", params: { records: RECORDS, pagesInFlight: 4 }, metric: "seconds-median", value: Number(median(fetchTimes).toFixed(3)), unit: "s" });
      results.push({ name: "stream-publish", params: { records: RECORDS }, metric: "seconds", value: Number(publishSeconds.toFixed(1)), unit: "s" });
      const ratio = (a: string, b: string) => (rate.has(a) && rate.has(b) ? Number((rate.get(a)! / rate.get(b)!).toFixed(a === "libsodium" && b === "tweetnacl" ? 0 : 2)) : NaN);
      for (const other of ["node:crypto", "webcrypto", "tweetnacl", "libsodium-1-page"]) {
        const v = ratio("libsodium", other);
        if (!Number.isNaN(v)) results.push({ name: `libsodium-vs-${other.replace(":", "-")}`, params: { records: RECORDS }, metric: "records-per-second-ratio", value: v, unit: "x" });
      }
      results.push({ name: "cpu", params: { model: os.cpus()[0]?.model ?? "unknown" }, metric: "cores", value: os.cpus().length, unit: "cores" });
    } finally {
      client.close();
    }
  } finally {
    await node.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  progress(steps, steps, "done");
  return results;
}
