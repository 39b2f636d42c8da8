/**
 * Attaching a signed essence to the tangle: parents from the node, proof of work, submission.
 * Shared by the wallet (transfers) and the gateway (data records).
 *
 *   selectParents → attach (timestamp now) → getDifficulty → PoW → submitTransaction
 *
 * Parents age while the PoW runs: once they are older than `maxParentAgeMs` the search is stopped
 * and redone on fresh parents (URTS makes a tip that fell behind the milestones lazy, and a lazy
 * transaction is never confirmed). Each refresh lengthens the bound by half, so a PoW that cannot
 * finish within the first bound still finishes. Local PoW comes first; when it fails and the node
 * offers remote PoW, the node stamps it (`pow: true`).
 *
 * Submission errors split three ways: transient ones (connection, rate limit, node busy) resend the
 * same bytes after a backoff (the node answers `duplicate` if it kept them); the ones a new
 * attachment cures (stale timestamp, unknown parents, a higher adaptive difficulty) attach again;
 * anything else is final and thrown.
 */
import type { ApiClient } from "./api/client";
import { hasCode, isTransient, TangleClientError } from "./api/errors";
import { Code } from "./protocol/codes";
import type { NodeInfo } from "./api/types";
import { fromHex, toHex } from "./protocol/bytes";
import { powRoot, setNonce, transactionId } from "./protocol/codec";
import { attach, SignedEssence } from "./protocol/build";
import { InlinePow, LocalPow, LocalPowProgress, POW_ABORTED } from "./local-pow";
import { backoffDelayMs, BackoffPolicy } from "./util/backoff";

/** Submission errors that a fresh attachment (parents, timestamp, PoW) cures. */
export const REATTACHABLE_CODES = [Code.ERR_TX_TIMESTAMP_TOO_OLD, Code.ERR_TX_TIMESTAMP_IN_FUTURE, Code.ERR_TX_NOT_SOLID, Code.ERR_TX_POW_INSUFFICIENT] as const;

export type RemotePowPolicy = "fallback" | "never" | "always";

export interface AttachOptions {
  /** Local PoW engine (default: a shared InlinePow). */
  pow?: LocalPow;
  /** When to let the node do the PoW (default "fallback": only if local PoW fails). */
  remotePow?: RemotePowPolicy;
  /** Parents to ask for (2..8, default 4). */
  parentCount?: number;
  /**
   * Tip selection override (default: the node's `selectParents`): e.g. to promote a transaction
   * by including it, or to pin parents in tests. Must return 2..8 ids the node knows.
   */
  selectParents?: (client: ApiClient, count: number) => Promise<string[]>;
  /** Redo the PoW on fresh parents once they are this old (default: 4 milestone intervals, at least 100 ms). */
  maxParentAgeMs?: number;
  /** Attempts (attachments plus resends) before giving up (default 20). */
  maxAttempts?: number;
  signal?: AbortSignal;
  onEvent?: (e: AttachEvent) => void;
  /** Clock for timestamps (ms since the epoch); tests inject one. */
  now?: () => number;
}

export type AttachEvent =
  | { type: "parents"; parents: string[] }
  | { type: "pow"; difficulty: number; progress?: LocalPowProgress }
  | { type: "refresh"; reason: string }
  | { type: "remote-pow"; reason: string }
  | { type: "retry"; code: string; delayMs: number }
  | { type: "submitted"; id: string; duplicate: boolean };

/** A stamped attachment, not yet submitted. */
export interface Attachment {
  id: string;
  bytes: Uint8Array;
  parents: string[];
  timestamp: number;
  difficulty: number;
  /** Nonce still to be found by the node (`pow: true`). */
  remotePow: boolean;
  /** Times the parents were refreshed because the PoW outlasted them. */
  refreshes: number;
}

export interface Submitted extends Attachment {
  duplicate: boolean;
}

const infoCache = new WeakMap<ApiClient, Promise<NodeInfo>>();

/** getNodeInfo, once per client (network parameters do not change under a running client). */
export function nodeInfoOf(client: ApiClient): Promise<NodeInfo> {
  let p = infoCache.get(client);
  if (!p) {
    p = client.getNodeInfo();
    infoCache.set(client, p);
    p.catch(() => infoCache.delete(client));
  }
  return p;
}

const intervalCache = new WeakMap<ApiClient, Promise<number>>();

/**
 * The milestone interval actually observed (the gap between the last two milestones), or the
 * genesis value when that is shorter or unknown. A coordinator may run faster than its genesis
 * says (`--milestone-interval-ms`), and parent staleness is counted in milestones.
 */
export function milestoneIntervalOf(client: ApiClient): Promise<number> {
  let p = intervalCache.get(client);
  if (!p) {
    p = (async () => {
      const info = await nodeInfoOf(client);
      try {
        const latest = await client.getMilestone("latest");
        if (latest.index < 2) return info.milestoneIntervalMs;
        const prev = await client.getMilestone(latest.index - 1);
        const seen = latest.timestamp - prev.timestamp;
        return seen > 0 ? Math.min(seen, info.milestoneIntervalMs) : info.milestoneIntervalMs;
      } catch {
        return info.milestoneIntervalMs;
      }
    })();
    intervalCache.set(client, p);
    p.catch(() => intervalCache.delete(client));
  }
  return p;
}

let sharedInline: InlinePow | undefined;

/** Transient submit failures: 200 ms before the first retry, doubling, at most 5 s. */
export const SUBMIT_RETRY: BackoffPolicy = { initialMs: 200, maxMs: 5000 };

function issuerOf(signed: SignedEssence): Uint8Array {
  return signed.essenceBytes.subarray(5, 37);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new TangleClientError(Code.ERR_CLIENT_ABORTED, "aborted"));
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new TangleClientError(Code.ERR_CLIENT_ABORTED, "aborted"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Parents and PoW for `signed`: returns stamped bytes (or, when local PoW failed and the node does
 * it, bytes whose nonce the node will find).
 */
export async function prepareAttachment(client: ApiClient, signed: SignedEssence, opts: AttachOptions = {}): Promise<Attachment> {
  const info = await nodeInfoOf(client);
  const now = opts.now ?? Date.now;
  const policy = opts.remotePow ?? "fallback";
  let bound = opts.maxParentAgeMs ?? Math.max(100, 4 * (await milestoneIntervalOf(client)));
  const pow = opts.pow ?? (sharedInline ??= new InlinePow());
  for (let refreshes = 0; ; refreshes++) {
    if (opts.signal?.aborted) throw new TangleClientError(Code.ERR_CLIENT_ABORTED, "aborted");
    const count = opts.parentCount ?? 4;
    const parentHex = opts.selectParents ? await opts.selectParents(client, count) : await client.selectParents(count, { signal: opts.signal });
    opts.onEvent?.({ type: "parents", parents: parentHex });
    const selectedAt = now();
    const bytes = attach(signed, parentHex.map((p) => fromHex(p, "parent")), selectedAt);
    const { difficulty } = await client.getDifficulty(issuerOf(signed), bytes.length, { signal: opts.signal });
    const base = { parents: parentHex, timestamp: selectedAt, difficulty, refreshes };
    if (policy === "always") {
      if (!info.remotePow) throw new TangleClientError(Code.ERR_REMOTE_POW_DISABLED, "this node does not do proof of work for clients");
      return { ...base, id: toHex(transactionId(bytes)), bytes, remotePow: true };
    }
    // Stop the search when the parents grow stale (or the caller aborts).
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => stop.abort(), bound);
    try {
      opts.onEvent?.({ type: "pow", difficulty });
      const r = await pow.search(powRoot(bytes), difficulty, {
        signal: stop.signal,
        onProgress: (progress) => opts.onEvent?.({ type: "pow", difficulty, progress }),
      });
      if (!r) throw new TangleClientError(Code.ERR_POW_GAVE_UP, "local proof of work gave up");
      setNonce(bytes, r.nonce);
      if (now() - selectedAt <= bound) return { ...base, id: toHex(transactionId(bytes)), bytes, remotePow: false };
      opts.onEvent?.({ type: "refresh", reason: `parents older than ${bound} ms after PoW` });
    } catch (err) {
      if (opts.signal?.aborted) throw new TangleClientError(Code.ERR_CLIENT_ABORTED, "aborted");
      if (hasCode(err, POW_ABORTED)) {
        opts.onEvent?.({ type: "refresh", reason: `parents older than ${bound} ms during PoW` });
      } else {
        // Local PoW is broken here (no WASM, a worker died): let the node do it if it may.
        if (policy === "never" || !info.remotePow) throw err;
        opts.onEvent?.({ type: "remote-pow", reason: (err as Error).message });
        return { ...base, id: toHex(transactionId(bytes)), bytes, remotePow: true };
      }
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
    }
    bound = Math.ceil(bound * 1.5);
  }
}

/**
 * Attaches and submits until the node acknowledges (see the file comment for what is retried).
 * Resolves with the acknowledged attachment; its `id` is the one the node stored.
 */
export async function attachAndSubmit(client: ApiClient, signed: SignedEssence, opts: AttachOptions = {}): Promise<Submitted> {
  const maxAttempts = opts.maxAttempts ?? 20;
  let a = await prepareAttachment(client, signed, opts);
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await client.submitTransaction(a.bytes, { pow: a.remotePow, signal: opts.signal, timeoutMs: a.remotePow ? 60_000 : undefined });
      opts.onEvent?.({ type: "submitted", id: r.id, duplicate: r.duplicate });
      return { ...a, id: r.id, duplicate: r.duplicate };
    } catch (err) {
      if (attempt >= maxAttempts || opts.signal?.aborted) throw err;
      const code = (err as { code?: string }).code ?? "";
      if ((REATTACHABLE_CODES as readonly string[]).includes(code)) {
        opts.onEvent?.({ type: "refresh", reason: code });
        a = await prepareAttachment(client, signed, opts);
        continue;
      }
      if (!isTransient(err)) throw err;
      const delayMs = backoffDelayMs(attempt, SUBMIT_RETRY);
      opts.onEvent?.({ type: "retry", code, delayMs });
      await sleep(delayMs, opts.signal);
      await client.ready(60_000);
    }
  }
}
