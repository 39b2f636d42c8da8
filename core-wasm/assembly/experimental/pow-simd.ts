// Experimental module: the SIMD proof-of-work kernels, built only for the benchmark
// (`npm run asbuild:experimental` → core-wasm/build/pow-simd.wasm). Same contract as pow.ts.
import { powSearchHybrid, powSearchSimd } from "../generated/_kernels_simd";

const root: usize = memory.data(32, 16);
const result: usize = memory.data(24, 16);
const scratch: usize = memory.data(320, 16);

export const KERNEL_SIMD: i32 = 1;
export const KERNEL_HYBRID: i32 = 2;

export function pow_rootPtr(): usize {
  return root;
}
export function pow_resultPtr(): usize {
  return result;
}

/** `kernel` 1: two nonces per v128 (maxTrials even); 2: scalar + SIMD, three per step (multiple of 3). */
export function pow_search(start: u64, maxTrials: u32, difficulty: i32, kernel: i32): i32 {
  if (difficulty < 0 || difficulty > 63 || maxTrials == 0) return -1;
  const threshold: u64 = difficulty == 0 ? 0 : 0 - (<u64>1 << <u64>(64 - difficulty));
  if (kernel == KERNEL_HYBRID) {
    if (maxTrials % 3 != 0) return -1;
    return powSearchHybrid(root, start, maxTrials, threshold, result, scratch);
  }
  if (maxTrials & 1) return -1;
  return powSearchSimd(root, start, maxTrials, threshold, result, scratch);
}
