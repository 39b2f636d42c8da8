/**
 * Proof of work on Web Workers (browsers): the browser twin of PowPool (client/pow.ts).
 *
 * Each worker gets the compiled WASM core (a WebAssembly.Module can be posted to a worker) and
 * searches its own part of the nonce space in batches of POW_BATCH_TRIALS. Browsers hand out
 * SharedArrayBuffer only to cross-origin-isolated pages, so stopping works by message: between
 * batches a worker yields to its event loop (a MessageChannel round trip, no timer clamping) and
 * sees a `stop`. Workers are created once per pool from an inline script (a Blob URL), so a page
 * needs no extra file.
 */
import { coreModule } from "../core-wasm/src/module";
import { POW_BATCH_TRIALS, POW_MAX_DIFFICULTY } from "../core-wasm/src/pow";
import { assertBytes, assertInt, CoreError } from "../core-wasm/src/errors";
import { Code } from "./protocol/codes";
import { LocalPow, LocalPowOptions, LocalPowResult, POW_ABORTED } from "./local-pow";

const WORKER_SOURCE = `
"use strict";
let ex, root, result, stopAt = 0;
const MASK = (1n << 64n) - 1n;
const tick = () => new Promise((r) => { const c = new MessageChannel(); c.port1.onmessage = () => { c.port1.close(); r(); }; c.port2.postMessage(0); });
self.onmessage = async (ev) => {
  const m = ev.data;
  if (m.type === "init") {
    const inst = await WebAssembly.instantiate(m.module, { env: { abort() { throw new Error("WASM core aborted"); } } });
    ex = inst.exports;
    root = new Uint8Array(ex.memory.buffer, ex.pow_rootPtr(), 32);
    result = new BigUint64Array(ex.memory.buffer, ex.pow_resultPtr(), 3);
    self.postMessage({ type: "ready" });
  } else if (m.type === "stop") {
    stopAt = Math.max(stopAt, m.jobId);
  } else if (m.type === "job") {
    root.set(m.root);
    let nonce = m.start, batches = 0;
    const step = BigInt(m.batch);
    for (;;) {
      if (stopAt >= m.jobId) return self.postMessage({ type: "stopped", jobId: m.jobId });
      if (batches >= m.maxBatches) return self.postMessage({ type: "exhausted", jobId: m.jobId });
      const r = ex.pow_search(nonce, m.batch, m.difficulty);
      if (r === 1) return self.postMessage({ type: "found", jobId: m.jobId, nonce: result[0], work: result[1], trials: batches * m.batch + Number(result[2]) });
      if (r < 0) return self.postMessage({ type: "error", jobId: m.jobId, code: r });
      batches++;
      nonce = (nonce + step) & MASK;
      self.postMessage({ type: "progress", jobId: m.jobId, batches });
      await tick();
    }
  }
};
`;

type Msg =
  | { type: "ready" }
  | { type: "progress"; jobId: number; batches: number }
  | { type: "found"; jobId: number; nonce: bigint; work: bigint; trials: number }
  | { type: "stopped" | "exhausted"; jobId: number }
  | { type: "error"; jobId: number; code: number };

function randomNonce(): bigint {
  const b = new Uint8Array(8);
  crypto.getRandomValues(b);
  return new DataView(b.buffer).getBigUint64(0, true);
}

export class WebPowPool implements LocalPow {
  readonly threads: number;
  private workers: Worker[] = [];
  private ready?: Promise<void>;
  private url?: string;
  private busy: Promise<unknown> = Promise.resolve();
  private nextJobId = 1;
  private closed = false;

  /** `threads` defaults to navigator.hardwareConcurrency (at least 1). */
  constructor(threads?: number) {
    const n = threads ?? Math.max(1, (globalThis.navigator?.hardwareConcurrency as number | undefined) ?? 2);
    assertInt("threads", n, 1, 256);
    this.threads = n;
  }

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    this.url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
    const module = coreModule();
    this.workers = Array.from({ length: this.threads }, () => new Worker(this.url!));
    this.ready = Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.onmessage = (ev: MessageEvent<Msg>) => ev.data.type === "ready" && resolve();
            w.onerror = (ev) => reject(new CoreError(Code.ERR_WASM, `PoW worker failed to start: ${ev.message}`));
            w.postMessage({ type: "init", module });
          }),
      ),
    ).then(() => undefined);
    return this.ready;
  }

  /** Like PowPool.search: the first nonce any worker finds, or null when maxTrials ran out. */
  search(root: Uint8Array, difficulty: number, opts: LocalPowOptions = {}): Promise<LocalPowResult | null> {
    if (this.closed) return Promise.reject(new CoreError(Code.ERR_POOL_CLOSED, "WebPowPool is closed"));
    assertBytes("root", root, 32);
    assertInt("difficulty", difficulty, 0, POW_MAX_DIFFICULTY);
    const run = this.busy.then(() => this.run(Uint8Array.from(root), difficulty, opts));
    this.busy = run.catch(() => undefined);
    return run;
  }

  private async run(root: Uint8Array, difficulty: number, opts: LocalPowOptions): Promise<LocalPowResult | null> {
    if (opts.signal?.aborted) throw new CoreError(POW_ABORTED, "proof-of-work search aborted");
    await this.start();
    const jobId = this.nextJobId++;
    const n = this.threads;
    const batch = POW_BATCH_TRIALS;
    const stride = (1n << 64n) / BigInt(n);
    const startNonce = opts.startNonce ?? randomNonce();
    const maxBatches = opts.maxTrials === undefined ? Number.MAX_SAFE_INTEGER : Math.ceil(opts.maxTrials / n / batch);
    const done = new Array<number>(n).fill(0);
    const t0 = performance.now();
    return new Promise<LocalPowResult | null>((resolve, reject) => {
      let remaining = n;
      let settled = false;
      let lastProgress = t0;
      const interval = opts.progressIntervalMs ?? 200;
      const stopAll = () => this.workers.forEach((w) => w.postMessage({ type: "stop", jobId }));
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        opts.signal?.removeEventListener("abort", onAbort);
        fn();
      };
      const onAbort = () => {
        stopAll();
        finish(() => reject(new CoreError(POW_ABORTED, "proof-of-work search aborted")));
      };
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      this.workers.forEach((w, i) => {
        w.onmessage = (ev: MessageEvent<Msg>) => {
          const m = ev.data;
          if (!("jobId" in m) || m.jobId !== jobId) return;
          if (m.type === "progress") {
            done[i] = m.batches;
            const now = performance.now();
            if (opts.onProgress && now - lastProgress >= interval) {
              lastProgress = now;
              const trials = done.reduce((a, b) => a + b, 0) * batch;
              opts.onProgress({ trials, elapsedMs: now - t0, rate: (trials * 1000) / Math.max(1, now - t0) });
            }
            return;
          }
          if (m.type === "found") {
            stopAll();
            const others = done.reduce((a, b, k) => (k === i ? a : a + b), 0) * batch;
            finish(() => resolve({ nonce: m.nonce, work: m.work, trials: m.trials + others, ms: performance.now() - t0, threads: n }));
          } else if (m.type === "error") {
            stopAll();
            finish(() => reject(new CoreError(Code.ERR_WASM, `worker search failed with code ${m.code}`)));
          }
          if (--remaining === 0) finish(() => resolve(null));
        };
        w.onerror = (ev) => {
          stopAll();
          finish(() => reject(new CoreError(Code.ERR_WASM, `PoW worker error: ${ev.message}`)));
        };
        const start = (startNonce + stride * BigInt(i)) & ((1n << 64n) - 1n);
        w.postMessage({ type: "job", jobId, root, start, batch, difficulty, maxBatches });
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.workers) w.terminate();
    this.workers = [];
    if (this.url) URL.revokeObjectURL(this.url);
  }
}
