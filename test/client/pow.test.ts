/**
 * The worker-thread PoW pool (client/pow.ts): nonces that validate under our check and under
 * nanocurrency (an independent implementation of the same work function), search after search;
 * worker 0 searches like the single-threaded searcher and worker 1 from half-way round the nonce
 * space; maxTrials gives up with null; progress, abort (ERR_POW_ABORTED, also when already
 * aborted) and close during a search; bad arguments refused; computePow's one-off pool.
 */
import { randomBytes } from "node:crypto";
import { computePow, PowPool } from "../../client/pow";
import { PowSearcher, POW_BATCH_TRIALS, powThreshold, validatePow } from "../../core-wasm/src/pow";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const nano = require("nanocurrency") as { validateWork(p: { blockHash: string; work: string; threshold?: string }): boolean };

describe("PowPool", () => {
  let pool: PowPool;
  beforeAll(() => {
    pool = new PowPool(2);
  });
  afterAll(() => pool.close());

  test("finds nonces that validate under ours and nanocurrency, search after search", async () => {
    for (let k = 0; k < 4; k++) {
      const root = randomBytes(32);
      const d = 16;
      const r = await pool.search(root, d);
      expect(r).not.toBeNull();
      expect(r!.threads).toBe(2);
      expect(r!.trials).toBeGreaterThan(0);
      expect(validatePow(root, r!.nonce, d)).toBe(true);
      expect(
        nano.validateWork({
          blockHash: root.toString("hex"),
          work: r!.nonce.toString(16).padStart(16, "0"),
          threshold: powThreshold(d).toString(16),
        }),
      ).toBe(true);
    }
  });

  test("worker 0 searches from startNonce like the single-threaded searcher", async () => {
    const root = randomBytes(32);
    const start = 123456789n;
    const one = new PowPool(1);
    try {
      const r = await one.search(root, 10, { startNonce: start });
      const s = new PowSearcher().setRoot(root);
      let n = start;
      let ref = s.search(n, POW_BATCH_TRIALS, 10);
      while (!ref.found) {
        n += BigInt(POW_BATCH_TRIALS);
        ref = s.search(n, POW_BATCH_TRIALS, 10);
      }
      expect(r!.nonce).toBe(ref.nonce);
      expect(r!.trials).toBe(Number(ref.nonce - start) + 1);
    } finally {
      await one.close();
    }
  });

  test("the nonce space is partitioned: worker 1 starts half-way round", async () => {
    // At difficulty 0 every nonce qualifies, so each worker's first trial wins; whichever reports
    // first, its nonce is one of the two partition starts.
    const start = 1000n;
    const r = await pool.search(randomBytes(32), 0, { startNonce: start });
    expect([start, start + (1n << 63n)]).toContain(r!.nonce);
  });

  test("gives up with null after maxTrials", async () => {
    const r = await pool.search(randomBytes(32), 63, { maxTrials: 4 * POW_BATCH_TRIALS });
    expect(r).toBeNull();
  });

  test("reports progress and stops on abort with a coded error", async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const p = pool.search(randomBytes(32), 62, {
      signal: controller.signal,
      progressIntervalMs: 20,
      onProgress: (x) => {
        seen.push(x.trials);
        if (seen.length === 3) controller.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ code: "ERR_POW_ABORTED" });
    expect(seen.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
    // The pool is usable again after an abort.
    const root = randomBytes(32);
    const r = await pool.search(root, 8);
    expect(validatePow(root, r!.nonce, 8)).toBe(true);
  });

  test("an already aborted signal rejects at once", async () => {
    const c = new AbortController();
    c.abort();
    await expect(pool.search(randomBytes(32), 8, { signal: c.signal })).rejects.toMatchObject({ code: "ERR_POW_ABORTED" });
  });

  test("bad arguments are refused", async () => {
    expect(() => pool.search(new Uint8Array(5), 8)).toThrow(expect.objectContaining({ code: "ERR_BAD_ARGUMENT" }));
    expect(() => pool.search(randomBytes(32), 64)).toThrow(expect.objectContaining({ code: "ERR_BAD_ARGUMENT" }));
    expect(() => new PowPool(0)).toThrow(expect.objectContaining({ code: "ERR_BAD_ARGUMENT" }));
  });

  test("closing during a search rejects it", async () => {
    const p2 = new PowPool(1);
    // Closed once the worker reports progress: the search is surely under way.
    let running = () => {};
    const started = new Promise<void>((r) => (running = r));
    const pending = p2.search(randomBytes(32), 62, { progressIntervalMs: 10, onProgress: () => running() });
    await started;
    await p2.close();
    await expect(pending).rejects.toMatchObject({ code: "ERR_POOL_CLOSED" });
  });
});

test("computePow runs a one-off pool", async () => {
  const root = randomBytes(32);
  const r = await computePow(root, 12, { threads: 2 });
  expect(validatePow(root, r!.nonce, 12)).toBe(true);
});
