/**
 * The free-space reserve of the data directory's filesystem (issue 15, defect 3). LMDB that meets
 * ENOSPC mid-commit fails the commit ("Commit failed"), and a node that keeps writing into a full
 * disk gains nothing and risks the rest of the process; so the node stops taking writes while the
 * filesystem's free space (statfs: blocks available to this user) is below a reserve, and takes
 * them again once it is back above the reserve plus a margin (hysteresis, so a disk hovering at
 * the edge does not flap between the two states on every check).
 *
 * The watcher reads statfs every `intervalMs` (1 s) and whenever the node has written more than
 * an eighth of the reserve since the last reading (`wrote`), so a burst cannot write through the
 * whole reserve between two timer checks. A commit that fails anyway (`writeFailed`) puts it in
 * the same state for `retryMs`, after which the next reading decides.
 *
 * Pure logic over an injected statfs and clock: the tests drive it without a filesystem.
 */
import * as fs from "node:fs";

const MiB = 2 ** 20;

/** The default reserve: 2 % of the filesystem, at least 64 MiB, at most 1 GiB (docs/operations.md, A full disk). */
export function defaultReserveBytes(totalBytes: number): number {
  return Math.min(1024 * MiB, Math.max(64 * MiB, Math.floor(totalBytes * 0.02)));
}

/** Writes resume once free space is this far above the reserve: an eighth of it, at least 1 MiB. */
export function resumeMarginBytes(reserveBytes: number): number {
  return Math.max(MiB, Math.floor(reserveBytes / 8));
}

/** What the watcher needs of statfs (fs.statfsSync's fields, in blocks of `bsize` bytes). */
export interface StatFsLike {
  bsize: number;
  blocks: number;
  bavail: number;
}

export interface SpaceWatcherOptions {
  /** A path on the filesystem to watch (the data directory). */
  dir: string;
  /** The reserve in bytes; undefined: `defaultReserveBytes` of the filesystem's size. 0: no reserve. */
  reserveBytes?: number;
  /** Default fs.statfsSync. */
  statfs?: (dir: string) => StatFsLike;
  /** Default Date.now. */
  now?: () => number;
  /** How often the timer reads statfs (default 1000; 0: no timer, callers call `check`). */
  intervalMs?: number;
  /** How long a failed commit keeps writes refused before free space decides again (default 5000). */
  retryMs?: number;
  /** Called before each reading of statfs (the node tops up the database file's headroom: ./headroom.ts). */
  beforeCheck?: () => void;
}

/** Why writes are refused: free space below the reserve, or a commit that failed. */
export interface SpaceState {
  full: boolean;
  freeBytes: number;
  reserveBytes: number;
  /**
   * Whether it is for want of space (free space below the reserve, or a write that met a full disk
   * or map): ERR_STORAGE_FULL; otherwise a write failed for another reason (ERR_STORAGE).
   */
  noSpace: boolean;
  /** For people: "storage full: 3 MiB free, reserve 8 MiB", or the failed write; undefined when not full. */
  reason?: string;
}

const mib = (bytes: number) => Math.floor(bytes / MiB);

export class SpaceWatcher {
  private readonly statfs: (dir: string) => StatFsLike;
  private readonly now: () => number;
  private readonly retryMs: number;
  private timer?: NodeJS.Timeout;
  private _reserveBytes: number;
  private readonly fixedReserve: boolean;
  private _freeBytes = Number.POSITIVE_INFINITY;
  private lowSpace = false;
  private failedUntil = 0;
  private failure?: string;
  private failureNoSpace = false;
  private sinceCheckBytes = 0;
  private readonly listeners: ((s: SpaceState) => void)[] = [];
  private wasFull = false;
  /** Times writes were refused for want of space, since start. */
  refused = 0;

  constructor(private readonly o: SpaceWatcherOptions) {
    this.statfs = o.statfs ?? ((dir) => fs.statfsSync(dir));
    this.now = o.now ?? Date.now;
    this.retryMs = o.retryMs ?? 5000;
    this.fixedReserve = o.reserveBytes !== undefined;
    this._reserveBytes = o.reserveBytes ?? 0;
    this.check();
    const every = o.intervalMs ?? 1000;
    if (every > 0) {
      this.timer = setInterval(() => this.check(), every);
      this.timer.unref();
    }
  }

  /** Reads statfs now and updates the state (listeners hear of a change). */
  check(): SpaceState {
    this.sinceCheckBytes = 0;
    this.o.beforeCheck?.();
    let s: StatFsLike | undefined;
    try {
      s = this.statfs(this.o.dir);
    } catch {
      s = undefined; // unknown free space: decided by failed writes alone
    }
    if (s) {
      this._freeBytes = s.bavail * s.bsize;
      if (!this.fixedReserve) this._reserveBytes = defaultReserveBytes(s.blocks * s.bsize);
      const reserve = this._reserveBytes;
      if (reserve === 0) this.lowSpace = false;
      else if (this.lowSpace) this.lowSpace = this._freeBytes < reserve + resumeMarginBytes(reserve);
      else this.lowSpace = this._freeBytes < reserve;
    }
    if (this.failure && this.now() >= this.failedUntil) this.failure = undefined;
    return this.emitChange();
  }

  /**
   * Records `bytes` about to be written; reads statfs again once more than an eighth of the reserve
   * (at least 1 MiB) was written since the last reading. Returns whether writes are refused.
   */
  wrote(bytes: number): boolean {
    this.sinceCheckBytes += bytes;
    if (this.sinceCheckBytes > resumeMarginBytes(this._reserveBytes)) this.check();
    return this.full;
  }

  /** A commit failed, for want of space (`noSpace`) or another reason: writes are refused for `retryMs`. */
  writeFailed(message: string, noSpace: boolean): void {
    this.failure = message;
    this.failureNoSpace = noSpace;
    this.failedUntil = this.now() + this.retryMs;
    this.emitChange();
  }

  get full(): boolean {
    return this.lowSpace || this.failure !== undefined;
  }

  get freeBytes(): number {
    return this._freeBytes;
  }

  get reserveBytes(): number {
    return this._reserveBytes;
  }

  get state(): SpaceState {
    const base = { full: this.full, freeBytes: this._freeBytes, reserveBytes: this._reserveBytes };
    if (this.lowSpace) return { ...base, noSpace: true, reason: `storage full: ${mib(this._freeBytes)} MiB free, reserve ${mib(this._reserveBytes)} MiB` };
    if (this.failure) {
      const retry = `writes refused, retried within ${Math.ceil(this.retryMs / 1000)} s`;
      return this.failureNoSpace
        ? { ...base, noSpace: true, reason: `storage full: a write failed (${this.failure}); ${retry}` }
        : { ...base, noSpace: false, reason: `storage write failed (${this.failure}); ${retry}` };
    }
    return { ...base, noSpace: false };
  }

  /** Calls `listener` on each change between full and not full. */
  onChange(listener: (s: SpaceState) => void): void {
    this.listeners.push(listener);
  }

  private emitChange(): SpaceState {
    const s = this.state;
    if (s.full !== this.wasFull) {
      this.wasFull = s.full;
      for (const l of this.listeners) l(s);
    }
    return s;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
