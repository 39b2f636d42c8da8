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
 * - the free-page tree, page by page (LMDB reads it on every write; the page walk never does);
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

/**
 * "database damaged: WHAT …" and what the operator does about it: for the node, run `tangle check`
 * first; for `tangle check` itself (`checking`), only the way out.
 */
export function damagedMessage(dataDir: string, what: string, checking = false): string {
  const way = "restore the directory from a backup or a snapshot, or move it away and start the node on an empty one to sync from its peers (docs/operations.md, Faults)";
  return checking
    ? `database damaged: ${what} (${path.join(dataDir, DATA_FILE)}); ${way}`
    : `database damaged: ${what} (${path.join(dataDir, DATA_FILE)}); the node does not open it. Run \`tangle check --data ${dataDir}\` to see what is damaged, then ${way}`;
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
 * The checks above on `dataDir`'s database, with plain file reads (a few KiB and the free-page
 * tree's pages: 25 µs for a 300-transaction database, 50 µs for 100,000 transactions, 100 MiB). Throws DatabaseDamagedError naming the first problem; a missing file is a new
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
    if (meta.freeRoot !== NO_PAGE) {
      const problem = walkFreeTree(fd, meta, filePages);
      if (problem) damaged(`the free-page tree: ${problem}`);
    }
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

// ---- the free-page tree ----------------------------------------------------------------------

const P_OVERFLOW = 0x04;
const F_BIGDATA = 0x01;
/** LMDB's cursor stack depth: no tree is deeper. */
const MAX_DEPTH = 32;

/**
 * The free-page tree, walked with plain reads: LMDB reads it on every write to find pages to
 * reuse, which the page walk (read-only) never does, so damage there would first show in the
 * node's writes. Each page: its own number, a branch or leaf flag, its node offsets inside the
 * page; branch nodes' children and overflow pages within the file and of the right kind; each
 * record (a txnid, then a list of page numbers whose first word is its length) no shorter than its
 * length says. Page numbers inside the lists are not checked: lmdb-js keeps ranges there in a
 * form of its own. A few pages in a small database (read in microseconds); a string saying what
 * is wrong, or undefined.
 */
function walkFreeTree(fd: number, meta: LmdbMeta, filePages: bigint): string | undefined {
  const { pageSize } = meta;
  const seen = new Set<number>();
  const inFile = (pgno: bigint, pages = 1n) => pgno >= 2n && pgno + pages - 1n <= meta.lastPage && pgno + pages <= filePages;
  const visit = (pgno: bigint, depth: number): string | undefined => {
    if (depth > MAX_DEPTH) return `deeper than ${MAX_DEPTH} levels at page ${pgno}`;
    if (!inFile(pgno)) return `page ${pgno} is outside the file`;
    if (seen.has(Number(pgno))) return `page ${pgno} is reached twice`;
    seen.add(Number(pgno));
    const page = readAt(fd, pageSize, Number(pgno) * pageSize);
    if (page.length < pageSize || page.readBigUInt64LE(0) !== pgno) return `page ${pgno} does not carry its page number`;
    const flags = page.readUInt16LE(18);
    const lower = page.readUInt16LE(20);
    const upper = page.readUInt16LE(22);
    const branch = (flags & P_BRANCH) !== 0;
    if (!branch && !(flags & P_LEAF)) return `page ${pgno} is neither a branch nor a leaf page`;
    if (lower > upper || PAGE_HEADER_BYTES + upper > pageSize || lower % 2 !== 0) return `page ${pgno} has free-space bounds ${lower}..${upper}`;
    for (let i = 0; i < lower / 2; i++) {
      const at = PAGE_HEADER_BYTES + page.readUInt16LE(PAGE_HEADER_BYTES + 2 * i);
      if (at < PAGE_HEADER_BYTES + upper || at + 8 > pageSize) return `page ${pgno}, node ${i} is outside the page's nodes`;
      const keyBytes = page.readUInt16LE(at + 6);
      if (at + 8 + keyBytes > pageSize) return `page ${pgno}, node ${i} has a key past the page`;
      if (branch) {
        const child = BigInt(page.readUInt16LE(at)) | (BigInt(page.readUInt16LE(at + 2)) << 16n) | (BigInt(page.readUInt16LE(at + 4)) << 32n);
        const problem = visit(child, depth + 1);
        if (problem) return problem;
        continue;
      }
      const dataBytes = page.readUInt16LE(at) | (page.readUInt16LE(at + 2) << 16);
      let data: Buffer;
      if (page.readUInt16LE(at + 4) & F_BIGDATA) {
        if (at + 8 + keyBytes + 8 > pageSize) return `page ${pgno}, node ${i} has its overflow page number past the page`;
        const first = page.readBigUInt64LE(at + 8 + keyBytes);
        const pages = BigInt(Math.ceil((PAGE_HEADER_BYTES + dataBytes) / pageSize));
        if (!inFile(first, pages)) return `page ${pgno}, node ${i} names overflow pages ${first}.. (${pages}) outside the file`;
        const head = readAt(fd, PAGE_HEADER_BYTES, Number(first) * pageSize);
        if (head.readBigUInt64LE(0) !== first || !(head.readUInt16LE(18) & P_OVERFLOW)) return `overflow page ${first} is not one`;
        data = readAt(fd, Math.min(dataBytes, 8), Number(first) * pageSize + PAGE_HEADER_BYTES);
      } else {
        if (at + 8 + keyBytes + dataBytes > pageSize) return `page ${pgno}, node ${i} has a record of ${dataBytes} bytes past the page`;
        data = page.subarray(at + 8 + keyBytes, at + 8 + keyBytes + Math.min(dataBytes, 8));
      }
      if (dataBytes < 8 || data.length < 8) return `page ${pgno}, node ${i} has a record of ${dataBytes} bytes`;
      const listed = data.readBigUInt64LE(0);
      if ((listed + 1n) * 8n > BigInt(dataBytes)) return `page ${pgno}, node ${i} lists ${listed} pages in ${dataBytes} bytes`;
    }
    return undefined;
  };
  return visit(meta.freeRoot, 1);
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
