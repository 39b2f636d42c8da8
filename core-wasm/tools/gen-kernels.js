#!/usr/bin/env node
/**
 * Generates the files of core-wasm/assembly/generated/ (nothing else is written there, and
 * .gitattributes marks the folder as generated):
 *   - _kernels.ts: the fully unrolled BLAKE2b compression (RFC 7693 §3.2) and the scalar
 *     proof-of-work search kernel, both in the release module;
 *   - _kernels_simd.ts: the SIMD search kernels (two nonces per v128, and the scalar + SIMD
 *     hybrid), built by `npm run asbuild:experimental` into core-wasm/build/pow-simd.wasm.
 *
 * AssemblyScript has no macros and an `@inline` helper cannot update its caller's locals, so the
 * 96 G mixings per compression are written out here instead of by hand. Unrolling keeps the
 * whole state in locals (registers) and lets the PoW kernels drop the work that is the same for
 * every nonce:
 *   - message words 5..15 are zero in a PoW trial (input = nonce || root, 40 bytes): their adds go;
 *   - round 0's column steps 1..3 do not read the nonce: computed once per batch, outside the loop;
 *   - the digest is 8 bytes = h0 ^ v0 ^ v8: the last round keeps only what feeds v0 and v8.
 * Run `node core-wasm/tools/gen-kernels.js` after editing; `npm run asbuild` does it first, and a
 * test (test/core-wasm/kernels.test.ts) fails if a committed file is stale.
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
];
// The eight G applications of a round: (a, b, c, d) and which message pair (2i, 2i+1) they take.
const STEPS = [
  [0, 4, 8, 12], [1, 5, 9, 13], [2, 6, 10, 14], [3, 7, 11, 15],
  [0, 5, 10, 15], [1, 6, 11, 12], [2, 7, 8, 13], [3, 4, 9, 14],
];

/** Scalar (u64) and vector (two u64 lanes) spellings of the G operations. */
const SCALAR = {
  add: (a, b) => `${a} + ${b}`,
  rot: (x, n) => `rotr<u64>(${x}, ${n})`,
  xor: (a, b) => `${a} ^ ${b}`,
};
// Rotations within each 64-bit lane. V8 (x86-64) builds the 16-byte mask of a general byte shuffle
// (i8x16.shuffle) with four or five instructions on every use, so: the 32-bit rotation is a 32-bit
// lane shuffle (one pshufd); 24 and 16 are byte swizzles with constant masks (pshufb with the mask
// from the constant pool); 63 is (t + t) | (t >> 63). Measured: shifts for 24/16 ran at 0.74x the
// scalar kernel, swizzles at 0.9x.
const VECTOR = {
  add: (a, b) => `i64x2.add(${a}, ${b})`,
  rot: (x, n) => {
    if (n === 32) return `i32x4.shuffle(${x}, ${x}, 1, 0, 3, 2)`;
    if (n === 63) return `v128.or(i64x2.add(T, T), i64x2.shr_u(T, 63))`.replace(/T/g, x);
    return `i8x16.swizzle(${x}, R${n})`;
  },
  xor: (a, b) => `v128.xor(${a}, ${b})`,
};

/**
 * Lines of one G. `x`/`y` are message expressions or null for a zero word. `keep` limits the output
 * to the first `keep` of its 8 assignments (for the truncated last round).
 */
function g(ops, a, b, c, d, x, y, keep = 8, prefix = "v") {
  const va = `${prefix}${a}`, vb = `${prefix}${b}`, vc = `${prefix}${c}`, vd = `${prefix}${d}`;
  const lines = [];
  const addAB = (m) => (m === null ? ops.add(va, vb) : ops.add(ops.add(va, vb), m));
  lines.push(`${va} = ${addAB(x)};`);
  // v128 rotations read their operand twice (shuffle of (t, t), or t + t and t >> 63): bind the xor
  // to a temporary so it is computed once. Scalar rotations are a single rotr.
  const rotv = (dst, l, r, n) => {
    if (ops === VECTOR) {
      lines.push(`t = ${ops.xor(l, r)};`);
      lines.push(`${dst} = ${ops.rot("t", n)};`);
    } else lines.push(`${dst} = ${ops.rot(ops.xor(l, r), n)};`);
  };
  const seq = [
    () => {},
    () => rotv(vd, vd, va, 32),
    () => lines.push(`${vc} = ${ops.add(vc, vd)};`),
    () => rotv(vb, vb, vc, 24),
    () => lines.push(`${va} = ${addAB(y)};`),
    () => rotv(vd, vd, va, 16),
    () => lines.push(`${vc} = ${ops.add(vc, vd)};`),
    () => rotv(vb, vb, vc, 63),
  ];
  for (let i = 1; i < keep; i++) seq[i]();
  return lines;
}

/** Rounds r0..11 for a message given by `msg(i)` (an expression or null for a zero word). */
function rounds(ops, msg, opts = {}) {
  return roundBlocks(ops, msg, opts).flat();
}

/** The same as `rounds`, one array of lines per G application. */
function roundBlocks(ops, msg, { skipRound0Steps = [], lastRoundNeeds = null, prefix = "v" } = {}) {
  const out = [];
  for (let r = 0; r < 12; r++) {
    const s = SIGMA[r];
    for (let i = 0; i < 8; i++) {
      if (r === 0 && skipRound0Steps.includes(i)) continue;
      const [a, b, c, d] = STEPS[i];
      let keep = 8;
      if (r === 11 && lastRoundNeeds) {
        keep = lastRoundNeeds(i);
        if (keep === 0) continue;
      }
      out.push(g(ops, a, b, c, d, msg(s[2 * i]), msg(s[2 * i + 1]), keep, prefix));
    }
  }
  return out;
}

// In the last round only v0 (step 4, its 5th assignment) and v8 (step 6, its 7th) reach the 8-byte
// digest, and steps 0..3 all feed them.
function powLastRound(i) {
  if (i < 4) return 8;
  if (i === 4) return 5;
  if (i === 6) return 7;
  return 0;
}

const IV = [
  "0x6a09e667f3bcc908", "0xbb67ae8584caa73b", "0x3c6ef372fe94f82b", "0xa54ff53a5f1d36f1",
  "0x510e527fade682d1", "0x9b05688c2b3e6c1f", "0x1f83d9abfb41bd6b", "0x5be0cd19137e2179",
];

function indent(lines, n) {
  const pad = " ".repeat(n);
  return lines.map((l) => pad + l).join("\n");
}

function genCompress() {
  const body = [];
  for (let i = 0; i < 8; i++) body.push(`let v${i}: u64 = load<u64>(h, ${i * 8});`);
  for (let i = 0; i < 8; i++) {
    let init = `${IV[i]}`;
    if (i === 4) init = `${IV[4]} ^ t`;
    if (i === 6) init = `${IV[6]} ^ f`;
    body.push(`let v${8 + i}: u64 = ${init};`);
  }
  for (let i = 0; i < 16; i++) body.push(`const m${i}: u64 = load<u64>(m, ${i * 8});`);
  body.push(...rounds(SCALAR, (i) => `m${i}`));
  for (let i = 0; i < 8; i++) body.push(`store<u64>(h, load<u64>(h, ${i * 8}) ^ v${i} ^ v${i + 8}, ${i * 8});`);
  return `/** BLAKE2b compression F (RFC 7693 §3.2) of the 128-byte block at \`m\` into the state at \`h\`.
 * \`t\` is the byte counter (inputs here stay below 2^64 bytes), \`f\` is ~0 for the last block. */
export function compress(h: usize, m: usize, t: u64, f: u64): void {
${indent(body, 2)}
}`;
}

/** Shared prologue of both PoW kernels: the state every trial starts from. */
function powState(ops) {
  const lines = [];
  const splat = (e) => (ops === VECTOR ? `i64x2.splat(${e})` : e);
  const ty = ops === VECTOR ? "v128" : "u64";
  // Parameter block: digest length 8, key length 0, fanout 1, depth 1.
  const h = IV.map((x, i) => (i === 0 ? `${x} ^ 0x01010008` : x));
  const init = [
    ...h,
    IV[0], IV[1], IV[2], IV[3],
    `${IV[4]} ^ 40`, IV[5], `${IV[6]} ^ 0xffffffffffffffff`, IV[7],
  ];
  for (let i = 0; i < 16; i++) lines.push(`let v${i}: ${ty} = ${splat(init[i])};`);
  for (let i = 1; i <= 4; i++) lines.push(`const m${i}: ${ty} = ${splat(`load<u64>(root, ${(i - 1) * 8})`)};`);
  if (ops === VECTOR) lines.push(`let t: v128 = i64x2.splat(0);`);
  if (ops === VECTOR) {
    // Byte masks rotating each 64-bit lane right by 3 and 2 bytes.
    const mask = (k) => Array.from({ length: 16 }, (_, i) => (i & ~7) + (((i & 7) + k) & 7)).join(", ");
    lines.push(`const R24: v128 = i8x16(${mask(3)});`);
    lines.push(`const R16: v128 = i8x16(${mask(2)});`);
  }
  // Round 0, steps 1..3 (they read m2..m7 only): computed once here.
  const msg = (i) => (i === 0 ? "m0" : i <= 4 ? `m${i}` : null);
  for (let i = 1; i < 4; i++) {
    const [a, b, c, d] = STEPS[i];
    lines.push(...g(ops, a, b, c, d, msg(2 * i), msg(2 * i + 1)));
  }
  // Save the nonce-independent state; each trial restarts from it.
  if (ops === VECTOR) {
    for (let i = 0; i < 16; i++) lines.push(`v128.store(scratch, v${i}, ${i * 16});`);
    for (let i = 1; i <= 4; i++) lines.push(`v128.store(scratch, m${i}, ${(15 + i) * 16});`);
  } else {
    for (let i = 0; i < 16; i++) lines.push(`const s${i}: ${ty} = v${i};`);
  }
  return { lines, msg, h0: h[0] };
}

function powBody(ops) {
  const lines = [];
  const vec = ops === VECTOR;
  // The vector kernel reloads its start state and message words from scratch memory instead of
  // holding 20 more live v128 values: x86 has 16 vector registers and the loads fold into operands.
  for (let i = 0; i < 16; i++) lines.push(vec ? `v${i} = v128.load(scratch, ${i * 16});` : `v${i} = s${i};`);
  const msg = (i) => (i === 0 ? "m0" : i <= 4 ? (vec ? `v128.load(scratch, ${(15 + i) * 16})` : `m${i}`) : null);
  lines.push(...rounds(ops, msg, { skipRound0Steps: [1, 2, 3], lastRoundNeeds: powLastRound }));
  return lines;
}

function genPowScalar() {
  const { lines: pro, h0 } = powState(SCALAR);
  const body = [
    `const m0: u64 = nonce;`,
    ...powBody(SCALAR),
    `const work: u64 = ${h0} ^ v0 ^ v8;`,
    `if (work >= threshold) {`,
    `  store<u64>(out, nonce, 0);`,
    `  store<u64>(out, work, 8);`,
    `  store<u64>(out, <u64>(i + 1), 16);`,
    `  return 1;`,
    `}`,
    `nonce += 1;`,
  ];
  return `/** Scalar search: tries \`count\` nonces from \`start\` against the 32-byte \`root\`. On success writes
 * [nonce, work, trials] as u64 at \`out\` and returns 1; otherwise writes trials = count and returns 0. */
export function powSearchScalar(root: usize, start: u64, count: u32, threshold: u64, out: usize): i32 {
${indent(pro, 2)}
  let nonce: u64 = start;
  for (let i: u32 = 0; i < count; i++) {
${indent(body, 4)}
  }
  store<u64>(out, <u64>count, 16);
  return 0;
}`;
}

function genPowSimd() {
  const { lines: pro, h0 } = powState(VECTOR);
  const body = [
    `const m0: v128 = i64x2.replace_lane(i64x2.splat(nonce), 1, nonce + 1);`,
    ...powBody(VECTOR),
    `const w: v128 = v128.xor(v128.xor(i64x2.splat(${h0}), v0), v8);`,
    `const w0: u64 = <u64>i64x2.extract_lane(w, 0);`,
    `const w1: u64 = <u64>i64x2.extract_lane(w, 1);`,
    `if (w0 >= threshold) {`,
    `  store<u64>(out, nonce, 0);`,
    `  store<u64>(out, w0, 8);`,
    `  store<u64>(out, <u64>(i + 1), 16);`,
    `  return 1;`,
    `}`,
    `if (w1 >= threshold) {`,
    `  store<u64>(out, nonce + 1, 0);`,
    `  store<u64>(out, w1, 8);`,
    `  store<u64>(out, <u64>(i + 2), 16);`,
    `  return 1;`,
    `}`,
    `nonce += 2;`,
  ];
  return `/** SIMD search: two nonces per iteration, one in each 64-bit lane. \`count\` must be even. Same
 * contract as powSearchScalar. */
export function powSearchSimd(root: usize, start: u64, count: u32, threshold: u64, out: usize, scratch: usize): i32 {
${indent(pro, 2)}
  let nonce: u64 = start;
  for (let i: u32 = 0; i < count; i += 2) {
${indent(body, 4)}
  }
  store<u64>(out, <u64>count, 16);
  return 0;
}`;
}

/**
 * Hybrid search: three nonces per iteration, one on the scalar registers and two in the lanes of a
 * v128, their G steps interleaved so the integer and the vector pipes work at the same time.
 */
function genPowHybrid() {
  const { lines: pro, h0 } = powState(VECTOR);
  const vec = powBody(VECTOR);
  const msgA = (i) => (i === 0 ? "na" : i <= 4 ? `load<u64>(scratch, ${(15 + i) * 16})` : null);
  const blocksA = roundBlocks(SCALAR, msgA, { skipRound0Steps: [1, 2, 3], lastRoundNeeds: powLastRound, prefix: "a" });
  const blocksV = roundBlocks(VECTOR, (i) => (i === 0 ? "m0" : i <= 4 ? `v128.load(scratch, ${(15 + i) * 16})` : null), {
    skipRound0Steps: [1, 2, 3],
    lastRoundNeeds: powLastRound,
  });
  const body = [`const na: u64 = nonce;`, `const m0: v128 = i64x2.replace_lane(i64x2.splat(nonce + 1), 1, nonce + 2);`];
  for (let i = 0; i < 16; i++) body.push(`let a${i}: u64 = load<u64>(scratch, ${i * 16});`);
  for (let i = 0; i < 16; i++) body.push(`v${i} = v128.load(scratch, ${i * 16});`);
  for (let k = 0; k < blocksA.length; k++) body.push(...blocksA[k], ...blocksV[k]);
  const found = (n, w, trials) => [`  store<u64>(out, ${n}, 0);`, `  store<u64>(out, ${w}, 8);`, `  store<u64>(out, <u64>(i + ${trials}), 16);`, `  return 1;`];
  body.push(
    `const wa: u64 = ${h0} ^ a0 ^ a8;`,
    `const w: v128 = v128.xor(v128.xor(i64x2.splat(${h0}), v0), v8);`,
    `if (wa >= threshold) {`, ...found("na", "wa", 1), `}`,
    `const w0: u64 = <u64>i64x2.extract_lane(w, 0);`,
    `if (w0 >= threshold) {`, ...found("nonce + 1", "w0", 2), `}`,
    `const w1: u64 = <u64>i64x2.extract_lane(w, 1);`,
    `if (w1 >= threshold) {`, ...found("nonce + 2", "w1", 3), `}`,
    `nonce += 3;`,
  );
  void vec;
  return `/** Hybrid search: three nonces per iteration (scalar + two SIMD lanes). \`count\` must be a
 * multiple of 3; \`scratch\` is 320 bytes, 16-aligned. Same contract as powSearchScalar. */
export function powSearchHybrid(root: usize, start: u64, count: u32, threshold: u64, out: usize, scratch: usize): i32 {
${indent(pro, 2)}
  let nonce: u64 = start;
  for (let i: u32 = 0; i < count; i += 3) {
${indent(body, 4)}
  }
  store<u64>(out, <u64>count, 16);
  return 0;
}`;
}

/** First line of every output: who writes the file, where, and that it is not edited by hand. */
function header(file) {
  return `// GENERATED by core-wasm/tools/gen-kernels.js into core-wasm/assembly/generated/${file} — do not edit; edit the generator and rerun it (npm run asbuild:gen).`;
}

/** The shipped kernels: general compression and the scalar PoW search. */
function generate() {
  return [
    header("_kernels.ts"),
    "// BLAKE2b compression and the proof-of-work search kernel, fully unrolled (see the generator).",
    "",
    genCompress(),
    "",
    genPowScalar(),
    "",
  ].join("\n");
}

/**
 * The SIMD kernels: not in the release module; they are built into their own module
 * (core-wasm/build/pow-simd.wasm) that the benchmark loads, so that they stay buildable and keep
 * being measured against the scalar kernel (docs/pow.md has the figures; which kernel ships is
 * decided by measurement).
 */
function generateSimd() {
  return [
    header("_kernels_simd.ts"),
    "// SIMD proof-of-work kernels, built into their own module for measurement (see the generator).",
    "",
    genPowSimd(),
    "",
    genPowHybrid(),
    "",
  ].join("\n");
}

/** Where the generated files live (see .gitattributes). */
const GENERATED_DIR = path.join(__dirname, "..", "assembly", "generated");

const OUTPUTS = [
  [path.join(GENERATED_DIR, "_kernels.ts"), generate],
  [path.join(GENERATED_DIR, "_kernels_simd.ts"), generateSimd],
];

module.exports = { generate, generateSimd, GENERATED_DIR, OUTPUTS };

if (require.main === module) {
  for (const [target, gen] of OUTPUTS) {
    const text = gen();
    if (!fs.existsSync(target) || fs.readFileSync(target, "utf8") !== text) {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, text);
    }
  }
}
