/**
 * The one base of every error this project throws on purpose (`CodedError`), the codes of the
 * WASM core, and the error class its wrappers throw.
 *
 * The base lives here, in the lowest layer, so that core-wasm's own errors can extend it too
 * (core-wasm imports nothing above it); the rest of the project imports it from
 * client/protocol/codes.ts, where the table of every code is. The strings below are written once:
 * that table takes them from `CoreErrorCode`.
 */

/** An error with a stable string `code` (docs/api.md lists them all), a message for people, and optional details. */
export class CodedError<C extends string = string> extends Error {
  readonly code: C;
  /** Facts a program may use (never needed to understand the message). */
  readonly details?: Readonly<Record<string, unknown>>;
  constructor(code: C, message: string, details?: Readonly<Record<string, unknown>>) {
    super(message);
    this.name = "CodedError";
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}

/** Codes of the WASM core and its TypeScript wrappers. */
export const CoreErrorCode = {
  BAD_LENGTH: "ERR_BAD_LENGTH",
  BAD_DIGEST_LENGTH: "ERR_BAD_DIGEST_LENGTH",
  BAD_DIFFICULTY: "ERR_BAD_DIFFICULTY",
  BAD_COUNT: "ERR_BAD_COUNT",
  WASM: "ERR_WASM",
  BAD_ARGUMENT: "ERR_BAD_ARGUMENT",
  STREAM_FINISHED: "ERR_STREAM_FINISHED",
} as const;

export type CoreErrorCode = (typeof CoreErrorCode)[keyof typeof CoreErrorCode];

/**
 * Stable string codes for the negative results of the hashing and PoW entry points
 * (core-wasm/assembly/errors.ts; the graph and tip-selection codes are mapped by tangle.ts as
 * GRAPH_*, WEIGHTS_*, TIPS_*).
 */
export const WASM_ERROR_CODES: Readonly<Record<number, string>> = Object.freeze({
  [-1]: CoreErrorCode.BAD_LENGTH,
  [-2]: CoreErrorCode.BAD_DIGEST_LENGTH,
  [-3]: CoreErrorCode.BAD_DIFFICULTY,
  [-4]: CoreErrorCode.BAD_COUNT,
});

/** Thrown by the WASM wrappers (and the PoW pools) for bad arguments and failed calls. */
export class CoreError extends CodedError {
  override name = "CoreError";
}

/** Throws a CoreError for a negative WASM result; returns non-negative results unchanged. */
export function checkResult(result: number, what: string): number {
  if (result >= 0) return result;
  const code = WASM_ERROR_CODES[result] ?? CoreErrorCode.WASM;
  throw new CoreError(code, `${what} failed: ${code} (${result})`);
}

/** Argument checks with messages that name the parameter and the bad value. */
export function assertInt(name: string, value: unknown, min: number, max: number): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new CoreError(CoreErrorCode.BAD_ARGUMENT, `${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

export function assertBytes(name: string, value: unknown, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new CoreError(CoreErrorCode.BAD_ARGUMENT, `${name} must be a Uint8Array, got ${typeof value}`);
  }
  if (length !== undefined && value.length !== length) {
    throw new CoreError(CoreErrorCode.BAD_ARGUMENT, `${name} must be ${length} bytes, got ${value.length}`);
  }
}
