/**
 * Headroom: disk blocks allocated past the end of the database file, so that LMDB never meets a
 * full disk. LMDB grows its file by writing pages past its end; on a full disk that write fails,
 * and lmdb-js's handling of the failure corrupts the heap (3.5.6, `mdb_page_flush`: after
 * "Write error: No space left on device" it formats a message of up to 133 characters, two of its
 * numbers read from unset slots, into a 100-byte buffer): the process dies with SIGABRT
 * ("corrupted size vs. prev_size") in about one run in four of the chaos suite's disk churn. The
 * free-space reserve (./space.ts) stops the node's own writes in time, but not another program
 * that fills the same disk between two of its checks. So the node keeps `bytes` of the disk
 * allocated to the file past its end (fallocate with FALLOC_FL_KEEP_SIZE: the file's size and
 * content do not change, LMDB sees nothing) and tops it up as LMDB writes into it: the pages LMDB
 * writes next already have their blocks, full disk or not, and the reserve's next check stops the
 * writes long before the headroom is used up.
 *
 * The allocation is done by util-linux's `fallocate` (Linux; Node has no call for it), in the
 * background. Where it is missing or the filesystem cannot preallocate, there is no headroom and
 * the reserve alone protects the node (the failed allocation is kept in `lastError`).
 */
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";

/** Allocates `length` bytes of `file` from `offset` without changing its size; calls back with an error or null. */
export type Allocate = (file: string, offset: number, length: number, done: (err: Error | null) => void) => void;

/** util-linux `fallocate --keep-size`. */
export const fallocateKeepSize: Allocate = (file, offset, length, done) => {
  execFile("fallocate", ["--keep-size", "--offset", String(offset), "--length", String(length), file], { timeout: 10_000 }, (err) => done(err));
};

/** Whether `fallocate --keep-size` works on the filesystem of `dir` (tried on a scratch file). */
export function canPreallocate(dir: string): boolean {
  const probe = `${dir}/.headroom-probe`;
  try {
    fs.writeFileSync(probe, "");
    execFileSync("fallocate", ["--keep-size", "--length", "4096", probe], { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(probe, { force: true });
  }
}

/** The headroom for a reserve: half of it, 4 MiB to 64 MiB. */
export function headroomBytes(reserveBytes: number): number {
  return Math.min(64 * 2 ** 20, Math.max(4 * 2 ** 20, Math.floor(reserveBytes / 2)));
}

export class Headroom {
  private busy = false;
  /** The last allocation that failed (e.g. ENOSPC), for /health and logs; cleared by the next success. */
  lastError?: string;
  /** Allocations made since start. */
  allocations = 0;

  constructor(
    private readonly file: string,
    private readonly bytes: () => number,
    private readonly allocate: Allocate = fallocateKeepSize,
  ) {}

  /** Bytes allocated to the file past its end (0 when the file is missing). */
  allocatedPastEnd(): number {
    try {
      const st = fs.statSync(this.file);
      return Math.max(0, st.blocks * 512 - st.size);
    } catch {
      return 0;
    }
  }

  /** Starts a top-up when less than half of the headroom is left (at most one at a time). */
  top(): void {
    if (this.busy) return;
    const want = this.bytes();
    if (want <= 0 || this.allocatedPastEnd() >= want / 2) return;
    let size: number;
    try {
      size = fs.statSync(this.file).size;
    } catch {
      return;
    }
    this.busy = true;
    this.allocate(this.file, size, want, (err) => {
      this.busy = false;
      if (err) this.lastError = String((err as { stderr?: unknown }).stderr || err.message).trim();
      else {
        this.lastError = undefined;
        this.allocations++;
      }
    });
  }
}
