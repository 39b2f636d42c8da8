/**
 * PoW benchmark: trials per second of the same work function (DESIGN §2) across implementations,
 * on one thread, plus ours on 1..N worker threads.
 *
 *   ours (WASM, scalar kernel)   — PowSearcher: the shipped kernel, in process
 *   ours (WASM SIMD, 2 lanes)    — experimental module core-wasm/build/pow-simd.wasm, if built
 *   ours (WASM scalar + SIMD)    — same module, three nonces per step
 *   nanocurrency computeWork     — Nano's own WASM; its loop tries nonces 0,1,2,… so a call that
 *                                  returns nonce n did n + 1 trials
 *   hash-wasm / @noble/hashes / blakejs — a plain nonce loop over each library's BLAKE2b-64
 *   node:crypto                  — blake2b512 only (OpenSSL here cannot emit an 8-byte BLAKE2b,
 *                                  and the digest length is part of the hash), so this is the rate
 *                                  of one same-sized compression, not a usable PoW
 *
 * Every implementation that can compute the work must also find a nonce at a moderate difficulty,
 * and that nonce is checked with our verifier and with nanocurrency's validateWork.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { BenchResult, median, SuiteOptions } from "../lib/report";
import { PowSearcher, POW_BATCH_TRIALS, powThreshold, validatePow } from "../../core-wasm/src/pow";
import { PowPool, defaultThreads } from "../../client/pow";
import { wasmPath } from "../../core-wasm/src/module";

// Dev-only comparison libraries (devDependencies).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nano = require("nanocurrency") as {
  computeWork(hash: string, opts?: { workThreshold?: string }): Promise<string | null>;
  validateWork(p: { blockHash: string; work: string; threshold?: string }): boolean;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const noble = require("@noble/hashes/blake2b") as { blake2b(msg: Uint8Array, opts?: { dkLen?: number }): Uint8Array };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const blakejs = require("blakejs") as { blake2b(input: Uint8Array, key?: Uint8Array | null, outlen?: number): Uint8Array };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const hashWasm = require("hash-wasm") as {
  createBLAKE2b(bits: number): Promise<{ init(): unknown; update(d: Uint8Array): unknown; digest(f: "binary"): Uint8Array }>;
};

/** A nonce loop: tries `count` nonces from `start`; returns the first that meets `threshold`. */
type Loop = (root: Uint8Array, start: bigint, count: number, threshold: bigint) => { nonce: bigint; trials: number } | null;

interface Impl {
  name: string;
  /** Whether it computes our work function (and so must find a verifiable nonce). */
  computesWork: boolean;
  /** Trials measured per timed sample (sized so a sample takes roughly the sample time). */
  loop?: Loop;
  /** nanocurrency is measured by whole computeWork calls. */
  measure?: (root: Uint8Array, targetMs: number) => Promise<{ trials: number; ms: number }>;
  find: (root: Uint8Array, difficulty: number) => Promise<bigint>;
}

function jsLoop(hash8: (buf: Uint8Array) => Uint8Array): Loop {
  return (root, start, count, threshold) => {
    const buf = new Uint8Array(40);
    const dv = new DataView(buf.buffer);
    buf.set(root, 8);
    let nonce = start;
    for (let i = 0; i < count; i++) {
      dv.setBigUint64(0, nonce, true);
      const d = hash8(buf);
      const work = new DataView(d.buffer, d.byteOffset, 8).getBigUint64(0, true);
      if (work >= threshold) return { nonce, trials: i + 1 };
      nonce = BigInt.asUintN(64, nonce + 1n);
    }
    return null;
  };
}

async function findWith(loop: Loop, root: Uint8Array, difficulty: number): Promise<bigint> {
  const threshold = powThreshold(difficulty);
  let start = randomBytes(8).readBigUInt64LE();
  for (;;) {
    const r = loop(root, start, 1 << 16, threshold);
    if (r) return r.nonce;
    start = BigInt.asUintN(64, start + (1n << 16n));
  }
}

/** Loads the experimental SIMD module if it was built. */
function simdModule(): { search: (root: Uint8Array, start: bigint, count: number, difficulty: number, kernel: number) => { found: boolean; nonce: bigint; trials: number } } | null {
  const file = path.join(path.dirname(wasmPath()), "pow-simd.wasm");
  if (!fs.existsSync(file)) return null;
  const e = new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(file)), {
    env: { abort: () => { throw new Error("abort"); } },
  }).exports as Record<string, any>;
  const mem = e.memory as WebAssembly.Memory;
  const rootView = new Uint8Array(mem.buffer, e.pow_rootPtr(), 32);
  const res = new BigUint64Array(mem.buffer, e.pow_resultPtr(), 3);
  return {
    search(root, start, count, difficulty, kernel) {
      rootView.set(root);
      const r = e.pow_search(start, count, difficulty, kernel);
      if (r < 0) throw new Error(`pow-simd search failed (${r})`);
      return { found: r === 1, nonce: res[0], trials: Number(res[2]) };
    },
  };
}

function wasmImpls(): Impl[] {
  const searcher = new PowSearcher();
  const ours: Loop = (root, start, count) => {
    searcher.setRoot(root);
    let done = 0;
    let n = start;
    while (done < count) {
      const batch = Math.min(POW_BATCH_TRIALS, count - done);
      // Difficulty 63 is never met in a benchmark-sized sample; a hit would only end the sample early.
      const r = searcher.search(n, batch, 63);
      done += r.trials;
      if (r.found) return { nonce: r.nonce, trials: done };
      n = BigInt.asUintN(64, n + BigInt(batch));
    }
    return null;
  };
  const findOurs = async (root: Uint8Array, difficulty: number) => {
    searcher.setRoot(root);
    let n = randomBytes(8).readBigUInt64LE();
    for (;;) {
      const r = searcher.search(n, POW_BATCH_TRIALS, difficulty);
      if (r.found) return r.nonce;
      n = BigInt.asUintN(64, n + BigInt(POW_BATCH_TRIALS));
    }
  };
  const impls: Impl[] = [{ name: "ours-wasm-scalar", computesWork: true, loop: ours, find: findOurs }];
  const simd = simdModule();
  if (simd) {
    for (const [name, kernel, step] of [["ours-wasm-simd", 1, 2], ["ours-wasm-hybrid", 2, 3]] as const) {
      const batch = POW_BATCH_TRIALS - (POW_BATCH_TRIALS % step);
      const loop: Loop = (root, start, count) => {
        let done = 0;
        let n = start;
        while (done < count) {
          const r = simd.search(root, n, batch, 63, kernel);
          done += r.trials;
          if (r.found) return { nonce: r.nonce, trials: done };
          n = BigInt.asUintN(64, n + BigInt(batch));
        }
        return null;
      };
      const find = async (root: Uint8Array, difficulty: number) => {
        let n = randomBytes(8).readBigUInt64LE();
        for (;;) {
          const r = simd.search(root, n, batch, difficulty, kernel);
          if (r.found) return r.nonce;
          n = BigInt.asUintN(64, n + BigInt(batch));
        }
      };
      impls.push({ name, computesWork: true, loop, find });
    }
  }
  return impls;
}

async function peerImpls(): Promise<Impl[]> {
  const hw = await hashWasm.createBLAKE2b(64);
  const hwHash = (buf: Uint8Array) => {
    hw.init();
    hw.update(buf);
    return hw.digest("binary");
  };
  const nobleHash = (buf: Uint8Array) => noble.blake2b(buf, { dkLen: 8 });
  const blakejsHash = (buf: Uint8Array) => blakejs.blake2b(buf, null, 8);
  const nodeHash = (buf: Uint8Array) => createHash("blake2b512").update(buf).digest();
  const nanoMeasure = async (root: Uint8Array, targetMs: number) => {
    // Threshold ~2^20 trials per call; whole calls until the target time is spent.
    let trials = 0;
    let ms = 0;
    while (ms < targetMs) {
      const hash = Buffer.from(randomBytes(32)).toString("hex").toUpperCase();
      const t0 = performance.now();
      const work = await nano.computeWork(hash, { workThreshold: "fffff00000000000" });
      ms += performance.now() - t0;
      if (!work) throw new Error("nanocurrency computeWork returned null");
      trials += Number(BigInt("0x" + work)) + 1;
    }
    return { trials, ms };
  };
  const nanoFind = async (root: Uint8Array, difficulty: number) => {
    const threshold = powThreshold(difficulty).toString(16).padStart(16, "0");
    const work = await nano.computeWork(Buffer.from(root).toString("hex"), { workThreshold: threshold });
    if (!work) throw new Error("nanocurrency computeWork returned null");
    return BigInt("0x" + work);
  };
  return [
    { name: "nanocurrency-computeWork", computesWork: true, measure: nanoMeasure, find: nanoFind },
    { name: "hash-wasm", computesWork: true, loop: jsLoop(hwHash), find: (r, d) => findWith(jsLoop(hwHash), r, d) },
    { name: "noble-hashes", computesWork: true, loop: jsLoop(nobleHash), find: (r, d) => findWith(jsLoop(nobleHash), r, d) },
    { name: "blakejs", computesWork: true, loop: jsLoop(blakejsHash), find: (r, d) => findWith(jsLoop(blakejsHash), r, d) },
    { name: "node-crypto-blake2b512", computesWork: false, loop: jsLoop(nodeHash), find: async () => 0n },
  ];
}

/** Runs `loop` for about `targetMs`, returning trials/s. Calibrates the sample size first. */
function rateOf(loop: Loop, root: Uint8Array, targetMs: number): number {
  let count = 1024;
  for (;;) {
    const t0 = performance.now();
    loop(root, randomBytes(8).readBigUInt64LE(), count, (1n << 64n) - 1n);
    const ms = performance.now() - t0;
    if (ms >= targetMs) return (count * 1000) / ms;
    count = Math.min(count * Math.max(2, Math.ceil(targetMs / Math.max(ms, 1))), 1 << 30);
  }
}

export const POW_CHECK_DIFFICULTY = 14;

export async function runPowSuite(opts: SuiteOptions = {}): Promise<BenchResult[]> {
  const quick = Boolean(opts.quick);
  const sampleMs = quick ? 150 : 800;
  const reps = quick ? 3 : 7;
  const maxThreads = opts.threads ?? defaultThreads();
  const progress = opts.progress ?? (() => {});
  const root = randomBytes(32);
  const impls = [...wasmImpls(), ...(await peerImpls())];
  const results: BenchResult[] = [];
  const steps = impls.length * 2 + maxThreads;
  let step = 0;

  // Correctness first: every implementation of the work function finds a nonce that both our
  // verifier and nanocurrency's accept.
  for (const impl of impls) {
    progress(step++, steps, `check ${impl.name}`);
    if (!impl.computesWork) continue;
    const nonce = await impl.find(root, POW_CHECK_DIFFICULTY);
    const hex = nonce.toString(16).padStart(16, "0");
    const threshold = powThreshold(POW_CHECK_DIFFICULTY).toString(16).padStart(16, "0");
    const okOurs = validatePow(root, nonce, POW_CHECK_DIFFICULTY);
    const okNano = nano.validateWork({ blockHash: root.toString("hex"), work: hex, threshold });
    if (!okOurs || !okNano) throw new Error(`${impl.name} found nonce ${nonce} that does not validate (ours ${okOurs}, nano ${okNano})`);
  }

  // Single-thread rates, repetitions interleaved across implementations so drift hits all alike.
  const samples = new Map<string, number[]>(impls.map((i) => [i.name, []]));
  for (let r = 0; r < reps; r++) {
    for (const impl of impls) {
      if (r === 0) progress(step++, steps, `1 thread: ${impl.name}`);
      // Slow pure-JS loops get shorter samples; their rate is stable.
      if (impl.loop) samples.get(impl.name)!.push(rateOf(impl.loop, root, sampleMs));
      else {
        const m = await impl.measure!(root, sampleMs * 2);
        samples.get(impl.name)!.push((m.trials * 1000) / m.ms);
      }
    }
  }
  const rate = new Map<string, number>();
  for (const impl of impls) {
    const xs = samples.get(impl.name)!;
    rate.set(impl.name, median(xs));
    results.push({
      name: "pow-1-thread",
      params: { impl: impl.name, computesWork: impl.computesWork, samples: xs.length, sampleMs },
      metric: "trials-per-second-median",
      value: Math.round(median(xs)),
      unit: "trials/s",
    });
  }

  // Ours on 1..N worker threads through the pool (the path the CLI and gateways use).
  const poolRates: number[] = [];
  for (let threads = 1; threads <= maxThreads; threads++) {
    progress(step++, steps, `pool: ${threads} thread(s)`);
    const pool = new PowPool(threads);
    try {
      await pool.search(root, 63, { maxTrials: POW_BATCH_TRIALS * threads }); // start-up and warm-up
      const xs: number[] = [];
      const batchesPerWorker = Math.max(1, Math.round(((rate.get("ours-wasm-scalar")! * sampleMs) / 1000 / POW_BATCH_TRIALS) * 2));
      for (let r = 0; r < reps; r++) {
        const maxTrials = batchesPerWorker * POW_BATCH_TRIALS * threads;
        const t0 = performance.now();
        const res = await pool.search(root, 63, { maxTrials });
        const ms = performance.now() - t0;
        if (res !== null) throw new Error("difficulty 63 met in a benchmark sample: check the kernel");
        xs.push((maxTrials * 1000) / ms);
      }
      poolRates.push(median(xs));
      results.push({
        name: "pow-threads",
        params: { impl: "ours-wasm-scalar", threads, samples: xs.length },
        metric: "trials-per-second-median",
        value: Math.round(median(xs)),
        unit: "trials/s",
      });
    } finally {
      await pool.close();
    }
  }
  progress(steps, steps, "done");

  const ours = rate.get("ours-wasm-scalar")!;
  const jsNames = ["noble-hashes", "blakejs"];
  const fastestJs = Math.max(...jsNames.map((n) => rate.get(n)!));
  const ratio = (name: string, params: Record<string, unknown>, value: number) =>
    results.push({ name, params, metric: "ratio", value: Number(value.toFixed(2)), unit: "x" });
  ratio("ours-vs-nanocurrency", { of: "ours-wasm-scalar", to: "nanocurrency-computeWork", threads: 1 }, ours / rate.get("nanocurrency-computeWork")!);
  ratio("ours-vs-fastest-pure-js", { of: "ours-wasm-scalar", to: jsNames[jsNames.map((n) => rate.get(n)!).indexOf(fastestJs)] }, ours / fastestJs);
  ratio("ours-vs-hash-wasm", { of: "ours-wasm-scalar", to: "hash-wasm" }, ours / rate.get("hash-wasm")!);
  if (poolRates.length >= 2) ratio("threads-scaling", { of: `${poolRates.length} threads`, to: "1 thread" }, poolRates[poolRates.length - 1] / poolRates[0]);
  for (const name of ["ours-wasm-simd", "ours-wasm-hybrid"]) {
    if (rate.has(name)) ratio(`${name}-vs-scalar`, { of: name, to: "ours-wasm-scalar" }, rate.get(name)! / ours);
  }
  return results;
}
