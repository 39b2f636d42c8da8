// Error codes returned by WASM entry points. Success is >= 0; failure is one of these negatives.
// The TypeScript wrapper (core-wasm/src/errors.ts) maps them to stable string codes.
// Ranges: -1..-19 hashing and PoW, -20..-39 graph, -40..-59 tip selection.

export const ERR_BAD_LENGTH: i32 = -1;
export const ERR_BAD_DIGEST_LENGTH: i32 = -2;
export const ERR_BAD_DIFFICULTY: i32 = -3;
export const ERR_BAD_COUNT: i32 = -4;
