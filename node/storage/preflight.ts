/**
 * Checks of a data directory's LMDB file before anything maps it (issue 15, defect 2).
 *
 * LMDB maps its file and follows page numbers without bounds checks of its own: a truncated file
 * is a SIGBUS at the first page past the end, a garbage page a SIGSEGV or a C assertion. None of
 * that can be caught in JavaScript, so a damaged database would kill the node by signal. Here,
 * with plain reads (a short read is an error, never a signal):
 *
 * - both meta pages (pages 0 and 1): page number, meta flag, magic 0xBEEFC0DE, data version 2, a
 *   page size that is a power of two from 512 to 65536, the same in both;
 * - the newer meta (higher txnid, as LMDB picks it): the free-page and main trees' roots are
 *   within its last page, and the root pages start with their own page number and a tree flag;
 * - the file holds at least that meta's last page. A file shorter than that is not refused here
 *   (LMDB notes the last pages may be free and never written), only marked odd: the page walk
 *   (./page-walk.ts), which touches every page the trees reach in a child process, decides.
 *
 * Layout facts from the lmdb package's liblmdb (mdb.c: MDB_page_header, MDB_meta, MDB_db), for
 * 64-bit builds: a 24-byte page header (pgno u64, txnid u64, pad u16, flags u16, lower u16,
 * upper u16), then the meta: magic u32, version u32, address u64, mapsize u64, the free-page
 * db and the main db (48 bytes each: pad/page size u32, flags u16, depth u16, branch, leaf and
 * overflow page counts u64, entries u64, root u64), last page u64, txnid u64. Little-endian.
 *
 * Also here: the clean-shutdown mark (the database file's identity when a node closed it), which
 * decides whether the page walk runs at start (node/main.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Code, CodedError } from "../../client/protocol/codes";

export const DATA_FILE = "data.mdb";
/** Written by a node that closed its database cleanly; removed when a node opens it. */
export const CLEAN_MARK_FILE = "clean-shutdown.json";

const MAGIC = 0xbeefc0de;
const DATA_VERSION = 2;
const P_BRANCH = 0x01;
const P_LEAF = 0x02;
const P_META = 0x08;
const PAGE_HEADER_BYTES = 24;
const META_BYTES = PAGE_HEADER_BYTES + 144;
/** The smallest page LMDB writes: both meta pages are read in blocks of this size. */
const MIN_PAGE = 512;
const MAX_PAGE = 65536;
/** The root of an empty tree. */
const NO_PAGE = 0xffffffffffffffffn;

/** The database in a data directory is damaged: the node refuses it (exit 1 from `tangle`). */
export class DatabaseDamagedError extends CodedError<typeof Code.ERR_STORAGE_DAMAGED> {
  constructor(
    readonly dataDir: string,
    readonly what: string,
  ) {
    super(Code.ERR_STORAGE_DAMAGED, damagedMessage(dataDir, what));
    this.name = "DatabaseDamagedError";
  }
}

/** "database damaged: WHAT …" and what the operator does about it. */
export function damagedMessage(dataDir: string, what: string): string {
  return (
    `database damaged: ${what} (${path.join(dataDir, DATA_FILE)}); the node does not open it. ` +
    `Run \`tangle check --data ${dataDir}\` to see what is damaged, then restore the directory from a backup or a snapshot, ` +
    `or move it away and start the node on an empty one to sync from its peers (docs/operations.md, Faults)`
  );
}

export interface LmdbMeta {
  /** Which meta page (0 or 1). */
  page: number;
  pageSize: number;
  lastPage: bigint;
  txnid: bigint;
  freeRoot: bigint;
  mainRoot: bigint;
  /** Entries of the main tree: the named sub-databases. */
  mainEntries: bigint;
}

/** Parses meta page `page` from its first bytes; a string saying what is wrong, or the meta. */
export function parseMeta(bytes: Uint8Array, page: number): LmdbMeta | string {
  if (bytes.length < META_BYTES) return `meta page ${page} is cut short`;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (v.getBigUint64(0, true) !== BigInt(page)) return `meta page ${page} does not carry its page number`;
  if (!(v.getUint16(18, true) & P_META)) return `page ${page} is not a meta page`;
  if (v.getUint32(24, true) !== MAGIC) return `meta page ${page} has no LMDB magic number`;
  const version = v.getUint32(28, true) & 0xffff;
  if (version !== DATA_VERSION) return `meta page ${page} has data version ${version}, not ${DATA_VERSION}`;
  const db = (i: number) => 48 + i * 48;
  const pageSize = v.getUint32(db(0), true);
  if (pageSize < MIN_PAGE || pageSize > MAX_PAGE || (pageSize & (pageSize - 1)) !== 0) return `meta page ${page} gives page size ${pageSize}`;
  return {
    page,
    pageSize,
    freeRoot: v.getBigUint64(db(0) + 40, true),
    mainRoot: v.getBigUint64(db(1) + 40, true),
    mainEntries: v.getBigUint64(db(1) + 32, true),
    lastPage: v.getBigUint64(144, true),
    txnid: v.getBigUint64(152, true),
  };
}

export interface PreflightResult {
  /** False when the directory holds no database yet (a new node creates it). */
  exists: boolean;
  fileBytes: number;
  /** The meta LMDB will use (absent when there is no database). */
  meta?: LmdbMeta;
  /** Findings that do not condemn the file by themselves but call for the page walk. */
  odd: string[];
}

function readAt(fd: number, length: number, position: number): Buffer {
  const b = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = fs.readSync(fd, b, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return b.subarray(0, got);
}

/**
 * The checks above on `dataDir`'s database, with plain file reads (a few KiB whatever the size:
 * microseconds). Throws DatabaseDamagedError naming the first problem; a missing file is a new
 * database, not damage.
 */
export function preflightDatabase(dataDir: string): PreflightResult {
  const file = path.join(dataDir, DATA_FILE);
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { exists: false, fileBytes: 0, odd: [] };
    throw err;
  }
  try {
    const fileBytes = fs.fstatSync(fd).size;
    const damaged = (what: string): never => {
      throw new DatabaseDamagedError(dataDir, what);
    };
    // LMDB takes an empty file for a new database: one that held data and was cut to nothing
    // would silently start an empty ledger. It writes both meta pages when it creates the file.
    if (fileBytes < 2 * MIN_PAGE) damaged(`the file is ${fileBytes} bytes, less than its two meta pages`);
    const first = parseMeta(readAt(fd, META_BYTES, 0), 0);
    if (typeof first === "string") return damaged(first);
    const pageSize = first.pageSize;
    if (fileBytes < 2 * pageSize) damaged(`the file is ${fileBytes} bytes, less than its two meta pages of ${pageSize}`);
    const second = parseMeta(readAt(fd, META_BYTES, pageSize), 1);
    if (typeof second === "string") return damaged(second);
    if (second.pageSize !== pageSize) damaged(`the meta pages disagree on the page size (${pageSize}, ${second.pageSize})`);
    const meta = first.txnid >= second.txnid ? first : second;
    const filePages = BigInt(Math.floor(fileBytes / pageSize));
    if (meta.lastPage < 1n) damaged(`meta page ${meta.page} gives last page ${meta.lastPage}`);
    const odd: string[] = [];
    if (filePages < meta.lastPage + 1n) odd.push(`the file holds ${filePages} pages, its meta says ${meta.lastPage + 1n}`);
    for (const [tree, root] of [
      ["main", meta.mainRoot],
      ["free-page", meta.freeRoot],
    ] as const) {
      if (root === NO_PAGE) continue;
      if (root < 2n || root > meta.lastPage) damaged(`meta page ${meta.page} puts the ${tree} tree's root at page ${root}, outside pages 2 to ${meta.lastPage}`);
      if (root >= filePages) damaged(`the ${tree} tree's root, page ${root}, is past the end of the file (${filePages} pages)`);
      const header = readAt(fd, PAGE_HEADER_BYTES, Number(root) * pageSize);
      const h = new DataView(header.buffer, header.byteOffset, header.length);
      if (header.length < PAGE_HEADER_BYTES || h.getBigUint64(0, true) !== root) damaged(`the ${tree} tree's root, page ${root}, does not carry its page number`);
      if (!(h.getUint16(18, true) & (P_BRANCH | P_LEAF))) damaged(`the ${tree} tree's root, page ${root}, is neither a branch nor a leaf page`);
    }
    if (meta.mainRoot === NO_PAGE && meta.mainEntries !== 0n) damaged(`the main tree has no root but ${meta.mainEntries} entries`);
    return { exists: true, fileBytes, meta, odd };
  } finally {
    fs.closeSync(fd);
  }
}

/** LMDB's return codes for a file it finds inconsistent (lmdb.h), as lmdb-js puts them in `code`. */
const LMDB_DAMAGE_CODES: Record<number, string> = { [-30797]: "MDB_PAGE_NOTFOUND", [-30796]: "MDB_CORRUPTED", [-30794]: "MDB_VERSION_MISMATCH", [-30793]: "MDB_INVALID" };

/** `err` as a DatabaseDamagedError when LMDB threw it for an inconsistent file; undefined otherwise. */
export function lmdbDamage(dataDir: string, err: unknown): DatabaseDamagedError | undefined {
  if (err instanceof DatabaseDamagedError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "number" || !(code in LMDB_DAMAGE_CODES)) return undefined;
  return new DatabaseDamagedError(dataDir, `LMDB reports ${LMDB_DAMAGE_CODES[code]}: ${(err as Error).message}`);
}

/** Errors at open that say something about the setup, not the file: passed on as they are. */
const SETUP_CODES = new Set<unknown>([Code.ERR_SCHEMA_VERSION, Code.ERR_GENESIS_MISMATCH, Code.ERR_DATA_DIR_IN_USE, Code.ERR_STORAGE_FULL, Code.ERR_STORAGE]);

/**
 * What opening an existing database that passed its checks threw, as the operator should see it:
 * the setup's own errors (another schema or network, the directory in use, no space; errno codes
 * such as EACCES) as they are; LMDB's corruption codes, and anything else met while reading the
 * stored records back (a record that does not decode, a replay that does not add up), as
 * DatabaseDamagedError naming the original error.
 */
export function openFailure(dataDir: string, err: unknown): unknown {
  const lmdb = lmdbDamage(dataDir, err);
  if (lmdb) return lmdb;
  const code = (err as { code?: unknown } | null)?.code;
  if (SETUP_CODES.has(code) || (typeof code === "string" && /^E[A-Z0-9]+$/.test(code))) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new DatabaseDamagedError(dataDir, `its records could not be read back (${typeof code === "string" || typeof code === "number" ? `${code}: ` : ""}${message})`);
}

// ---- the clean-shutdown mark -------------------------------------------------------------------

interface CleanMark {
  bytes: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  txnid: string;
}

function currentMark(dataDir: string): CleanMark | undefined {
  const st = fs.statSync(path.join(dataDir, DATA_FILE), { throwIfNoEntry: false });
  if (!st) return undefined;
  let txnid = "";
  try {
    txnid = String(preflightDatabase(dataDir).meta?.txnid ?? "");
  } catch {
    return undefined;
  }
  return { bytes: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, txnid };
}

/**
 * Records that the database in `dataDir` was closed cleanly, with the file's identity (size,
 * times, inode, the meta's txnid): any later change by anything but a node (a copy, a restore, a
 * tool, damage) changes at least one of them.
 */
export function writeCleanMark(dataDir: string): void {
  const mark = currentMark(dataDir);
  if (mark) fs.writeFileSync(path.join(dataDir, CLEAN_MARK_FILE), `${JSON.stringify(mark)}\n`);
}

/**
 * Whether the database is exactly as a node left it when it closed cleanly; the mark is removed
 * either way (the node about to open it may not close cleanly).
 */
export function takeCleanMark(dataDir: string): boolean {
  const file = path.join(dataDir, CLEAN_MARK_FILE);
  let stored: CleanMark | undefined;
  try {
    stored = JSON.parse(fs.readFileSync(file, "utf8")) as CleanMark;
  } catch {
    stored = undefined;
  }
  fs.rmSync(file, { force: true });
  const now = currentMark(dataDir);
  return Boolean(stored && now && (Object.keys(now) as (keyof CleanMark)[]).every((k) => stored![k] === now[k]));
}
