/**
 * One node per data directory.
 *
 * A node keeps its arrival counter and ledger in memory: a second node on the same directory would
 * number its arrivals from where it started and overwrite what the first one stored. So a node
 * holds `node.lock` in its data directory while the database is open. The lock itself (pid and
 * process start time, stale locks taken over) is shared with the gateway's outbox: client/dir-lock.ts.
 */
import { describeHolder, lockDir, LockHolder } from "../../client/dir-lock";
import { Code, CodedError } from "../../client/protocol/codes";

export { holderAlive, processStart } from "../../client/dir-lock";
export type { LockHolder } from "../../client/dir-lock";

export const LOCK_FILE = "node.lock";

export class DirLockedError extends CodedError<typeof Code.ERR_DATA_DIR_IN_USE> {
  constructor(
    readonly dir: string,
    readonly holder: LockHolder,
  ) {
    super(Code.ERR_DATA_DIR_IN_USE, `data directory ${dir} is in use by ${describeHolder(holder, "a node starting now")}; stop that node first, or give this one another --data`);
    this.name = "DirLockedError";
  }
}

/**
 * Takes the lock on `dir` (which must exist). Returns the function that releases it; throws
 * DirLockedError while another live node (or this process) holds it.
 */
export function lockDataDir(dir: string): () => void {
  return lockDir(dir, LOCK_FILE, (holder) => new DirLockedError(dir, holder));
}
