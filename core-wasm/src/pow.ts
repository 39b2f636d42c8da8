/**
 * Proof of work on the WASM core, single-threaded and synchronous (DESIGN §2):
 *   work(nonce, root) = uint64_le(BLAKE2b-64bit(uint64_le(nonce) || root)),
 *   valid at difficulty d  iff  work >= 2^64 - 2^(64 - d).
 * The multi-threaded, abortable search lives in client/pow.ts; this file is the building block and
 * the verifier.
 */
import { CoreInstance, instantiateCore, sharedCore } from "./module";
import { assertBytes, assertInt, checkResult, CoreError, CoreErrorCode } from "./errors";

/** Trials per WASM call: long enough to amortize the call, short enough for V8 to tier up and for
 * a stop request to be seen within milliseconds. */
export const POW_BATCH_TRIALS = 1 << 16;
export const POW_MAX_DIFFICULTY = 63;
const U64_MASK = (1n << 64n) - 1n;

/** The smallest work value that meets difficulty `d` bits: 2^64 - 2^(64 - d) (0 for d = 0). */
export function powThreshold(difficulty: number): bigint {
  assertInt("difficulty", difficulty, 0, POW_MAX_DIFFICULTY);
  return difficulty === 0 ? 0n : (1n << 64n) - (1n << BigInt(64 - difficulty));
}

function assertNonce(nonce: unknown): asserts nonce is bigint {
  if (typeof nonce !== "bigint" || nonce < 0n || nonce > U64_MASK) {
    throw new CoreError(CoreErrorCode.BAD_ARGUMENT, `nonce must be a bigint in [0, 2^64), got ${String(nonce)}`);
  }
}

export interface PowSearchResult {
  found: boolean;
  /** The nonce that met the difficulty (meaningless when !found). */
  nonce: bigint;
  /** Its work value. */
  work: bigint;
  /** Trials done: index of the found nonce + 1, or maxTrials. */
  trials: number;
}

/** A PoW searcher over its own WASM instance (root buffer and result views made once). */
export class PowSearcher {
  private readonly core: CoreInstance;
  private readonly rootView: Uint8Array;
  private readonly resultView: BigUint64Array;

  constructor(core: CoreInstance = instantiateCore()) {
    this.core = core;
    const e = core.exports;
    this.rootView = new Uint8Array(core.memory.buffer, e.pow_rootPtr(), 32);
    this.resultView = new BigUint64Array(core.memory.buffer, e.pow_resultPtr(), 3);
  }

  setRoot(root: Uint8Array): this {
    assertBytes("root", root, 32);
    this.rootView.set(root);
    return this;
  }

  /** Tries nonces start, start+1, ... (mod 2^64) for at most `maxTrials` (1..2^32-1). */
  search(start: bigint, maxTrials: number, difficulty: number): PowSearchResult {
    assertNonce(start);
    assertInt("maxTrials", maxTrials, 1, 0xffffffff);
    assertInt("difficulty", difficulty, 0, POW_MAX_DIFFICULTY);
    const found = checkResult(this.core.exports.pow_search(start, maxTrials, difficulty), "pow_search") === 1;
    const r = this.resultView;
    return { found, nonce: r[0], work: r[1], trials: Number(r[2]) };
  }

  /** work(nonce, root) for the current root, through the general BLAKE2b path. */
  work(nonce: bigint): bigint {
    assertNonce(nonce);
    return BigInt.asUintN(64, this.core.exports.pow_work(nonce));
  }
}

let verifier: PowSearcher | undefined;

/** work(nonce, root). */
export function powWork(root: Uint8Array, nonce: bigint): bigint {
  verifier ??= new PowSearcher(sharedCore());
  return verifier.setRoot(root).work(nonce);
}

/** Whether `nonce` meets `difficulty` bits for `root`. */
export function validatePow(root: Uint8Array, nonce: bigint, difficulty: number): boolean {
  return powWork(root, nonce) >= powThreshold(difficulty);
}
