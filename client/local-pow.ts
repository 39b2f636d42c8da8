/**
 * Local proof of work behind one interface, so the wallet and the gateway run on whatever the host
 * offers: `PowPool` (worker threads, client/pow.ts) in Node, `WebPowPool` (Web Workers,
 * client/pow-web.ts) in browsers, and `InlinePow` here, which needs neither: it searches on the
 * calling thread in batches and yields to the event loop between them, so timers, sockets and
 * aborts keep working. InlinePow suits low difficulties (the dev network's 10 bits take about a
 * millisecond); real networks want the pools.
 */
import { PowSearcher, POW_BATCH_TRIALS } from "../core-wasm/src/pow";
import { CoreError } from "../core-wasm/src/errors";
import { Code } from "./protocol/codes";

export interface LocalPowProgress {
  trials: number;
  elapsedMs: number;
  rate: number;
}

export interface LocalPowOptions {
  signal?: AbortSignal;
  onProgress?: (p: LocalPowProgress) => void;
  progressIntervalMs?: number;
  startNonce?: bigint;
  maxTrials?: number;
}

export interface LocalPowResult {
  nonce: bigint;
  work: bigint;
  trials: number;
  ms: number;
  threads: number;
}

/** What PowPool, WebPowPool and InlinePow have in common. */
export interface LocalPow {
  readonly threads: number;
  search(root: Uint8Array, difficulty: number, opts?: LocalPowOptions): Promise<LocalPowResult | null>;
  close(): Promise<void>;
}

export const POW_ABORTED = Code.ERR_POW_ABORTED;

function aborted(): CoreError {
  return new CoreError(POW_ABORTED, "proof-of-work search aborted");
}

function randomNonce(): bigint {
  const b = new Uint8Array(8);
  globalThis.crypto.getRandomValues(b);
  return new DataView(b.buffer).getBigUint64(0, true);
}

/** Lets pending events run. MessageChannel avoids the 4 ms clamp of nested timers. */
function yieldToEventLoop(): Promise<void> {
  if (typeof setImmediate === "function") return new Promise((r) => setImmediate(r));
  return new Promise((r) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      r();
    };
    ch.port2.postMessage(0);
  });
}

/** Single-threaded PoW on the calling thread, cooperative (see the file comment). */
export class InlinePow implements LocalPow {
  readonly threads = 1;
  private searcher?: PowSearcher;
  /** Trials between two yields to the event loop. */
  constructor(private readonly batchTrials = POW_BATCH_TRIALS) {}

  async search(root: Uint8Array, difficulty: number, opts: LocalPowOptions = {}): Promise<LocalPowResult | null> {
    this.searcher ??= new PowSearcher();
    const s = this.searcher;
    const t0 = performance.now();
    let nonce = opts.startNonce ?? randomNonce();
    let trials = 0;
    let lastProgress = t0;
    const interval = opts.progressIntervalMs ?? 200;
    for (;;) {
      if (opts.signal?.aborted) throw aborted();
      if (opts.maxTrials !== undefined && trials >= opts.maxTrials) return null;
      s.setRoot(root);
      const r = s.search(nonce, this.batchTrials, difficulty);
      if (r.found) return { nonce: r.nonce, work: r.work, trials: trials + r.trials, ms: performance.now() - t0, threads: 1 };
      trials += this.batchTrials;
      nonce = BigInt.asUintN(64, nonce + BigInt(this.batchTrials));
      const now = performance.now();
      if (opts.onProgress && now - lastProgress >= interval) {
        lastProgress = now;
        opts.onProgress({ trials, elapsedMs: now - t0, rate: (trials * 1000) / Math.max(1, now - t0) });
      }
      await yieldToEventLoop();
    }
  }

  async close(): Promise<void> {
    this.searcher = undefined;
  }
}
