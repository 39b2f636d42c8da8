/**
 * The one retry backoff (client/util/backoff.ts) and the four policies that use it: the API
 * client's reconnect (DEFAULT_BACKOFF, ±20 % spread), attachAndSubmit's retries (SUBMIT_RETRY),
 * the gateway's stream retries (STREAM_RETRY) and the node's peer redial (PEER_REDIAL). Each
 * policy's delays equal the formula its loop used before it moved here, attempt by attempt; the
 * spread is checked exactly with a seeded generator.
 */
import { DEFAULT_BACKOFF } from "../../../client/api/client";
import { SUBMIT_RETRY } from "../../../client/attach";
import { STREAM_RETRY } from "../../../client/gateway/gateway";
import { backoffDelayMs } from "../../../client/util/backoff";
import { seededRandom } from "../../../client/util/random";
import { PEER_LIMITS, PEER_REDIAL } from "../../../node/peering/protocol";

const attempts = Array.from({ length: 30 }, (_, i) => i + 1);

test("exponential from initialMs, capped at maxMs, no spread by default", () => {
  expect(attempts.slice(0, 8).map((a) => backoffDelayMs(a, { initialMs: 100, maxMs: 1000 }))).toEqual([100, 200, 400, 800, 1000, 1000, 1000, 1000]);
  expect([1, 2, 3].map((a) => backoffDelayMs(a, { initialMs: 10, maxMs: 1e6, factor: 3 }))).toEqual([10, 30, 90]);
  // Far past the cap (the power overflows to Infinity) it stays at the cap.
  expect(backoffDelayMs(5000, { initialMs: 100, maxMs: 1000 })).toBe(1000);
});

test("attempt numbers start at 1", () => {
  for (const bad of [0, -1, 1.5, NaN]) expect(() => backoffDelayMs(bad, { initialMs: 1, maxMs: 2 })).toThrow(RangeError);
});

test("the spread is base × (1 + jitter × (2r − 1)) with r from the given generator", () => {
  const draws = seededRandom(31);
  const r = seededRandom(31);
  for (const a of attempts) {
    const base = Math.min(5000, 100 * 2 ** (a - 1));
    expect(backoffDelayMs(a, DEFAULT_BACKOFF, r.next)).toBe(Math.max(0, base * (1 + 0.2 * (2 * draws.next() - 1))));
  }
  // Within ±20 % of the base for many draws.
  for (let i = 0; i < 1000; i++) {
    const d = backoffDelayMs(1, DEFAULT_BACKOFF, r.next);
    expect(d >= 80 && d < 120).toBe(true);
  }
  expect(backoffDelayMs(1, { initialMs: 100, maxMs: 100, jitter: 1 }, () => 0)).toBe(0);
});

test("each loop's policy gives the delays its own formula gave", () => {
  // API client reconnect: min(maxMs, initialMs × factor^(attempts − 1)) with jitter 0.2.
  expect(DEFAULT_BACKOFF).toEqual({ initialMs: 100, maxMs: 5000, factor: 2, jitter: 0.2 });
  for (const a of attempts) {
    expect(backoffDelayMs(a, SUBMIT_RETRY)).toBe(Math.min(5000, 100 * 2 ** Math.min(a, 6))); // attachAndSubmit, attempt from 1
    expect(backoffDelayMs(a, STREAM_RETRY)).toBe(Math.min(2000, 50 * 2 ** Math.min(a - 1, 6))); // gateway pump, failures from 0
  }
  // Peer redial: a delay that started at reconnectMinMs and doubled after each use, to reconnectMaxMs.
  let delay: number = PEER_LIMITS.reconnectMinMs;
  for (const a of attempts) {
    expect(backoffDelayMs(a, PEER_REDIAL)).toBe(delay);
    delay = Math.min(PEER_LIMITS.reconnectMaxMs, delay * 2);
  }
});
