/**
 * Stable string codes for the negative results of the hashing and PoW entry points
 * (core-wasm/assembly/errors.ts; the graph and tip-selection codes are mapped by tangle.ts as
 * GRAPH_*, WEIGHTS_*, TIPS_*), and the error class the wrappers throw for bad arguments.
 */
export const WASM_ERROR_CODES: Readonly<Record<number, string>> = Object.freeze({
  [-1]: "ERR_BAD_LENGTH",
  [-2]: "ERR_BAD_DIGEST_LENGTH",
  [-3]: "ERR_BAD_DIFFICULTY",
  [-4]: "ERR_BAD_COUNT",
});

export class CoreError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "CoreError";
    this.code = code;
  }
}

/** Throws a CoreError for a negative WASM result; returns non-negative results unchanged. */
export function checkResult(result: number, what: string): number {
  if (result >= 0) return result;
  const code = WASM_ERROR_CODES[result] ?? "ERR_WASM";
  throw new CoreError(code, `${what} failed: ${code} (${result})`);
}

/** Argument checks with messages that name the parameter and the bad value. */
export function assertInt(name: string, value: unknown, min: number, max: number): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new CoreError("ERR_BAD_ARGUMENT", `${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

export function assertBytes(name: string, value: unknown, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new CoreError("ERR_BAD_ARGUMENT", `${name} must be a Uint8Array, got ${typeof value}`);
  }
  if (length !== undefined && value.length !== length) {
    throw new CoreError("ERR_BAD_ARGUMENT", `${name} must be ${length} bytes, got ${value.length}`);
  }
}
