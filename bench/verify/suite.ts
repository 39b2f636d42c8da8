/**
 * verify-bound: Ed25519 verifications per second of the verifiers available here — libsodium
 * (sodium-native, what the node uses) and Node's built-in (OpenSSL) — on one thread and on every
 * core, so the node's throughput can be stated as a share of this physical bound (every
 * transaction costs one verification). tweetnacl (what clients sign with) is measured on one
 * thread for contrast. Checks: every signature verifies on all three, and a corrupted one does not.
 */
import { createPublicKey, generateKeyPairSync, KeyObject, randomBytes, sign, verify } from "node:crypto";
import { Worker } from "node:worker_threads";
import nacl from "tweetnacl";
import { BenchResult, median, SuiteOptions } from "../lib/report";
import { defaultThreads } from "../../client/pow";

interface Sample {
  message: Uint8Array;
  signature: Uint8Array;
  publicKeyDer: Uint8Array;
}

function samples(n: number): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i < n; i++) {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const message = randomBytes(32); // a signing hash, as transactions are signed
    out.push({ message, signature: sign(null, message, privateKey), publicKeyDer: publicKey.export({ format: "der", type: "spki" }) });
  }
  return out;
}

// Worker: verifies the samples round-robin for `ms` with one implementation, returns the count
// (every result must be true).
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { createPublicKey, verify } = require("node:crypto");
const sodium = workerData.sodiumPath ? require(workerData.sodiumPath) : null;
const samples = workerData.samples.map((s) => ({ message: Buffer.from(s.message), signature: Buffer.from(s.signature), raw: Buffer.from(s.publicKeyDer).subarray(12), key: createPublicKey({ key: Buffer.from(s.publicKeyDer), format: "der", type: "spki" }) }));
const one = sodium ? (s) => sodium.crypto_sign_verify_detached(s.signature, s.message, s.raw) : (s) => verify(null, s.message, s.key, s.signature);
const end = Date.now() + workerData.ms;
let n = 0, bad = 0;
while (Date.now() < end) {
  for (let i = 0; i < 64; i++) if (!one(samples[(n + i) % samples.length])) bad++;
  n += 64;
}
parentPort.postMessage({ n, bad });
`;

const SODIUM_PATH = require.resolve("sodium-native");

function runWorkers(impl: "libsodium" | "node-crypto", threads: number, data: Sample[], ms: number): Promise<number> {
  return Promise.all(
    Array.from({ length: threads }, () => new Promise<{ n: number; bad: number }>((resolve, reject) => {
      const w = new Worker(WORKER, { eval: true, workerData: { samples: data, ms, sodiumPath: impl === "libsodium" ? SODIUM_PATH : null } });
      w.once("message", resolve);
      w.once("error", reject);
    })),
  ).then((rs) => {
    const bad = rs.reduce((a, r) => a + r.bad, 0);
    if (bad) throw new Error(`verify-bound: ${bad} valid signatures failed to verify`);
    return (rs.reduce((a, r) => a + r.n, 0) * 1000) / ms;
  });
}

export async function runVerifySuite(opts: SuiteOptions = {}): Promise<BenchResult[]> {
  const quick = Boolean(opts.quick);
  const ms = quick ? 300 : 1500;
  const reps = quick ? 3 : 5;
  const maxThreads = opts.threads ?? defaultThreads();
  const progress = opts.progress ?? (() => {});
  const data = samples(256);
  // Correctness: all three agree, and a corrupted signature fails all three.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sodium = require(SODIUM_PATH) as { crypto_sign_verify_detached(s: Uint8Array, m: Uint8Array, k: Uint8Array): boolean };
  const keys: KeyObject[] = data.map((s) => createPublicKey({ key: Buffer.from(s.publicKeyDer), format: "der", type: "spki" }));
  const raw = data.map((s) => Buffer.from(s.publicKeyDer.subarray(s.publicKeyDer.length - 32)));
  const all = (i: number, sig: Uint8Array) =>
    [verify(null, data[i].message, keys[i], sig), nacl.sign.detached.verify(data[i].message, sig, raw[i]), sodium.crypto_sign_verify_detached(Buffer.from(sig), Buffer.from(data[i].message), raw[i])];
  for (let i = 0; i < data.length; i++) {
    if (!all(i, data[i].signature).every(Boolean)) throw new Error("verify-bound: a valid signature did not verify");
  }
  const broken = Uint8Array.from(data[0].signature);
  broken[10] ^= 1;
  if (all(0, broken).some(Boolean)) throw new Error("verify-bound: a corrupted signature verified");

  const results: BenchResult[] = [];
  const threadCounts = [...new Set([1, maxThreads])];
  const impls = ["libsodium", "node-crypto"] as const;
  const steps = impls.length * threadCounts.length * reps + reps;
  let step = 0;
  for (const impl of impls) {
    for (const threads of threadCounts) {
      const xs: number[] = [];
      for (let r = 0; r < reps; r++) {
        progress(step++, steps, `${impl} on ${threads} thread(s)`);
        xs.push(await runWorkers(impl, threads, data, ms));
      }
      results.push({ name: "ed25519-verify", params: { impl, threads }, metric: "verifications-per-second-median", value: Math.round(median(xs)), unit: "verify/s" });
    }
  }
  const tn: number[] = [];
  for (let r = 0; r < reps; r++) {
    progress(step++, steps, "tweetnacl on 1 thread");
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < ms / 3) {
      const i = n % data.length;
      if (!nacl.sign.detached.verify(data[i].message, data[i].signature, raw[i])) throw new Error("tweetnacl failed");
      n++;
    }
    tn.push((n * 1000) / (performance.now() - t0));
  }
  results.push({ name: "ed25519-verify", params: { impl: "tweetnacl", threads: 1 }, metric: "verifications-per-second-median", value: Math.round(median(tn)), unit: "verify/s" });
  const rate = (impl: string, threads: number) => results.find((r) => r.params.impl === impl && r.params.threads === threads)!.value;
  results.push({ name: "libsodium-vs-node-crypto", params: { threads: 1 }, metric: "ratio", value: Number((rate("libsodium", 1) / rate("node-crypto", 1)).toFixed(2)), unit: "x" });
  results.push({ name: "libsodium-vs-tweetnacl", params: { threads: 1 }, metric: "ratio", value: Number((rate("libsodium", 1) / median(tn)).toFixed(1)), unit: "x" });
  progress(steps, steps, "done");
  return results;
}
