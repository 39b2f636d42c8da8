/**
 * The WASM proof of work (core-wasm/src/pow.ts): thresholds equal to Nano's published ones; the
 * work function equal to BLAKE2b-64(nonce_le || root) written with an independent BLAKE2b; the
 * search finds the first qualifying nonce with the right trial count, stops after exactly
 * maxTrials, wraps around 2^64, accepts the start nonce at difficulty 0, refuses bad arguments with
 * codes; and interoperability with nanocurrency both ways.
 */
import { randomBytes } from "node:crypto";
import { blake2b as nobleBlake2b } from "@noble/hashes/blake2b";
import { PowSearcher, POW_BATCH_TRIALS, powThreshold, powWork, validatePow } from "../../core-wasm/src/pow";
import { instantiateCore } from "../../core-wasm/src/module";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const nano = require("nanocurrency") as {
  computeWork(hash: string, opts?: { workThreshold?: string }): Promise<string | null>;
  validateWork(p: { blockHash: string; work: string; threshold?: string }): boolean;
};

const U64 = (1n << 64n) - 1n;
const nanoThreshold = (d: number) => powThreshold(d).toString(16).padStart(16, "0");
const nanoWork = (nonce: bigint) => nonce.toString(16).padStart(16, "0");
const hexOf = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** The work function written out with an independent BLAKE2b (noble). */
function referenceWork(root: Uint8Array, nonce: bigint): bigint {
  const buf = Buffer.alloc(40);
  buf.writeBigUInt64LE(nonce);
  buf.set(root, 8);
  return Buffer.from(nobleBlake2b(buf, { dkLen: 8 })).readBigUInt64LE();
}

describe("threshold", () => {
  test("2^64 - 2^(64-d), matching Nano's published thresholds", () => {
    expect(powThreshold(0)).toBe(0n);
    expect(powThreshold(1)).toBe(1n << 63n);
    expect(powThreshold(63)).toBe(U64 - 1n);
    // Nano's epoch-2 send threshold fffffff800000000 is 29 bits; receive fffffe0000000000 is 23.
    expect(nanoThreshold(29)).toBe("fffffff800000000");
    expect(nanoThreshold(23)).toBe("fffffe0000000000");
    expect(() => powThreshold(64)).toThrow(expect.objectContaining({ code: "ERR_BAD_ARGUMENT" }));
    expect(() => powThreshold(-1)).toThrow(expect.objectContaining({ code: "ERR_BAD_ARGUMENT" }));
  });
});

describe("work function", () => {
  test("equals BLAKE2b-64(nonce_le || root) from an independent implementation", () => {
    for (let i = 0; i < 200; i++) {
      const root = randomBytes(32);
      const nonce = randomBytes(8).readBigUInt64LE();
      expect(powWork(root, nonce)).toBe(referenceWork(root, nonce));
    }
    const root = randomBytes(32);
    for (const nonce of [0n, 1n, U64, 1n << 63n]) expect(powWork(root, nonce)).toBe(referenceWork(root, nonce));
  });
});

describe("search", () => {
  test("finds the first qualifying nonce from the start, with the right trial count", () => {
    const s = new PowSearcher();
    for (let k = 0; k < 20; k++) {
      const root = randomBytes(32);
      const start = randomBytes(8).readBigUInt64LE();
      const d = 8;
      s.setRoot(root);
      const r = s.search(start, 1 << 16, d);
      expect(r.found).toBe(true);
      expect(r.work).toBe(referenceWork(root, r.nonce));
      expect(r.work >= powThreshold(d)).toBe(true);
      const offset = BigInt.asUintN(64, r.nonce - start);
      expect(r.trials).toBe(Number(offset) + 1);
      // No earlier nonce in [start, found) qualifies.
      for (let n = 0n; n < offset; n++) expect(referenceWork(root, BigInt.asUintN(64, start + n)) < powThreshold(d)).toBe(true);
    }
  });

  test("reports not found after exactly maxTrials, and wraps around 2^64", () => {
    const s = new PowSearcher().setRoot(randomBytes(32));
    const miss = s.search(5n, 1000, 63);
    expect(miss.found).toBe(false);
    expect(miss.trials).toBe(1000);
    const root = randomBytes(32);
    s.setRoot(root);
    const r = s.search(U64 - 2n, 4096, 6);
    expect(r.found).toBe(true);
    expect(r.work).toBe(referenceWork(root, r.nonce));
  });

  test("difficulty 0 accepts the start nonce", () => {
    const r = new PowSearcher().setRoot(randomBytes(32)).search(77n, 10, 0);
    expect(r).toMatchObject({ found: true, nonce: 77n, trials: 1 });
  });

  test("bad arguments are refused with coded errors; the WASM entry returns negative codes", () => {
    const s = new PowSearcher();
    expect(() => s.setRoot(new Uint8Array(31))).toThrow(expect.objectContaining({ code: "ERR_BAD_ARGUMENT" }));
    expect(() => s.search(-1n, 10, 5)).toThrow(expect.objectContaining({ code: "ERR_BAD_ARGUMENT" }));
    expect(() => s.search(0n, 0, 5)).toThrow(expect.objectContaining({ code: "ERR_BAD_ARGUMENT" }));
    expect(() => s.search(0n, 10, 64)).toThrow(expect.objectContaining({ code: "ERR_BAD_ARGUMENT" }));
    const e = instantiateCore().exports;
    expect(e.pow_search(0n, 10, 64)).toBe(-3);
    expect(e.pow_search(0n, 10, -1)).toBe(-3);
    expect(e.pow_search(0n, 0, 5)).toBe(-4);
    expect(e.pow_validate(0n, 99)).toBe(-3);
  });
});

describe("interoperability with nanocurrency", () => {
  test("nonces we find validate under nanocurrency's validateWork", () => {
    const s = new PowSearcher();
    for (let k = 0; k < 10; k++) {
      const root = randomBytes(32);
      const d = 14;
      s.setRoot(root);
      let start = randomBytes(8).readBigUInt64LE();
      let r = s.search(start, POW_BATCH_TRIALS, d);
      while (!r.found) {
        start = BigInt.asUintN(64, start + BigInt(POW_BATCH_TRIALS));
        r = s.search(start, POW_BATCH_TRIALS, d);
      }
      expect(nano.validateWork({ blockHash: hexOf(root), work: nanoWork(r.nonce), threshold: nanoThreshold(d) })).toBe(true);
      expect(validatePow(root, r.nonce, d)).toBe(true);
    }
  });

  test("nonces nanocurrency finds validate under ours", async () => {
    for (let k = 0; k < 5; k++) {
      const root = randomBytes(32);
      const d = 12;
      const work = await nano.computeWork(hexOf(root).toUpperCase(), { workThreshold: nanoThreshold(d) });
      expect(work).not.toBeNull();
      const nonce = BigInt("0x" + work);
      expect(validatePow(root, nonce, d)).toBe(true);
      expect(powWork(root, nonce) >= powThreshold(d)).toBe(true);
    }
  });

  test("random nonces at 32 bits fail under both, and both agree at low difficulty", () => {
    for (let k = 0; k < 200; k++) {
      const root = randomBytes(32);
      const nonce = randomBytes(8).readBigUInt64LE();
      const args = { blockHash: hexOf(root), work: nanoWork(nonce) };
      expect(validatePow(root, nonce, 32)).toBe(false);
      expect(nano.validateWork({ ...args, threshold: nanoThreshold(32) })).toBe(false);
      // At 2 bits about a quarter pass: the verdicts must match nonce by nonce.
      expect(validatePow(root, nonce, 2)).toBe(nano.validateWork({ ...args, threshold: nanoThreshold(2) }));
    }
  });
});
