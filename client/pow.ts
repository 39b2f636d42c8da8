/**
 * Multi-threaded proof-of-work driver: N worker threads, each running the WASM search over its own
 * part of the nonce space, in batches of POW_BATCH_TRIALS so that a stop is seen within one batch
 * (a few milliseconds). The first nonce found wins: `search` resolves as soon as its message
 * arrives, and the other workers stop on a shared flag.
 *
 * Workers are started once per pool and reused; idle pools do not keep the process alive.
 */
import * as os from "node:os";
import { randomBytes } from "node:crypto";
import { Worker } from "node:worker_threads";
import { coreModule } from "../core-wasm/src/module";
import { POW_BATCH_TRIALS, POW_MAX_DIFFICULTY } from "../core-wasm/src/pow";
import { assertBytes, assertInt, CoreError } from "../core-wasm/src/errors";
import { Code } from "./protocol/codes";

export interface PowProgress {
  /** Trials completed by all workers so far. */
  trials: number;
  elapsedMs: number;
  /** Trials per second so far. */
  rate: number;
}

export interface PowOptions {
  /** Abort the search: the promise rejects with code ERR_POW_ABORTED and workers stop. */
  signal?: AbortSignal;
  onProgress?: (p: PowProgress) => void;
  /** How often onProgress is called (default 200 ms). */
  progressIntervalMs?: number;
  /** First nonce of worker 0 (default random); worker k starts k * 2^64 / threads further on. */
  startNonce?: bigint;
  /** Give up after about this many trials in all (rounded up to whole batches per worker). */
  maxTrials?: number;
}

export interface PowResult {
  nonce: bigint;
  work: bigint;
  /** Trials completed by all workers when the nonce was found. */
  trials: number;
  ms: number;
  threads: number;
}

/** Worker source. Plain JavaScript run with eval so it works from sources, builds and bundles. */
const WORKER_SOURCE = `
"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const e = new WebAssembly.Instance(workerData.module, {
  env: { abort() { throw new Error("WASM core aborted"); } },
}).exports;
const root = new Uint8Array(e.memory.buffer, e.pow_rootPtr(), 32);
const result = new BigUint64Array(e.memory.buffer, e.pow_resultPtr(), 3);
const MASK = (1n << 64n) - 1n;
parentPort.on("message", (job) => {
  const control = new Int32Array(job.control);
  const slot = 1 + workerData.index;
  root.set(job.root);
  let nonce = job.start;
  let batches = 0;
  const batchBig = BigInt(job.batch);
  for (;;) {
    if (Atomics.load(control, 0) !== 0) {
      parentPort.postMessage({ type: "stopped", jobId: job.jobId });
      return;
    }
    if (batches >= job.maxBatches) {
      parentPort.postMessage({ type: "exhausted", jobId: job.jobId });
      return;
    }
    const r = e.pow_search(nonce, job.batch, job.difficulty);
    if (r === 1) {
      Atomics.store(control, 0, 1);
      parentPort.postMessage({
        type: "found", jobId: job.jobId, nonce: result[0], work: result[1],
        trials: batches * job.batch + Number(result[2]),
      });
      return;
    }
    if (r < 0) {
      parentPort.postMessage({ type: "error", jobId: job.jobId, code: r });
      return;
    }
    batches++;
    Atomics.store(control, slot, batches);
    nonce = (nonce + batchBig) & MASK;
  }
});
`;

type WorkerMessage =
  | { type: "found"; jobId: number; nonce: bigint; work: bigint; trials: number }
  | { type: "stopped" | "exhausted"; jobId: number }
  | { type: "error"; jobId: number; code: number };

export class PowAbortedError extends CoreError {
  constructor() {
    super(Code.ERR_POW_ABORTED, "proof-of-work search aborted");
    this.name = "PowAbortedError";
  }
}

/** Number of worker threads used by default: all cores. */
export function defaultThreads(): number {
  return Math.max(1, typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length);
}

export class PowPool {
  readonly threads: number;
  private workers: Worker[] = [];
  private busy: Promise<unknown> = Promise.resolve();
  private nextJobId = 1;
  private closed = false;

  constructor(threads: number = defaultThreads()) {
    assertInt("threads", threads, 1, 256);
    this.threads = threads;
  }

  private start(): void {
    if (this.workers.length > 0) return;
    const module = coreModule();
    for (let index = 0; index < this.threads; index++) {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, index } });
      w.unref();
      this.workers.push(w);
    }
  }

  /**
   * Finds a nonce meeting `difficulty` bits for the 32-byte `root`. Resolves with the first nonce
   * any worker finds, or null if `maxTrials` ran out. Searches on one pool run one after another.
   */
  search(root: Uint8Array, difficulty: number, opts: PowOptions = {}): Promise<PowResult | null> {
    if (this.closed) return Promise.reject(new CoreError(Code.ERR_POOL_CLOSED, "PowPool is closed"));
    assertBytes("root", root, 32);
    assertInt("difficulty", difficulty, 0, POW_MAX_DIFFICULTY);
    const run = this.busy.then(() => this.run(root, difficulty, opts));
    // The next job waits for this one's workers to go idle, whatever the outcome.
    this.busy = run.then(
      () => this.idle,
      () => this.idle,
    );
    return run;
  }

  private idle: Promise<void> = Promise.resolve();
  /** Rejects the running search (used by close()). */
  private cancelCurrent?: (err: Error) => void;

  private run(root: Uint8Array, difficulty: number, opts: PowOptions): Promise<PowResult | null> {
    if (opts.signal?.aborted) return Promise.reject(new PowAbortedError());
    this.start();
    const jobId = this.nextJobId++;
    const n = this.threads;
    const control = new Int32Array(new SharedArrayBuffer(4 * (1 + n)));
    const startNonce = opts.startNonce ?? randomBytes(8).readBigUInt64LE();
    const stride = (1n << 64n) / BigInt(n);
    const batch = POW_BATCH_TRIALS;
    const maxBatches = opts.maxTrials === undefined ? Number.MAX_SAFE_INTEGER : Math.ceil(opts.maxTrials / n / batch);
    const t0 = performance.now();
    const doneTrials = () => {
      let batches = 0;
      for (let i = 1; i <= n; i++) batches += Atomics.load(control, i);
      return batches * batch;
    };

    let remaining = n;
    let resolveIdle!: () => void;
    this.idle = new Promise<void>((r) => (resolveIdle = r));
    for (const w of this.workers) w.ref();

    return new Promise<PowResult | null>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        this.cancelCurrent = undefined;
        if (timer) clearInterval(timer);
        opts.signal?.removeEventListener("abort", onAbort);
        fn();
      };
      const onAbort = () => {
        Atomics.store(control, 0, 1);
        settle(() => reject(new PowAbortedError()));
      };
      const onMessage = (w: Worker, index: number) => (msg: WorkerMessage) => {
        if (msg.jobId !== jobId) return;
        if (msg.type === "found") {
          const ms = performance.now() - t0;
          // Trials of the other workers: their completed batches (the winner counted exactly).
          let others = 0;
          for (let i = 1; i <= n; i++) if (i !== index + 1) others += Atomics.load(control, i) * batch;
          settle(() => resolve({ nonce: msg.nonce, work: msg.work, trials: msg.trials + others, ms, threads: n }));
        } else if (msg.type === "error") {
          Atomics.store(control, 0, 1);
          settle(() => reject(new CoreError(Code.ERR_WASM, `worker search failed with code ${msg.code}`)));
        }
        // found, stopped, exhausted and error all end this worker's part of the job.
        w.off("message", handlers[index]);
        w.off("error", errHandlers[index]);
        // Idle again; but a pool being closed keeps its workers ref'd until they are gone.
        if (!this.closed) w.unref();
        if (--remaining === 0) {
          resolveIdle();
          settle(() => resolve(null)); // every worker exhausted its share
        }
      };
      const onError = (err: Error) => {
        Atomics.store(control, 0, 1);
        settle(() => reject(err));
      };
      const handlers = this.workers.map((w, i) => onMessage(w, i));
      const errHandlers = this.workers.map(() => onError);
      this.workers.forEach((w, i) => {
        w.on("message", handlers[i]);
        w.on("error", errHandlers[i]);
      });
      if (opts.signal) opts.signal.addEventListener("abort", onAbort, { once: true });
      this.cancelCurrent = (err) => {
        Atomics.store(control, 0, 1);
        resolveIdle();
        settle(() => reject(err));
      };
      if (opts.onProgress) {
        const interval = opts.progressIntervalMs ?? 200;
        timer = setInterval(() => {
          const elapsedMs = performance.now() - t0;
          const trials = doneTrials();
          opts.onProgress!({ trials, elapsedMs, rate: elapsedMs > 0 ? (trials * 1000) / elapsedMs : 0 });
        }, interval);
        timer.unref();
      }
      this.workers.forEach((w, i) => {
        const start = (startNonce + stride * BigInt(i)) & ((1n << 64n) - 1n);
        w.postMessage({ jobId, root: Uint8Array.from(root), start, batch, difficulty, maxBatches, control: control.buffer });
      });
    });
  }

  /** Stops the workers. Pending searches reject. */
  async close(): Promise<void> {
    this.closed = true;
    this.cancelCurrent?.(new CoreError(Code.ERR_POOL_CLOSED, "PowPool closed during a search"));
    const ws = this.workers;
    this.workers = [];
    // Idle workers are unref'd; ref them so the process stays up until they are gone (otherwise a
    // caller awaiting close() can find the process exited under it, silently, with code 0).
    for (const w of ws) w.ref();
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

/** One search on a temporary pool of `threads` workers (default: all cores). */
export async function computePow(
  root: Uint8Array,
  difficulty: number,
  opts: PowOptions & { threads?: number } = {},
): Promise<PowResult | null> {
  const pool = new PowPool(opts.threads ?? defaultThreads());
  try {
    return await pool.search(root, difficulty, opts);
  } finally {
    await pool.close();
  }
}
