/**
 * The node's options and what its submit and queries return (the contract of node/tangle-node.ts
 * with the API server, peering, the composition root and tests).
 */
import type { Transaction } from "../client/protocol/codec";
import type { Genesis } from "./ledger/genesis";

export interface TangleNodeOptions {
  dataDir: string;
  genesis: Genesis;
  /** Transactions kept in the WASM window (default 65536). */
  window?: number;
  /** Attachment timestamps accepted this far in the past / future (defaults 10 min / 30 s). */
  maxPastMs?: number;
  maxFutureMs?: number;
  /** How long a transaction waits for unknown parents (default 5 s), and how many may wait. */
  solidifyTimeoutMs?: number;
  maxWaiting?: number;
  /** Clock (ms); tests inject one. */
  now?: () => number;
  /** Worker threads verifying signatures (default 0: on the main thread). */
  verifyThreads?: number;
  /**
   * Release the database's mapped pages once the file-backed resident set has grown by this many
   * bytes (a watcher thread checks every 2 ms, from opening to closing; Linux with the native
   * helper). Default: never.
   */
  mappedBudgetBytes?: number;
  /**
   * Free space kept on the data directory's filesystem: below it the node takes no writes
   * (ERR_STORAGE_FULL) until space returns (storage/space.ts). Default: 2 % of the filesystem, at
   * least 64 MiB, at most 1 GiB; 0: no reserve.
   */
  storageReserveBytes?: number;
  /** The filesystem's figures (default fs.statfsSync; tests inject a small disk). */
  statfs?: (dir: string) => { bsize: number; blocks: number; bavail: number };
}

export interface SubmitOptions {
  /** Extra PoW bits asked of the issuer (adaptive difficulty; API submissions only). */
  extraDifficulty?: (issuer: Uint8Array) => number;
  /** Overrides the timestamp window's past bound (peers syncing history pass Infinity). */
  maxPastMs?: number;
  /** Who sent it (a peer's key), reported with the `transaction` event so gossip skips it. */
  source?: string;
  /** How long to wait for unknown parents (default: the node's solidifyTimeoutMs). */
  solidifyTimeoutMs?: number;
  /** BLAKE2b-256 of `bytes`, when the caller hashed them already (peering's duplicate filter). */
  id?: Uint8Array;
  /** Called with the decoded transaction once it passed validation (so callers need not decode it again). */
  onValid?: (tx: Transaction) => void;
  /**
   * Verify the signature on this thread instead of in the verify pool, whose queue may hold a
   * flood's backlog: for a client's lone submission (api/methods.ts), about 60 µs of this thread.
   */
  verifyHere?: boolean;
}

export interface SubmitResult {
  id: string;
  /** The node already had it (acknowledged again, nothing changed). */
  duplicate: boolean;
}

export interface TransactionMetadata {
  id: string;
  solid: boolean;
  /** Milestone index that confirmed it, or null. */
  confirmedBy: number | null;
  /** White-flag conflict reason, or null. */
  conflict: string | null;
  milestoneIndex: number | null;
  receivedMs: number;
}
