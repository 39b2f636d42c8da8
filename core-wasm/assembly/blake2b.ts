// BLAKE2b (RFC 7693), unkeyed, digest length 1..64.
//
// JS writes input into a static buffer and passes lengths; digests land in a static output buffer.
// Three ways in: one-shot (`blake2b_hash`), batches of many inputs in one call (`blake2b_hashMany`
// for equal lengths, `blake2b_hashBatch` with a length table), and streaming (`init/update/final`)
// for inputs larger than the input buffer. The compression itself is generated (_kernels.ts).

import { compress } from "./generated/_kernels";
import { ERR_BAD_COUNT, ERR_BAD_DIGEST_LENGTH, ERR_BAD_LENGTH } from "./errors";

/** Bytes in the static input buffer (a batch must fit). */
export const BLAKE2B_INPUT_BYTES: i32 = 1 << 18;
/** Bytes in the static output buffer: room for 4096 digests of 64 bytes. */
export const BLAKE2B_OUTPUT_BYTES: i32 = 1 << 18;
/** Entries in the batch length table. */
export const BLAKE2B_MAX_BATCH: i32 = 4096;

const input: usize = memory.data(BLAKE2B_INPUT_BYTES, 16);
const output: usize = memory.data(BLAKE2B_OUTPUT_BYTES, 16);
const lengths: usize = memory.data(BLAKE2B_MAX_BATCH * 4, 16);

// Streaming state, all in memory so JS can save and restore it (several streams interleaved with
// one-shot hashing): h[8] at 0, the pending block at 64, byte counter u64 at 192, block fill i32
// at 200, digest length i32 at 204.
export const BLAKE2B_STATE_BYTES: i32 = 208;
const state: usize = memory.data(BLAKE2B_STATE_BYTES, 16);
const block: usize = state + 64;
// @ts-ignore: decorator
@inline const COUNTER: usize = 192;
// @ts-ignore: decorator
@inline const FILL: usize = 200;
// @ts-ignore: decorator
@inline const OUTLEN: usize = 204;

const IV0: u64 = 0x6a09e667f3bcc908;
const IV1: u64 = 0xbb67ae8584caa73b;
const IV2: u64 = 0x3c6ef372fe94f82b;
const IV3: u64 = 0xa54ff53a5f1d36f1;
const IV4: u64 = 0x510e527fade682d1;
const IV5: u64 = 0x9b05688c2b3e6c1f;
const IV6: u64 = 0x1f83d9abfb41bd6b;
const IV7: u64 = 0x5be0cd19137e2179;

export function blake2b_inputPtr(): usize {
  return input;
}
export function blake2b_outputPtr(): usize {
  return output;
}
export function blake2b_lengthsPtr(): usize {
  return lengths;
}
export function blake2b_statePtr(): usize {
  return state;
}

/** Starts a streaming hash with a digest of `outLen` bytes. Returns 0 or ERR_BAD_DIGEST_LENGTH. */
export function blake2b_init(outLen: i32): i32 {
  if (outLen < 1 || outLen > 64) return ERR_BAD_DIGEST_LENGTH;
  // Parameter block word 0: digest length, key length 0, fanout 1, depth 1.
  store<u64>(state, IV0 ^ (0x01010000 | <u64>outLen), 0);
  store<u64>(state, IV1, 8);
  store<u64>(state, IV2, 16);
  store<u64>(state, IV3, 24);
  store<u64>(state, IV4, 32);
  store<u64>(state, IV5, 40);
  store<u64>(state, IV6, 48);
  store<u64>(state, IV7, 56);
  store<u64>(state, 0, COUNTER);
  store<i32>(state, 0, FILL);
  store<i32>(state, outLen, OUTLEN);
  return 0;
}

/** Absorbs `len` bytes from `ptr`. The last block is held back until final (it gets the flag). */
function absorb(ptr: usize, len: i32): void {
  let blockFill = load<i32>(state, FILL);
  let counter = load<u64>(state, COUNTER);
  let off: i32 = 0;
  if (blockFill > 0 || len <= 128) {
    const take = min(128 - blockFill, len);
    if (blockFill + len > 128) {
      memory.copy(block + blockFill, ptr, take);
      blockFill = 128;
      off = take;
    } else {
      memory.copy(block + blockFill, ptr, len);
      store<i32>(state, blockFill + len, FILL);
      return;
    }
  }
  // Here either the pending block is full and more input follows, or it is empty.
  if (blockFill == 128) {
    counter += 128;
    compress(state, block, counter, 0);
    blockFill = 0;
  }
  // Whole blocks straight from the input, keeping at least one byte back for final.
  while (len - off > 128) {
    counter += 128;
    compress(state, ptr + off, counter, 0);
    off += 128;
  }
  const rest = len - off;
  memory.copy(block, ptr + off, rest);
  store<i32>(state, rest, FILL);
  store<u64>(state, counter, COUNTER);
}

/** Streams `len` bytes of the input buffer into the hash. */
export function blake2b_update(len: i32): i32 {
  if (len < 0 || len > BLAKE2B_INPUT_BYTES) return ERR_BAD_LENGTH;
  absorb(input, len);
  return 0;
}

/** Finishes the streaming hash into the output buffer; returns the digest length. */
export function blake2b_final(): i32 {
  const outLen = load<i32>(state, OUTLEN);
  if (outLen < 1 || outLen > 64) return ERR_BAD_DIGEST_LENGTH;
  return finishInto(output);
}

function finishInto(out: usize): i32 {
  const blockFill = load<i32>(state, FILL);
  const digestBytes = load<i32>(state, OUTLEN);
  memory.fill(block + blockFill, 0, 128 - blockFill);
  compress(state, block, load<u64>(state, COUNTER) + <u64>blockFill, 0xffffffffffffffff);
  memory.copy(out, state, digestBytes);
  return digestBytes;
}

function hashInto(ptr: usize, len: i32, outLen: i32, out: usize): void {
  blake2b_init(outLen);
  absorb(ptr, len);
  finishInto(out);
}

/** Hashes input[0..len) into output[0..outLen). Returns outLen or a negative error code. */
export function blake2b_hash(len: i32, outLen: i32): i32 {
  if (len < 0 || len > BLAKE2B_INPUT_BYTES) return ERR_BAD_LENGTH;
  if (outLen < 1 || outLen > 64) return ERR_BAD_DIGEST_LENGTH;
  hashInto(input, len, outLen, output);
  return outLen;
}

/**
 * Hashes `count` inputs of `itemLen` bytes laid end to end in the input buffer; digest i lands at
 * output + i * outLen. Returns count or a negative error code.
 */
export function blake2b_hashMany(count: i32, itemLen: i32, outLen: i32): i32 {
  if (outLen < 1 || outLen > 64) return ERR_BAD_DIGEST_LENGTH;
  if (count < 0 || count > BLAKE2B_MAX_BATCH) return ERR_BAD_COUNT;
  if (itemLen < 0 || <i64>itemLen * count > BLAKE2B_INPUT_BYTES) return ERR_BAD_LENGTH;
  for (let i = 0; i < count; i++) {
    hashInto(input + <usize>(i * itemLen), itemLen, outLen, output + <usize>(i * outLen));
  }
  return count;
}

/**
 * Hashes `count` inputs laid end to end in the input buffer, input i being lengths[i] bytes long
 * (u32 table); digest i lands at output + i * outLen. Returns count or a negative error code.
 */
export function blake2b_hashBatch(count: i32, outLen: i32): i32 {
  if (outLen < 1 || outLen > 64) return ERR_BAD_DIGEST_LENGTH;
  if (count < 0 || count > BLAKE2B_MAX_BATCH) return ERR_BAD_COUNT;
  let total: i64 = 0;
  for (let i = 0; i < count; i++) total += <i64>load<u32>(lengths + (<usize>i << 2));
  if (total > BLAKE2B_INPUT_BYTES) return ERR_BAD_LENGTH;
  let off: usize = 0;
  for (let i = 0; i < count; i++) {
    const len = <i32>load<u32>(lengths + (<usize>i << 2));
    hashInto(input + off, len, outLen, output + <usize>(i * outLen));
    off += <usize>len;
  }
  return count;
}
