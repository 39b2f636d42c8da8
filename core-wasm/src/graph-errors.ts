/**
 * The negative results of the WASM graph, weights and tip selection as TangleGraphError, and
 * `check`, which turns every call's result into a number or that error. The codes are internal:
 * the node never sends them to clients.
 */
import { CodedError } from "./errors";

/** Error codes returned by the WASM graph and tip-selection functions. */
export const GraphErrorCode = {
  [-20]: "GRAPH_CAPACITY",
  [-21]: "GRAPH_NOT_INIT",
  [-22]: "GRAPH_PARENT_COUNT",
  [-23]: "GRAPH_PARENT_DUPLICATE",
  [-24]: "GRAPH_PARENT_AHEAD",
  [-25]: "GRAPH_NOT_IN_WINDOW",
  [-26]: "GRAPH_MILESTONE_INDEX",
  [-30]: "WEIGHTS_NOT_EMPTY",
  [-31]: "WEIGHTS_POLICY",
  [-40]: "TIPS_EMPTY",
  [-41]: "TIPS_CONFIG",
  [-42]: "TIPS_COUNT",
  [-43]: "TIPS_ALPHA",
  [-44]: "TIPS_NOT_IN_WINDOW",
} as Record<number, string>;

/** A negative result of the graph, weights or tip selection (its `code` one of GraphErrorCode's: internal, never sent to clients). */
export class TangleGraphError extends CodedError {
  constructor(
    code: string,
    readonly wasmCode: number,
    message: string,
  ) {
    super(code, `${code}: ${message}`);
    this.name = "TangleGraphError";
  }
}

/** `result` when it is >= 0; otherwise throws its TangleGraphError, saying which call (`what`) failed. */
export function check(result: number, what: string): number {
  if (result < 0) {
    const code = GraphErrorCode[result] ?? `WASM_ERROR_${-result}`;
    throw new TangleGraphError(code, result, what);
  }
  return result;
}
