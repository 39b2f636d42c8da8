// Exports only. Each algorithm lives in its own file; see the header comment of each.
export * from "./errors";
export * from "./blake2b";
export * from "./pow";
export * from "./graph";
export * from "./weights";
export * from "./tipsel";
