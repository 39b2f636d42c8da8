/**
 * The checks before LMDB maps a database (node/storage/preflight.ts) and when the node walks its
 * pages (node/storage/page-walk.ts, node/main.ts). Real databases written by in-process nodes in
 * temporary folders; damage by plain file writes. The refusals of damaged files by the real
 * commands, in their own processes, are in test/node/faults/damaged-file.test.ts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Code } from "../../../client/protocol/codes";
import { CLEAN_MARK_FILE, DatabaseDamagedError, lmdbDamage, openFailure, parseMeta, preflightDatabase, takeCleanMark } from "../../../node/storage/preflight";
import { checkDatabaseFile, walkDatabase } from "../../../node/storage/page-walk";
import { startTestNode } from "../../support/node";

const PAGE = 4096;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-preflight-"));
  dirs.push(d);
  return d;
}

/** Transactions the last `database()` stored. */
let stored = 0;

/** A database written and closed cleanly by a node; returns its directory. */
async function database(): Promise<string> {
  const dir = tmp();
  const n = await startTestNode({ data: dir });
  const t0 = Date.now();
  while (n.node.ledgerIndex < 2 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
  stored = n.node.storedTransactions;
  await n.close();
  return dir;
}

function copy(dir: string): string {
  const to = tmp();
  fs.copyFileSync(path.join(dir, "data.mdb"), path.join(to, "data.mdb"));
  return to;
}

function damagedBy(dir: string, f: () => void): DatabaseDamagedError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(DatabaseDamagedError);
    expect((err as DatabaseDamagedError).code).toBe(Code.ERR_STORAGE_DAMAGED);
    expect((err as Error).message).toMatch(/^database damaged: /);
    expect((err as Error).message).toContain(`tangle check --data ${dir}`);
    return err as DatabaseDamagedError;
  }
  throw new Error("not refused");
}

let db: string;
let dbStored: number;
beforeAll(async () => {
  db = await database();
  dbStored = stored;
}, 30_000);

test("a sound database passes the preflight: the newer meta's last page is within the file, its roots inside; no database is no damage", () => {
  const r = preflightDatabase(db);
  expect(r.exists).toBe(true);
  expect(r.odd).toEqual([]);
  expect(r.meta!.pageSize).toBe(PAGE);
  expect(BigInt(r.fileBytes)).toBeGreaterThanOrEqual((r.meta!.lastPage + 1n) * BigInt(PAGE));
  expect(r.meta!.mainRoot).toBeLessThanOrEqual(r.meta!.lastPage);
  expect(preflightDatabase(tmp())).toEqual({ exists: false, fileBytes: 0, odd: [] });
});

test("meta pages: page number, meta flag, magic, version and page size are each checked", () => {
  const page0 = Buffer.from(fs.readFileSync(path.join(db, "data.mdb")).subarray(0, PAGE));
  expect(typeof parseMeta(page0, 0)).toBe("object");
  expect(parseMeta(page0, 1)).toBe("meta page 1 does not carry its page number");
  const broken = (at: number, value: number, bytes = 4) => {
    const b = Buffer.from(page0);
    b.writeUIntLE(value, at, bytes);
    return parseMeta(b, 0);
  };
  expect(broken(18, 0x02, 2)).toBe("page 0 is not a meta page");
  expect(broken(24, 0xdeadbeef)).toBe("meta page 0 has no LMDB magic number");
  expect(broken(28, 3)).toBe("meta page 0 has data version 3, not 2");
  expect(broken(48, 3000)).toBe("meta page 0 gives page size 3000");
  expect(parseMeta(page0.subarray(0, 100), 0)).toBe("meta page 0 is cut short");
});

test("refused before mapping: a file cut below its last page's tree roots, an empty file, a main root past the last page", () => {
  const cut = copy(db);
  fs.truncateSync(path.join(cut, "data.mdb"), 3 * PAGE);
  expect(damagedBy(cut, () => preflightDatabase(cut)).message).toMatch(/root, page \d+, is past the end of the file|puts the main tree's root/);
  const empty = copy(db);
  fs.truncateSync(path.join(empty, "data.mdb"), 0);
  damagedBy(empty, () => preflightDatabase(empty));
  const root = copy(db);
  const file = path.join(root, "data.mdb");
  const b = fs.readFileSync(file);
  const newer = b.readBigUInt64LE(152) >= b.readBigUInt64LE(PAGE + 152) ? 0 : 1;
  b.writeBigUInt64LE(1n << 40n, newer * PAGE + 96 + 40); // the main tree's root
  fs.writeFileSync(file, b);
  expect(damagedBy(root, () => preflightDatabase(root)).message).toMatch(/puts the main tree's root at page 1099511627776/);
});

test("the free-page tree, which LMDB reads on every write and the page walk never does, is walked before opening", () => {
  const dir = copy(db);
  const file = path.join(dir, "data.mdb");
  const b = fs.readFileSync(file);
  const newer = b.readBigUInt64LE(152) >= b.readBigUInt64LE(PAGE + 152) ? 0 : 1;
  const root = b.readBigUInt64LE(newer * PAGE + 48 + 40);
  expect(root).not.toBe(0xffffffffffffffffn); // a node that issued milestones has freed pages
  const page = Number(root) * PAGE;
  expect(b.readUInt16LE(page + 18) & 0x02).toBe(0x02); // one leaf in a database this small
  const node = page + 24 + b.readUInt16LE(page + 24);
  const keyBytes = b.readUInt16LE(node + 6);
  b.writeBigUInt64LE(1n << 31n, node + 8 + keyBytes); // the record's list now claims 2^31 pages
  fs.writeFileSync(file, b);
  expect(damagedBy(dir, () => preflightDatabase(dir)).message).toMatch(/^database damaged: the free-page tree: page \d+, node 0 lists 2147483648 pages in \d+ bytes/);
});

test("the page walk reads every entry of every sub-database and agrees with the trees' counts", async () => {
  const r = await walkDatabase(db);
  expect(r.schemaVersion).toBe(3);
  expect(dbStored).toBeGreaterThanOrEqual(2);
  expect(r.dbs.tx.read).toBe(dbStored);
  expect(r.dbs.ids.read).toBe(dbStored);
  for (const d of Object.values(r.dbs)) expect(d.read).toBe(d.recorded);
});

/** The first leaf page of sub-database `name` (mdb.c's layout, as in damaged-file.test.ts). */
function firstLeaf(b: Buffer, name: string): number {
  const newer = b.readBigUInt64LE(152) >= b.readBigUInt64LE(PAGE + 152) ? 0 : 1;
  const main = b.subarray(Number(b.readBigUInt64LE(newer * PAGE + 96 + 40)) * PAGE);
  let page = -1;
  for (let i = 0; i < main.readUInt16LE(20) >> 1; i++) {
    const at = 24 + main.readUInt16LE(24 + 2 * i);
    const keySize = main.readUInt16LE(at + 6);
    if (main.toString("latin1", at + 8, at + 8 + keySize) === `${name}\0`) page = Number(main.readBigUInt64LE(at + 8 + keySize + 40));
  }
  expect(page).toBeGreaterThan(1);
  // Down the leftmost branch: a branch node's child page number is its first 48 bits.
  while (b.readUInt16LE(page * PAGE + 18) & 0x01) {
    const at = page * PAGE + 24 + b.readUInt16LE(page * PAGE + 24);
    page = b.readUInt16LE(at) + b.readUInt16LE(at + 2) * 2 ** 16 + b.readUInt16LE(at + 4) * 2 ** 32;
  }
  return page;
}

test("an entry whose size in its page was changed (a flipped bit) is refused by the walk, by the size its layout allows", async () => {
  const dir = copy(db);
  const file = path.join(dir, "data.mdb");
  const b = fs.readFileSync(file);
  const leaf = firstLeaf(b, "ids");
  const node = leaf * PAGE + 24 + b.readUInt16LE(leaf * PAGE + 24);
  expect(b.readUInt16LE(node)).toBe(8); // an ids value: an arrival number
  b.writeUInt16LE(8 + 4096, node); // the value now runs into the next page
  fs.writeFileSync(file, b);
  await expect(walkDatabase(dir)).rejects.toThrow(/^database damaged: entry 0 of the sub-database 'ids' has a value of 4104 bytes, its layout 8 /);
});

test("LMDB's corruption codes become ERR_STORAGE_DAMAGED; other errors stay as they are", () => {
  const e = lmdbDamage("/d", Object.assign(new Error("MDB_CORRUPTED: Located page was wrong type"), { code: -30796 }));
  expect(e?.code).toBe(Code.ERR_STORAGE_DAMAGED);
  expect(e?.message).toMatch(/^database damaged: LMDB reports MDB_CORRUPTED/);
  expect(lmdbDamage("/d", Object.assign(new Error("no space"), { code: -28 }))).toBeUndefined();
  expect(lmdbDamage("/d", Object.assign(new Error("x"), { code: "ENOENT" }))).toBeUndefined();
  // Opening an existing database: the setup's errors pass; what reading the records back throws is damage.
  const inUse = Object.assign(new Error("in use"), { code: Code.ERR_DATA_DIR_IN_USE });
  expect(openFailure("/d", inUse)).toBe(inUse);
  const schema = Object.assign(new Error("schema 9"), { code: Code.ERR_SCHEMA_VERSION });
  expect(openFailure("/d", schema)).toBe(schema);
  const access = Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
  expect(openFailure("/d", access)).toBe(access);
  const replay = openFailure("/d", Object.assign(new Error("graph_appendMilestone(3)"), { code: "GRAPH_MILESTONE_INDEX" })) as Error;
  expect(replay).toBeInstanceOf(DatabaseDamagedError);
  expect(replay.message).toMatch(/^database damaged: its records could not be read back \(GRAPH_MILESTONE_INDEX: graph_appendMilestone\(3\)\)/);
  expect(openFailure("/d", new Error("Unknown extension type 72"))).toBeInstanceOf(DatabaseDamagedError);
});

test("the clean-shutdown mark: written at close, true only while the file is unchanged, removed when taken", async () => {
  const dir = await database();
  expect(fs.existsSync(path.join(dir, CLEAN_MARK_FILE))).toBe(true);
  expect(takeCleanMark(dir)).toBe(true);
  expect(fs.existsSync(path.join(dir, CLEAN_MARK_FILE))).toBe(false);
  expect(takeCleanMark(dir)).toBe(false); // taken: a node that then dies leaves none
  // A copy is another file (inode, times): not known clean.
  const again = await database();
  const other = tmp();
  fs.copyFileSync(path.join(again, "data.mdb"), path.join(other, "data.mdb"));
  fs.copyFileSync(path.join(again, CLEAN_MARK_FILE), path.join(other, CLEAN_MARK_FILE));
  expect(takeCleanMark(other)).toBe(false);
  // A write in place, even of the same bytes, changes its times.
  const f = path.join(again, "data.mdb");
  const fd = fs.openSync(f, "r+");
  const byte = Buffer.alloc(1);
  fs.readSync(fd, byte, 0, 1, 5 * PAGE);
  fs.writeSync(fd, byte, 0, 1, 5 * PAGE);
  fs.closeSync(fd);
  expect(takeCleanMark(again)).toBe(false);
}, 30_000);

test("a node walks the pages at start unless the file is exactly as a node left it at a clean shutdown", async () => {
  const dir = await database();
  const walked = (logs: Record<string, unknown>[]) => logs.some((l) => l.msg === "database pages checked");
  let n = await startTestNode({ data: dir, coordinator: false });
  expect(walked(n.logs)).toBe(false); // closed cleanly, unchanged
  await n.close();
  fs.rmSync(path.join(dir, CLEAN_MARK_FILE)); // as after kill -9 or a crash
  n = await startTestNode({ data: dir, coordinator: false });
  expect(n.logs.find((l) => l.msg === "database pages checked")).toMatchObject({ reason: "the database was not closed cleanly, or changed since" });
  await n.close();
  expect((await checkDatabaseFile(dir, "always")).walked).toBe(true);
  expect(await checkDatabaseFile(tmp(), "unless-clean")).toMatchObject({ exists: false, walked: false });
}, 30_000);
