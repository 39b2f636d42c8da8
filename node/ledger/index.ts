/** The ledger's public API: re-exports only (docs/ledger.md describes the model). */
export * from "./errors";
export * from "./merkle";
export * from "./genesis";
export * from "./utxo";
export * from "./ledger";
export * from "./whiteflag";
export * from "./pending";
export * from "./balance-changes";
