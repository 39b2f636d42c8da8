// Proof of work (DESIGN §2, Nano-compatible):
//   work(nonce, root) = uint64_le(BLAKE2b-64bit(uint64_le(nonce) || root)), root 32 bytes;
//   a nonce meets difficulty d iff work >= threshold(d) = 2^64 - 2^(64 - d).
// The search runs in bounded batches (V8 does not tier up a call that is already running, so the
// caller loops over calls of ~2^16 trials). The kernel is generated (_kernels.ts): one compression
// per trial, nothing allocated, the nonce-independent part of the first round done once per call.
// It is scalar: SIMD kernels (two nonces per v128, and scalar + SIMD interleaved) measured slower
// under V8 on x86-64; they live in experimental/ and bench/ keeps measuring them (docs/pow.md).

import { powSearchScalar } from "./generated/_kernels";
import { ERR_BAD_COUNT, ERR_BAD_DIFFICULTY } from "./errors";
import { blake2b_inputPtr, blake2b_outputPtr, blake2b_hash } from "./blake2b";

const root: usize = memory.data(32, 16);
// Search result: [nonce u64, work u64, trials u64].
const result: usize = memory.data(24, 16);

export function pow_rootPtr(): usize {
  return root;
}
export function pow_resultPtr(): usize {
  return result;
}

/** threshold(d) = 2^64 - 2^(64 - d) for 0 <= d <= 63; 0 for d = 0. */
export function pow_threshold(difficulty: i32): u64 {
  if (difficulty <= 0) return 0;
  return 0 - (<u64>1 << <u64>(64 - difficulty));
}

/**
 * Tries up to `maxTrials` nonces start, start+1, ... against the root buffer. Returns 1 when found
 * (result = [nonce, work, trials]) or 0 when not (result trials = maxTrials), or a negative code.
 */
export function pow_search(start: u64, maxTrials: u32, difficulty: i32): i32 {
  if (difficulty < 0 || difficulty > 63) return ERR_BAD_DIFFICULTY;
  if (maxTrials == 0) return ERR_BAD_COUNT;
  return powSearchScalar(root, start, maxTrials, pow_threshold(difficulty), result);
}

/** work(nonce, root) through the general BLAKE2b code path (independent of the search kernels). */
export function pow_work(nonce: u64): u64 {
  const inp = blake2b_inputPtr();
  store<u64>(inp, nonce, 0);
  memory.copy(inp + 8, root, 32);
  blake2b_hash(40, 8);
  return load<u64>(blake2b_outputPtr(), 0);
}

/** 1 if `nonce` meets `difficulty` for the root buffer, 0 if not, or a negative code. */
export function pow_validate(nonce: u64, difficulty: i32): i32 {
  if (difficulty < 0 || difficulty > 63) return ERR_BAD_DIFFICULTY;
  return pow_work(nonce) >= pow_threshold(difficulty) ? 1 : 0;
}
