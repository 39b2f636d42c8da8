/**
 * The one retry backoff: exponential from `initialMs`, capped at `maxMs`, with an optional random
 * spread. Used by the API client's reconnect, attachAndSubmit's retries, the gateway's stream
 * retries and the node's peer redial, each with its own policy (see the callers).
 */
export interface BackoffPolicy {
  /** Delay before the first retry. */
  initialMs: number;
  /** Longest delay (before the spread). */
  maxMs: number;
  /** Growth per failed attempt (default 2). */
  factor?: number;
  /** Random spread, as a share of the delay: ±jitter (default 0, none). */
  jitter?: number;
}

/**
 * The delay before retry number `attempt` (1 for the first): min(maxMs, initialMs × factor^(attempt − 1)),
 * times a uniform factor in [1 − jitter, 1 + jitter) drawn from `random` (never below 0).
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be an integer from 1, got ${attempt}`);
  const base = Math.min(policy.maxMs, policy.initialMs * (policy.factor ?? 2) ** (attempt - 1));
  const jitter = policy.jitter ?? 0;
  return jitter === 0 ? base : Math.max(0, base * (1 + jitter * (2 * random() - 1)));
}
