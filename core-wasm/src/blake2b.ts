/**
 * BLAKE2b (RFC 7693) on the WASM core: one-shot, batched and streaming.
 *
 * The views over the module's static buffers are made once; a call copies the input in, passes
 * lengths, and copies the digest out. Batches (`blake2bMany`) cross the boundary once for up to
 * 4096 inputs.
 */
import { CoreInstance, sharedCore } from "./module";
import { assertBytes, assertInt, checkResult, CoreError, CoreErrorCode } from "./errors";

export const BLAKE2B_INPUT_BYTES = 1 << 18;
export const BLAKE2B_MAX_BATCH = 4096;
const BLAKE2B_STATE_BYTES = 208;

interface Views {
  core: CoreInstance;
  buffer: ArrayBuffer;
  input: Uint8Array;
  output: Uint8Array;
  lengths: Uint32Array;
  state: Uint8Array;
}

let views: Views | undefined;

function getViews(): Views {
  const core = sharedCore();
  // Views go stale if the memory ever grows; the hashing code itself never grows it.
  if (!views || views.buffer !== core.memory.buffer) {
    const e = core.exports;
    const buffer = core.memory.buffer;
    views = {
      core,
      buffer,
      input: new Uint8Array(buffer, e.blake2b_inputPtr(), BLAKE2B_INPUT_BYTES),
      output: new Uint8Array(buffer, e.blake2b_outputPtr(), BLAKE2B_INPUT_BYTES),
      lengths: new Uint32Array(buffer, e.blake2b_lengthsPtr(), BLAKE2B_MAX_BATCH),
      state: new Uint8Array(buffer, e.blake2b_statePtr(), BLAKE2B_STATE_BYTES),
    };
  }
  return views;
}

/** BLAKE2b of `data` with a digest of `outLen` bytes (1..64, default 32). */
export function blake2b(data: Uint8Array, outLen = 32): Uint8Array {
  assertBytes("data", data);
  assertInt("outLen", outLen, 1, 64);
  const v = getViews();
  const e = v.core.exports;
  if (data.length <= BLAKE2B_INPUT_BYTES) {
    v.input.set(data);
    checkResult(e.blake2b_hash(data.length, outLen), "blake2b_hash");
    return v.output.slice(0, outLen);
  }
  return new Blake2bStream(outLen).update(data).digest();
}

/** BLAKE2b-256, the transaction-id hash. */
export function blake2b256(data: Uint8Array): Uint8Array {
  return blake2b(data, 32);
}

/**
 * Digests of many inputs. Inputs are packed into as few WASM calls as the input buffer allows.
 * Returns one digest per input, in order.
 */
export function blake2bMany(inputs: readonly Uint8Array[], outLen = 32): Uint8Array[] {
  assertInt("outLen", outLen, 1, 64);
  const v = getViews();
  const e = v.core.exports;
  const out: Uint8Array[] = new Array(inputs.length);
  let i = 0;
  while (i < inputs.length) {
    let count = 0;
    let off = 0;
    while (i + count < inputs.length && count < BLAKE2B_MAX_BATCH) {
      const item = inputs[i + count];
      assertBytes(`inputs[${i + count}]`, item);
      if (off + item.length > BLAKE2B_INPUT_BYTES) break;
      v.input.set(item, off);
      v.lengths[count] = item.length;
      off += item.length;
      count++;
    }
    if (count === 0) {
      // An input larger than the buffer: stream it on its own.
      out[i] = blake2b(inputs[i], outLen);
      i++;
      continue;
    }
    checkResult(e.blake2b_hashBatch(count, outLen), "blake2b_hashBatch");
    for (let k = 0; k < count; k++) out[i + k] = v.output.slice(k * outLen, (k + 1) * outLen);
    i += count;
  }
  return out;
}

/**
 * Incremental hashing for inputs that arrive in pieces. Each stream keeps its own copy of the
 * 208-byte WASM state and swaps it in for each call, so streams can interleave with each other
 * and with one-shot hashing.
 */
export class Blake2bStream {
  private finished = false;
  private readonly saved = new Uint8Array(BLAKE2B_STATE_BYTES);
  constructor(private readonly outLen = 32) {
    assertInt("outLen", outLen, 1, 64);
    const v = getViews();
    checkResult(v.core.exports.blake2b_init(outLen), "blake2b_init");
    this.saved.set(v.state);
  }
  update(data: Uint8Array): this {
    if (this.finished) throw new CoreError(CoreErrorCode.STREAM_FINISHED, "update() after digest()");
    assertBytes("data", data);
    const v = getViews();
    v.state.set(this.saved);
    for (let off = 0; off < data.length; off += BLAKE2B_INPUT_BYTES) {
      const chunk = data.subarray(off, off + BLAKE2B_INPUT_BYTES);
      v.input.set(chunk);
      checkResult(v.core.exports.blake2b_update(chunk.length), "blake2b_update");
    }
    this.saved.set(v.state);
    return this;
  }
  digest(): Uint8Array {
    if (this.finished) throw new CoreError(CoreErrorCode.STREAM_FINISHED, "digest() called twice");
    this.finished = true;
    const v = getViews();
    v.state.set(this.saved);
    checkResult(v.core.exports.blake2b_final(), "blake2b_final");
    return v.output.slice(0, this.outLen);
  }
}
