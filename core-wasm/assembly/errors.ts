// Error codes returned by WASM entry points. Success is >= 0; failure is one of these negatives.
// The TypeScript wrapper (core-wasm/src/errors.ts) maps them to stable string codes.
// Ranges: -1..-19 hashing and PoW, -20..-29 graph, -30..-39 weights, -40..-59 tip selection.

export const ERR_BAD_LENGTH: i32 = -1;
export const ERR_BAD_DIGEST_LENGTH: i32 = -2;
export const ERR_BAD_DIFFICULTY: i32 = -3;
export const ERR_BAD_COUNT: i32 = -4;

// Tangle graph (graph.ts).
/** capacity is not a power of two in 16..2^20, or window is 0 or above capacity */
export const ERR_GRAPH_CAPACITY: i32 = -20;
/** graph_init has not been called */
export const ERR_GRAPH_NOT_INIT: i32 = -21;
/** parent count outside 0..8 */
export const ERR_GRAPH_PARENT_COUNT: i32 = -22;
/** the same parent twice */
export const ERR_GRAPH_PARENT_DUPLICATE: i32 = -23;
/** a parent seq that has not been assigned yet (parents must be appended first) */
export const ERR_GRAPH_PARENT_AHEAD: i32 = -24;
/** the seq is not in the window */
export const ERR_GRAPH_NOT_IN_WINDOW: i32 = -25;
/** milestone index not above the latest, or not latest + 1 while the latest is in the window */
export const ERR_GRAPH_MILESTONE_INDEX: i32 = -26;

// Weights (weights.ts).
/** weights_enable was called on a graph that already holds transactions */
export const ERR_WEIGHTS_NOT_EMPTY: i32 = -30;
/** checkpoint interval or lag is 0 */
export const ERR_WEIGHTS_POLICY: i32 = -31;

// Tip selection (tipsel.ts).
/** the window is empty or graph_init has not been called */
export const ERR_TIPS_EMPTY: i32 = -40;
/** invalid URTS configuration (C1 <= M and C2 <= M required, max children >= 1) */
export const ERR_TIPS_CONFIG: i32 = -41;
/** count outside 0..output capacity */
export const ERR_TIPS_COUNT: i32 = -42;
/** alpha is negative, NaN or infinite */
export const ERR_TIPS_ALPHA: i32 = -43;
/** entry point or target not in the window */
export const ERR_TIPS_NOT_IN_WINDOW: i32 = -44;
