/**
 * Keeps the database's mapped pages from piling up in the node's resident set.
 *
 * LMDB reads through a shared, read-only mapping of `data.mdb`. Each page it touches stays mapped
 * (the kernel also maps cached neighbours with every faulted page: 84–94 KB a fault measured on
 * the development machine), and appends touch every
 * page of the file once, so without memory pressure the resident set grows to the whole database:
 * about 1 GB at a million transactions. Those pages are clean page cache, but they count in RSS,
 * in the OOM killer's score and in what operators see.
 *
 * A small native helper (node/native/pages.c, built at install on Linux) drops our page-table
 * entries for the mapping with madvise(MADV_DONTNEED). The data stays in the page cache; the next
 * read maps it again with a minor fault. A thread of the helper decides when: it reads the
 * process's file-backed resident size (/proc/self/statm) every 2 ms and releases the mapping once
 * it has grown by more than the budget since the last release. It is a thread, not a timer on the
 * event loop: right after a release every B-tree descent faults its pages back in, several GB/s of
 * new mappings for a few milliseconds, while a timer waits for the event loop (and for long
 * synchronous reads such as the window rebuild at open). The node also runs the same check on its
 * submitting thread (`check`). A release of a few hundred MB of mapped pages takes milliseconds.
 *
 * Where the helper is missing (not Linux, no compiler at install) nothing is released and the node
 * works as before.
 */
import * as fs from "node:fs";
import * as path from "node:path";

interface PagesAddon {
  /** Releases one range; 0 or an errno. */
  release(start: number, length: number): number;
  /** Starts a watcher thread on `file` (a real path); a handle > 0, or -errno. */
  watch(file: string, budgetBytes: number, periodMs: number): number;
  /** Runs a watcher's check on this thread: 1 released, 0 not, -1 unknown handle. */
  check(handle: number): number;
  /** Releases so far by a watcher, -1 for an unknown handle. */
  releases(handle: number): number;
  /** Stops a watcher; its release count, -1 for an unknown handle. */
  unwatch(handle: number): number;
}

let addon: PagesAddon | null | undefined;

/** The native helper, or null where it was not built. */
export function pagesAddon(): PagesAddon | null {
  if (addon === undefined) {
    addon = null;
    if (process.platform === "linux") {
      // dist/node/storage -> project root, or node/storage when run from source.
      for (const up of ["../../..", "../.."]) {
        const file = path.resolve(__dirname, up, "node/native/build/Release/pages.node");
        if (!fs.existsSync(file)) continue;
        try {
          addon = require(file) as PagesAddon;
        } catch {
          addon = null;
        }
        break;
      }
    }
  }
  return addon;
}

export interface MappedRange {
  start: number;
  end: number;
}

/** This process's mappings of `file` (from /proc/self/maps), matched by its real path. */
export function mappingsOf(file: string): MappedRange[] {
  let maps: string;
  let real: string;
  try {
    maps = fs.readFileSync("/proc/self/maps", "utf8");
    real = fs.realpathSync(file);
  } catch {
    return [];
  }
  const out: MappedRange[] = [];
  for (const line of maps.split("\n")) {
    // "start-end perms offset dev inode   pathname"
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s+(.*)$/.exec(line);
    if (m && m[3] === real) out.push({ start: parseInt(m[1], 16), end: parseInt(m[2], 16) });
  }
  return out;
}

/** File-backed (plus shared-memory) resident bytes of this process, from /proc/self/statm. */
export function residentFileBytes(): number | undefined {
  try {
    const fields = fs.readFileSync("/proc/self/statm", "utf8").trim().split(/\s+/);
    return Number(fields[2]) * PAGE_SIZE;
  } catch {
    return undefined;
  }
}

// Linux page size on every platform this node targets with the helper (x86-64, arm64 with 4 KiB
// pages); statm counts in pages, and a wrong guess only shifts when releases happen.
const PAGE_SIZE = 4096;

/** Releases every mapping of `file`; returns the bytes of address space released, or 0. */
export function releaseMapping(file: string): number {
  const pages = pagesAddon();
  if (!pages) return 0;
  let bytes = 0;
  for (const r of mappingsOf(file)) if (pages.release(r.start, r.end - r.start) === 0) bytes += r.end - r.start;
  return bytes;
}

/**
 * A watcher thread that releases the mappings of `file` whenever the file-backed resident size has
 * grown by more than `budgetBytes` since the last release, checked every `periodMs`. Undefined
 * where the helper is missing. Stop it before the file is unmapped.
 */
export class MappedPagesWatcher {
  private constructor(
    private readonly addon: PagesAddon,
    private handle: number,
  ) {}

  static start(file: string, budgetBytes: number, periodMs = WATCH_PERIOD_MS): MappedPagesWatcher | undefined {
    const addon = pagesAddon();
    if (!addon) return undefined;
    let real: string;
    try {
      real = fs.realpathSync(file);
    } catch {
      return undefined;
    }
    const handle = addon.watch(real, budgetBytes, periodMs);
    return handle > 0 ? new MappedPagesWatcher(addon, handle) : undefined;
  }

  /** Releases so far. */
  get releases(): number {
    return this.handle ? Math.max(0, this.addon.releases(this.handle)) : this.stoppedReleases;
  }

  private stoppedReleases = 0;

  /** Checks now, on this thread; true if it released. */
  check(): boolean {
    return this.handle ? this.addon.check(this.handle) === 1 : false;
  }

  stop(): void {
    if (!this.handle) return;
    this.stoppedReleases = Math.max(0, this.addon.unwatch(this.handle));
    this.handle = 0;
  }
}

/**
 * How often the watcher reads the resident size (a reading costs a few microseconds). Shortly
 * after each release the node faults its working set back in, up to 90 KB of mapping per fault
 * (fault-around), tens of MiB within a few milliseconds; a short period catches the growth early.
 */
export const WATCH_PERIOD_MS = 2;
