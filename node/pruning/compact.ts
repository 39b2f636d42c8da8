/**
 * `tangle node compact --data DIR`: rewrites a stopped node's database without its free pages.
 * LMDB never shrinks its file (pages freed by pruning are reused, not returned), so after a large
 * pruning the file is as large as the history once was. Offline only: the directory lock of a
 * running node refuses it (ERR_DATA_DIR_IN_USE), and the lock is held from the copy to the rename.
 *
 * Steps: LMDB's compacting copy (mdb_env_copy2 with MDB_CP_COMPACT, lmdb-js `backup(path, true)`)
 * into `data.mdb.compact` in the same directory (same filesystem, so the rename is atomic), fsync
 * of the copy, rename over `data.mdb`, fsync of the directory, and a fresh clean-shutdown mark (the
 * next start need not walk the pages of a file LMDB itself just wrote). A kill at any point leaves
 * either the old file or the new one as `data.mdb`, and at worst a stray copy that the next
 * compaction removes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { open } from "lmdb";
import { lockDataDir } from "../storage/dir-lock";
import { writeCleanMark } from "../storage/preflight";

export const COMPACT_TEMP_FILE = "data.mdb.compact";

export interface CompactReport {
  bytesBefore: number;
  bytesAfter: number;
  ms: number;
}

export async function compactDatabase(dataDir: string): Promise<CompactReport> {
  const file = path.join(dataDir, "data.mdb");
  if (!fs.existsSync(file)) throw new Error(`no database in ${dataDir} (data.mdb missing)`);
  const t0 = performance.now();
  const unlock = lockDataDir(dataDir); // throws DirLockedError while a node runs there
  try {
    const temp = path.join(dataDir, COMPACT_TEMP_FILE);
    fs.rmSync(temp, { force: true }); // a copy an interrupted compaction left
    const bytesBefore = fs.statSync(file).size;
    const env = open({ path: file, maxDbs: 16, compression: false });
    try {
      await env.backup(temp, true);
    } finally {
      await env.close();
    }
    const fd = fs.openSync(temp, "r+");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, file);
    const dir = fs.openSync(dataDir, "r");
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
    writeCleanMark(dataDir);
    return { bytesBefore, bytesAfter: fs.statSync(file).size, ms: performance.now() - t0 };
  } finally {
    unlock();
  }
}
