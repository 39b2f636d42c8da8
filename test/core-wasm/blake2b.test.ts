/**
 * The WASM BLAKE2b (core-wasm/assembly/blake2b.ts through core-wasm/src/blake2b.ts): the RFC 7693
 * and published vectors; equality with node:crypto, @noble/hashes and blakejs (independent
 * implementations) over every input length 0..1024 and every digest length; inputs larger than the
 * WASM buffer streamed; batches (blake2bMany) and streams fed in random pieces equal one-shot
 * hashing; bad digest lengths refused with a coded error, and negative codes from the WASM entries.
 */
import { createHash } from "node:crypto";
import { blake2b as nobleBlake2b } from "@noble/hashes/blake2b";
import * as blakejs from "blakejs";
import { blake2b, blake2b256, blake2bMany, Blake2bStream, BLAKE2B_INPUT_BYTES } from "../../core-wasm/src/blake2b";
import { instantiateCore } from "../../core-wasm/src/module";
import vectors from "../vectors/blake2b.json";

/** Deterministic pseudo-random bytes (xorshift32) so failures reproduce. */
function bytes(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = seed | 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("BLAKE2b known answers", () => {
  test.each(vectors.vectors)("RFC 7693 / published vector: outLen $outLen of '$inputHex'", (v) => {
    expect(hex(blake2b(Buffer.from(v.inputHex, "hex"), v.outLen))).toBe(v.digestHex);
  });
});

describe("BLAKE2b cross-checks", () => {
  test("equals node:crypto blake2b512 for every input length 0..1024", () => {
    for (let len = 0; len <= 1024; len++) {
      const data = bytes(len, len + 1);
      expect(hex(blake2b(data, 64))).toBe(createHash("blake2b512").update(data).digest("hex"));
    }
  });

  test("equals @noble/hashes for input lengths 0..1024 x digest lengths 1..64", () => {
    let mismatches = 0;
    for (let len = 0; len <= 1024; len++) {
      const data = bytes(len, 7919 * len + 3);
      for (let outLen = 1; outLen <= 64; outLen++) {
        if (hex(blake2b(data, outLen)) !== hex(nobleBlake2b(data, { dkLen: outLen }))) mismatches++;
      }
    }
    expect(mismatches).toBe(0);
  });

  test("equals blakejs on block boundaries and a spread of digest lengths", () => {
    for (const len of [0, 1, 127, 128, 129, 255, 256, 257, 383, 384, 385, 1000, 4096]) {
      const data = bytes(len, len + 99);
      for (const outLen of [1, 8, 20, 32, 48, 63, 64]) {
        expect(hex(blake2b(data, outLen))).toBe(hex(blakejs.blake2b(data, undefined, outLen)));
      }
    }
  });

  test("inputs larger than the WASM input buffer are streamed", () => {
    const data = bytes(BLAKE2B_INPUT_BYTES * 2 + 777, 5);
    expect(hex(blake2b(data, 64))).toBe(createHash("blake2b512").update(data).digest("hex"));
  });

  test("blake2b256 is the 32-byte digest", () => {
    const data = bytes(300, 11);
    expect(hex(blake2b256(data))).toBe(hex(nobleBlake2b(data, { dkLen: 32 })));
  });
});

describe("batches and streams", () => {
  test("blake2bMany equals one-shot hashing, across several WASM calls", () => {
    const inputs: Uint8Array[] = [];
    for (let i = 0; i < 6000; i++) inputs.push(bytes((i * 37) % 300, i + 1));
    const many = blake2bMany(inputs, 32);
    expect(many).toHaveLength(inputs.length);
    for (let i = 0; i < inputs.length; i += 1) expect(hex(many[i])).toBe(hex(nobleBlake2b(inputs[i], { dkLen: 32 })));
  });

  test("blake2bMany handles an input larger than the buffer among small ones", () => {
    const big = bytes(BLAKE2B_INPUT_BYTES + 1, 3);
    const inputs = [bytes(10, 1), big, bytes(0, 2)];
    const out = blake2bMany(inputs, 64);
    inputs.forEach((x, i) => expect(hex(out[i])).toBe(createHash("blake2b512").update(x).digest("hex")));
  });

  test("a stream fed in random pieces equals one-shot, interleaved with other hashing", () => {
    const data = bytes(5000, 42);
    const a = new Blake2bStream(32);
    const b = new Blake2bStream(64);
    let seed = 9;
    for (let off = 0; off < data.length; ) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const n = Math.min(data.length - off, seed % 300);
      a.update(data.subarray(off, off + n));
      blake2b(bytes(50, seed), 16); // unrelated one-shot work between pieces
      b.update(data.subarray(off, off + n));
      off += n;
    }
    expect(hex(a.digest())).toBe(hex(nobleBlake2b(data, { dkLen: 32 })));
    expect(hex(b.digest())).toBe(createHash("blake2b512").update(data).digest("hex"));
    expect(() => a.digest()).toThrow(expect.objectContaining({ code: "ERR_STREAM_FINISHED" }));
  });
});

describe("bad input", () => {
  test("digest lengths outside 1..64 are refused with a coded error", () => {
    for (const outLen of [0, 65, -1, 1.5, NaN]) {
      expect(() => blake2b(new Uint8Array(1), outLen)).toThrow(expect.objectContaining({ code: "ERR_BAD_ARGUMENT" }));
    }
    expect(() => blake2b("abc" as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: "ERR_BAD_ARGUMENT" }));
  });

  test("the WASM entry points return negative codes for bad lengths and counts", () => {
    const e = instantiateCore().exports;
    expect(e.blake2b_hash(-1, 32)).toBe(-1);
    expect(e.blake2b_hash(BLAKE2B_INPUT_BYTES + 1, 32)).toBe(-1);
    expect(e.blake2b_hash(3, 0)).toBe(-2);
    expect(e.blake2b_hash(3, 65)).toBe(-2);
    expect(e.blake2b_hashMany(5000, 1, 32)).toBe(-4);
    expect(e.blake2b_hashMany(2, BLAKE2B_INPUT_BYTES, 32)).toBe(-1);
    expect(e.blake2b_init(0)).toBe(-2);
  });
});
