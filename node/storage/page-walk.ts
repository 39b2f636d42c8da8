/**
 * The page walk: every page the database's trees reach, read by LMDB itself in a child process,
 * so that a damaged page that would crash LMDB (SIGSEGV, SIGBUS past the end of a cut file, a C
 * assertion) ends the child, never the node or `tangle check` (issue 15, defect 2).
 *
 * The child opens the environment read-only and reads every key and value of every named
 * sub-database (leaf and overflow pages, through the branch pages above them), checks each one's
 * size (ENTRY_SIZES), compares each count with the entry count LMDB keeps for that tree, and reads
 * the schema marker. Its source is the string below, run with `node -e`: it ships inside this
 * compiled module (dist/), needs no file of its own and runs the same from the sources under the
 * tests.
 *
 * Cost, measured on this project's 2-core test machine with the file in the page cache: a
 * database of 100,187 transactions (100 MiB, 600,000 entries in 12 trees) in 0.50 to 0.54 s with
 * the child's start; 300 transactions in 0.11 to 0.13 s, mostly the start. It grows with the file
 * (about 0.5 s per 100 MiB, more from a cold disk), so the node runs it only when it cannot know
 * the file is as it left it (node/main.ts); `tangle check` always runs it.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { DATA_FILE, DatabaseDamagedError, preflightDatabase, takeCleanMark } from "./preflight";
import { holderAlive, LOCK_FILE } from "./dir-lock";
import { DB } from "./schema";
import { MAX_TRANSACTION_BYTES } from "../../client/protocol/limits";

/**
 * Key and value sizes, [least, most] bytes, of each sub-database as schema.ts lays them out. LMDB
 * keeps a node's sizes in its page: a flipped bit there reads past the value, into the next pages
 * and past the end of the file (a SIGBUS in whoever reads it next), and the walk only sees it by
 * its size. Sub-databases not named here are walked without a size check.
 */
export const ENTRY_SIZES: Partial<Record<string, { key: [number, number]; value: [number, number] }>> = {
  [DB.tx]: { key: [8, 8], value: [33, 32 + MAX_TRANSACTION_BYTES] },
  [DB.keptTx]: { key: [8, 8], value: [33, 32 + MAX_TRANSACTION_BYTES] },
  [DB.ids]: { key: [32, 32], value: [8, 8] },
  // received ms, confirmed by, milestone index, then the conflict reason (a short code) when there is one
  [DB.meta]: { key: [8, 8], value: [16, 16 + 256] },
  [DB.approvers]: { key: [16, 16], value: [0, 0] },
  [DB.utxo]: { key: [33, 33], value: [44, 44] },
  [DB.spent]: { key: [33, 33], value: [76, 76] },
  [DB.balances]: { key: [32, 32], value: [8, 8] },
  [DB.received]: { key: [32, 32], value: [0, 0] },
  [DB.milestones]: { key: [4, 4], value: [1, 64 * 2 ** 20] },
  [DB.streams]: { key: [40, 40], value: [32, 32] },
  [DB.issuers]: { key: [72, 72], value: [0, 0] },
};

/** What the child prints on success. */
export interface WalkReport {
  /** Per sub-database: entries read, entries LMDB's record of the tree says, bytes read. */
  dbs: Record<string, { read: number; recorded: number; bytes: number }>;
  /** The `state` db's schema version (schema.ts), absent when there is none. */
  schemaVersion?: unknown;
  walkMs: number;
}

// Plain JavaScript: argv = [lmdb module path, database file, ENTRY_SIZES as JSON]. Prints one JSON line.
const WALK_SOURCE = `
"use strict";
const [lmdbPath, file, sizesJson] = process.argv.slice(1);
const sizes = JSON.parse(sizesJson);
const t0 = performance.now();
let phase = "open";
try {
  const { open } = require(lmdbPath);
  const env = open({ path: file, readOnly: true, maxDbs: 64, compression: false });
  phase = "walk";
  const names = [];
  for (const key of env.getKeys({})) names.push(String(key));
  const out = { dbs: {} };
  for (const name of names) {
    const db = env.openDB({ name, keyEncoding: "binary", encoding: "binary" });
    const size = sizes[name];
    let read = 0, bytes = 0;
    for (const { key, value } of db.getRange({})) {
      if (size) {
        for (const [what, length, [least, most]] of [["key", key.length, size.key], ["value", value.length, size.value]]) {
          if (length < least || length > most) {
            out.bad = { db: name, entry: read, what, length, least, most };
            process.stdout.write(JSON.stringify(out) + "\\n");
            process.exit(0);
          }
        }
      }
      read++;
      bytes += key.length + value.length;
    }
    out.dbs[name] = { read, recorded: db.getStats().entryCount, bytes };
  }
  if (names.includes("state")) out.schemaVersion = env.openDB({ name: "state", encoding: "msgpack" }).get("schemaVersion");
  out.walkMs = performance.now() - t0;
  process.stdout.write(JSON.stringify(out) + "\\n");
} catch (err) {
  process.stdout.write(JSON.stringify({ error: String(err && err.message || err), code: err && err.code, phase }) + "\\n");
  process.exitCode = 3;
}
`;

/** Errors of the machine, not of the file: the walk could not run, which says nothing about damage. */
const NOT_DAMAGE = new Set(["EACCES", "EPERM", "ENOMEM", "EMFILE", "ENFILE", "EAGAIN", "EBUSY", "MODULE_NOT_FOUND"]);

export interface WalkOptions {
  /** Give up (and call the file damaged: a walk that never ends is a loop in its pages) after this long. */
  timeoutMs?: number;
}

/** 30 s, plus 1 s per 10 MiB of file (twenty times the measured rate). */
export function walkTimeoutMs(fileBytes: number): number {
  return 30_000 + Math.ceil(fileBytes / (10 * 2 ** 20)) * 1000;
}

/**
 * Walks the database in `dataDir` in a child process. Resolves with the report when every page
 * reads and every count agrees; rejects with DatabaseDamagedError saying what failed (the child
 * killed by a signal, an LMDB error, a count that differs, no schema marker, no end in time), or
 * with a plain Error when the walk could not run at all (no memory, no permission).
 */
export function walkDatabase(dataDir: string, opts: WalkOptions = {}): Promise<WalkReport> {
  const file = path.join(dataDir, DATA_FILE);
  const timeoutMs = opts.timeoutMs ?? walkTimeoutMs(fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--max-old-space-size=128", "-e", WALK_SOURCE, require.resolve("lmdb"), file, JSON.stringify(ENTRY_SIZES)], {
      stdio: ["ignore", "pipe", "pipe"],
      // A plain Node.js: no preloads or flags from NODE_OPTIONS (a test runner's hooks, an app's --require).
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += String(d)));
    child.stderr.on("data", (d) => (stderr = (stderr + String(d)).slice(-2000)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    const damaged = (what: string) => reject(new DatabaseDamagedError(dataDir, what));
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return damaged(`reading every page did not finish within ${Math.round(timeoutMs / 1000)} s`);
      if (signal) return damaged(`reading its pages crashed the checking process (${signal})`);
      const lastStderr = stderr.trim().split("\n").pop() ?? "";
      let result: (WalkReport & { error?: undefined }) | { error: string; code?: unknown; phase: string } | undefined;
      try {
        result = JSON.parse(stdout.trim().split("\n").pop() ?? "");
      } catch {
        result = undefined;
      }
      if (!result) return damaged(`reading its pages stopped the checking process (exit ${code}${lastStderr ? `: ${lastStderr}` : ""})`);
      if (result.error !== undefined) {
        if (typeof result.code === "string" && NOT_DAMAGE.has(result.code)) return reject(Object.assign(new Error(`the database could not be checked: ${result.error}`), { code: result.code }));
        return damaged(`LMDB failed ${result.phase === "open" ? "to open it" : "reading its pages"}: ${result.error}`);
      }
      const report = result as WalkReport & { bad?: { db: string; entry: number; what: string; length: number; least: number; most: number } };
      if (report.bad) {
        const b = report.bad;
        return damaged(`entry ${b.entry} of the sub-database '${b.db}' has a ${b.what} of ${b.length} bytes, its layout ${b.least === b.most ? `${b.least}` : `${b.least} to ${b.most}`}`);
      }
      for (const [name, d] of Object.entries(report.dbs)) {
        if (d.read !== d.recorded) return damaged(`the sub-database '${name}' holds ${d.read} entries, its tree records ${d.recorded}`);
      }
      const holdsData = Object.values(report.dbs).some((d) => d.read > 0);
      if (holdsData && typeof report.schemaVersion !== "number") return damaged("it holds records but no schema version");
      resolve(report);
    });
  });
}

export interface FileCheck {
  /** False when there is no database yet. */
  exists: boolean;
  /** Whether the page walk ran, and why (or why not). */
  walked: boolean;
  reason: string;
  /** Preflight and walk together. */
  ms: number;
}

/**
 * The checks a data directory's database gets before it is opened: the preflight always (a few
 * KiB read); the page walk when `walk` is "always", or, with "unless-clean", unless the file is
 * exactly as a node left it when it last closed cleanly (preflight.ts, takeCleanMark) and the
 * preflight found nothing odd. Rejects with DatabaseDamagedError when the file is damaged.
 */
export async function checkDatabaseFile(dataDir: string, walk: "always" | "unless-clean"): Promise<FileCheck> {
  const t0 = performance.now();
  // A live node holds the directory: its file is being written, and opening is refused anyway
  // (ERR_DATA_DIR_IN_USE, storage/dir-lock.ts); its clean mark, if any, is not ours to take.
  if (inUse(dataDir)) return { exists: fs.existsSync(path.join(dataDir, DATA_FILE)), walked: false, reason: "in use by a running node", ms: performance.now() - t0 };
  const clean = walk === "unless-clean" ? takeCleanMark(dataDir) : false;
  const pre = preflightDatabase(dataDir);
  if (!pre.exists) return { exists: false, walked: false, reason: "no database yet", ms: performance.now() - t0 };
  const reason =
    pre.odd.length > 0 ? pre.odd.join("; ") : walk === "always" ? "asked for" : clean ? "" : "the database was not closed cleanly, or changed since";
  if (!reason) return { exists: true, walked: false, reason: "closed cleanly and unchanged since", ms: performance.now() - t0 };
  await walkDatabase(dataDir);
  return { exists: true, walked: true, reason, ms: performance.now() - t0 };
}

function inUse(dataDir: string): boolean {
  try {
    const holder = JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE), "utf8")) as { pid: number; started: number };
    return holderAlive(holder);
  } catch {
    return false;
  }
}
