/**
 * One process per directory (Node only), for the node's data directory and the gateway's outbox.
 *
 * LMDB lets several processes open one database, but both the node and the gateway keep counters
 * in memory (arrival numbers; the outbox's reading keys), so a second process on the same directory
 * would overwrite what the first one stored. The holder creates a lock file exclusively, naming its
 * pid and the start time the kernel gives that process. A lock whose holder is gone (killed,
 * crashed, or a pid now used by another program, told apart by its start time) is stale and taken
 * over; a live holder is refused.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface LockHolder {
  /** 0: a process is writing the lock file right now. */
  pid: number;
  /** Process start time as the kernel counts it (Linux: clock ticks since boot), or 0. */
  started: number;
}

/** The start time of process `pid`, 0 where it cannot be told, undefined if it does not exist. */
export function processStart(pid: number): number | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return undefined; // ESRCH: no such process
  }
  try {
    // Field 22 of /proc/<pid>/stat, counted after the command name (which may hold spaces).
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]) || 0;
  } catch {
    return 0;
  }
}

/** Whether the holder a lock file names is still running. */
export function holderAlive(h: LockHolder): boolean {
  const started = processStart(h.pid);
  if (started === undefined) return false;
  return !(h.started && started && h.started !== started); // a reused pid is another process
}

const held = new Set<string>(); // lock files this process holds

/**
 * Takes lock file `name` in `dir` (which must exist). Returns the function that releases it;
 * throws `refused(holder)` while another live process (or this one) holds it.
 */
export function lockDir(dir: string, name: string, refused: (holder: LockHolder) => Error): () => void {
  const file = path.join(fs.realpathSync(dir), name);
  const me: LockHolder = { pid: process.pid, started: processStart(process.pid) ?? 0 };
  if (held.has(file)) throw refused(me);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = fs.openSync(file, "wx", 0o644);
      try {
        fs.writeSync(fd, JSON.stringify(me) + "\n");
      } finally {
        fs.closeSync(fd);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw err;
    }
    const holder = readHolder(file);
    if (holder && holder.pid !== process.pid && holderAlive(holder)) throw refused(holder);
    // A lock without a holder is being written by a process starting right now, or was left by a
    // crash between create and write: the first only for a moment.
    if (!holder && Date.now() - (fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0) < 5000) throw refused({ pid: 0, started: 0 });
    // Stale: its holder is gone. Take it over (the exclusive create decides a race).
    fs.rmSync(file, { force: true });
  }
  held.add(file);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    held.delete(file);
    const holder = readHolder(file);
    if (holder && holder.pid === me.pid && holder.started === me.started) fs.rmSync(file, { force: true });
  };
}

/** Who holds a lock, for messages: "process 123", "process 123 (this one)", or `starting`. */
export function describeHolder(holder: LockHolder, starting: string): string {
  return holder.pid === 0 ? starting : `process ${holder.pid}${holder.pid === process.pid ? " (this one)" : ""}`;
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const h = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<LockHolder>;
    return typeof h.pid === "number" && typeof h.started === "number" ? { pid: h.pid, started: h.started } : undefined;
  } catch {
    return undefined;
  }
}
