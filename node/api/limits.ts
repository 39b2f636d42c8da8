/**
 * Every limit of the client API, in one place (docs/api.md lists them with the same values; a test
 * keeps the two in step). The limits the client needs too (frame size, page sizes, topics,
 * subscriptions, request rate) are written once in client/protocol/limits.ts and spread in here;
 * the rest are the node's own.
 */
import { SHARED_API_LIMITS } from "../../client/protocol/limits";

export const API_LIMITS = {
  ...SHARED_API_LIMITS,
  /** Open WebSocket connections; more are refused with HTTP 503. */
  maxConnections: 1024,
  /**
   * Rate-limited requests before the connection is closed with 1008, counted until the connection
   * goes `rateViolationQuietMs` without a refusal. (Counting only refusals "in a row" never closed a
   * real flood: the bucket refills a token every 0.5 ms, so one request in a few dozen got through
   * and restarted the count; 195,181 refusals of 200,000 pings left the connection open.)
   */
  maxRateViolations: 1000,
  /** A connection refused nothing for this long starts counting refusals from zero again. */
  rateViolationQuietMs: 1000,
  /**
   * Submissions the node processes at once, over all connections; the others wait their turn,
   * served round robin across connections and, within one, across issuers (./fair-queue.ts). Few
   * at once keep the node's FIFO stages (verify batches, write batches, the work after a commit)
   * short, so a newcomer's submission is processed with at most this many others whoever
   * pipelines; enough at once keep the write batches full (bench/README.md, "Fairness": 32 held
   * the node's top rate to 4.2 k tx/s against 6.3 k unbounded; 64 gives 5.3 k, with the honest
   * gateway's median under a flood 3× quiet instead of 1.9×, its p99 about the same).
   */
  maxSubmissionsInProgress: 64,
  /**
   * Of maxSubmissionsInProgress, turns kept for connections that have nothing being processed: a
   * connection with submissions under way waits once the others are taken, so a gateway that sends
   * one at a time is admitted on arrival, not after the next acknowledgements.
   */
  reservedSubmissionsForIdleConnections: 8,
  /** Submissions of one connection waiting for their turn (over it: ERR_TOO_MANY_IN_FLIGHT). */
  maxQueuedSubmissionsPerConnection: SHARED_API_LIMITS.maxInFlightPerConnection,
  /**
   * Submissions of one issuer waiting or being processed, over all connections (over it:
   * ERR_ISSUER_BUSY): one key spread over many connections gets one connection's worth.
   */
  maxPendingSubmissionsPerIssuer: SHARED_API_LIMITS.maxInFlightPerConnection,
  /** Remote proof-of-work jobs queued at once on the node (all connections). */
  remotePowQueue: 8,
  /** Server ping interval; a connection that misses a pong is closed. */
  pingIntervalMs: 30_000,
  /**
   * Bytes waiting in one connection's send buffer (ws `bufferedAmount`) above which the node stops
   * reading that connection (its requests wait unread, so no new answers are made for it) and drops
   * pushes to it (counted: tangle_api_backpressure_total{event="push_dropped"}). Reading resumes
   * once the buffer is back under half of this.
   */
  maxBufferedBytesPerConnection: 4 * 1024 * 1024,
  /** A connection that stays over maxBufferedBytesPerConnection this long is closed with 1008. */
  maxBufferedStallMs: 10_000,
  /** How often a paused connection's send buffer is looked at (ws has no drain event). */
  drainPollMs: 20,
  /**
   * Requests run round robin across connections, one per connection per round, in slices of at
   * most this much work before the sockets are read again (node/api/turns.ts): one connection's
   * backlog delays another's request by about one round, not by the whole backlog.
   */
  turnSliceMs: 4,
} as const;
