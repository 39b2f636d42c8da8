/**
 * A damaged database never kills `tangle node` or `tangle check` by a signal (issue 15, defect 2):
 * a cut file, a zeroed page, zeroed meta pages, random byte flips, a garbage file. Each case damages
 * a copy of one real database (written by an in-process node, closed cleanly) and runs the real
 * command on it in its own process (bin/tangle.js over dist/: `npm run -s build:ts` first), bounded
 * in time. The refusal is exit code 1 with "database damaged" on stderr; never a signal.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { blake2b } from "@noble/hashes/blake2b";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { spawnNode } from "../../../bench/lib/processes";
import { RawClient } from "../api/_process";
import { startTestNode } from "../../support/node";
import { alice, buildTx, dataPayload } from "../_helpers";

const BIN = path.join(__dirname, "..", "..", "..", "bin", "tangle.js");
const PAGE = 4096;
const CASE_MS = 20_000;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-damaged-"));
  dirs.push(d);
  return d;
}

let source: string;
let stored: string[] = [];

beforeAll(async () => {
  source = tmp();
  const n = await startTestNode({ data: source });
  try {
    let prev: Uint8Array | undefined;
    for (let i = 0; i < 60; i++) {
      const stream = new Uint8Array(32).fill(0x31);
      const r = await n.node.submit(buildTx(n.node, alice, dataPayload(stream, i, prev, `{"reading":${i},"pad":"${"x".repeat(200)}"}`)));
      stored.push(r.id);
      prev = fromHex(r.id);
    }
    const t0 = Date.now();
    while (n.node.getMetadata(stored[stored.length - 1])?.confirmedBy == null && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
  } finally {
    await n.close();
  }
}, 30_000);

/** A copy of the database, damaged by `damage(file)`. */
function damagedCopy(damage: (file: string) => void): string {
  const dir = tmp();
  fs.copyFileSync(path.join(source, "data.mdb"), path.join(dir, "data.mdb"));
  damage(path.join(dir, "data.mdb"));
  return dir;
}

function writeAt(file: string, offset: number, bytes: Uint8Array): void {
  const fd = fs.openSync(file, "r+");
  try {
    fs.writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A leaf page in the middle of sub-database `name`'s tree. Its record is found in the main tree (a
 * single leaf page in a database this small): the node whose key is the name (NUL-terminated)
 * holds LMDB's MDB_db, the root page number at byte 40; the root must be a branch page, whose
 * middle node names the child page (48 bits in the node's first three u16). Layout as in
 * node/storage/preflight.ts's header (mdb.c), written out again here.
 */
function middleLeaf(file: string, name: string): number {
  const b = fs.readFileSync(file);
  const root = subDbRoot(b, name);
  const page = b.subarray(root * PAGE, (root + 1) * PAGE);
  expect(page.readUInt16LE(18) & 0x01).toBe(0x01); // a branch page: the tree has several leaves
  const count = page.readUInt16LE(20) >> 1;
  const at = 24 + page.readUInt16LE(24 + 2 * Math.floor(count / 2));
  const child = page.readUInt16LE(at) + page.readUInt16LE(at + 2) * 2 ** 16 + page.readUInt16LE(at + 4) * 2 ** 32;
  expect(b.readBigUInt64LE(child * PAGE)).toBe(BigInt(child));
  return child;
}

function subDbRoot(b: Buffer, name: string): number {
  const metas = [0, 1].map((i) => ({ txnid: b.readBigUInt64LE(i * PAGE + 152), mainRoot: Number(b.readBigUInt64LE(i * PAGE + 96 + 40)) }));
  const main = metas[0].txnid >= metas[1].txnid ? metas[0] : metas[1];
  const page = b.subarray(main.mainRoot * PAGE, (main.mainRoot + 1) * PAGE);
  expect(page.readUInt16LE(18) & 0x02).toBe(0x02); // a leaf page
  const count = page.readUInt16LE(20) >> 1;
  for (let i = 0; i < count; i++) {
    const at = 24 + page.readUInt16LE(24 + 2 * i);
    const keySize = page.readUInt16LE(at + 6);
    if (page.toString("latin1", at + 8, at + 8 + keySize) === `${name}\0`) return Number(page.readBigUInt64LE(at + 8 + keySize + 40));
  }
  throw new Error(`no sub-database ${name}`);
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function tangleCheck(dir: string): Exit {
  const r = spawnSync(process.execPath, [BIN, "check", "--data", dir], { encoding: "utf8", timeout: CASE_MS, killSignal: "SIGKILL" });
  return { code: r.status, signal: r.signal, stderr: r.stderr };
}

/** `tangle node` on `dir`: its exit when it refuses; when it starts, `whileUp` runs against it first. */
async function tangleNode(dir: string, whileUp?: (url: string) => Promise<void>): Promise<Exit & { started: boolean }> {
  const s = spawnNode(["--network", "dev", "--data", dir], { timeoutMs: CASE_MS });
  const signal = new Promise<NodeJS.Signals | null>((r) => s.child.once("exit", (_code, sig) => r(sig)));
  let started = false;
  try {
    const up = await s.listening;
    started = true;
    await whileUp?.(up.url);
    await up.stop("SIGTERM");
  } catch {
    // it refused (or did not start in time: then spawnNode killed it, and the assertions say so)
  }
  const code = await s.exited;
  return { code, signal: await signal, stderr: s.logs.join("\n"), started };
}

async function expectRefused(dir: string): Promise<void> {
  const check = tangleCheck(dir);
  expect({ signal: check.signal, code: check.code }).toEqual({ signal: null, code: 1 });
  expect(check.stderr).toMatch(/database damaged: /);
  expect(check.stderr).toMatch(/restore the directory from a backup or a snapshot, or move it away and start the node on an empty one/);
  const node = await tangleNode(dir);
  expect({ signal: node.signal, code: node.code, started: node.started }).toEqual({ signal: null, code: 1, started: false });
  expect(node.stderr).toMatch(/^tangle: .*database damaged: .*Run `tangle check --data .*`.* restore the directory from a backup or a snapshot/m);
}

test("a database cut to half its size: refused, not a SIGBUS", async () => {
  await expectRefused(damagedCopy((f) => fs.truncateSync(f, Math.floor(fs.statSync(f).size / 2 / PAGE) * PAGE)));
}, 60_000);

test("a zeroed page in the middle of the data (a leaf of the transactions' tree): refused, not a SIGSEGV or an LMDB assertion", async () => {
  await expectRefused(damagedCopy((f) => writeAt(f, middleLeaf(f, "tx") * PAGE, new Uint8Array(PAGE))));
}, 60_000);

test("zeroed meta pages: refused", async () => {
  await expectRefused(damagedCopy((f) => writeAt(f, 0, new Uint8Array(2 * PAGE))));
}, 60_000);

test("a garbage file of the same size: refused", async () => {
  let seed = 0x9e3779b9;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0), seed);
  await expectRefused(
    damagedCopy((f) => {
      const b = new Uint8Array(fs.statSync(f).size);
      for (let i = 0; i < b.length; i++) b[i] = random() >>> 24;
      fs.writeFileSync(f, b);
    }),
  );
}, 60_000);

test("200 random byte flips: no signal; refused, or started and never serves a transaction that fails its id", async () => {
  let seed = 15;
  const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0), seed);
  const dir = damagedCopy((f) => {
    const b = fs.readFileSync(f);
    for (let i = 0; i < 200; i++) b[random() % b.length] ^= 1 << (random() % 8);
    fs.writeFileSync(f, b);
  });
  const check = tangleCheck(dir);
  expect(check.signal).toBeNull();
  expect([0, 1]).toContain(check.code);
  let served = 0;
  const node = await tangleNode(dir, async (url) => {
    const c = await RawClient.connect(url);
    try {
      for (const id of stored) {
        const r = await c.raw("getTransaction", { id });
        if (r.error) continue; // refused (ERR_STORAGE_CORRUPT) or lost: never wrong bytes
        served++;
        expect(toHex(blake2b(new Uint8Array(r.result.bytes), { dkLen: 32 }))).toBe(id);
      }
    } finally {
      c.ws.close();
    }
  });
  expect(node.signal).toBeNull();
  if (node.started) expect(node.code).toBe(0);
  else {
    expect(node.code).toBe(1);
    expect(node.stderr).toMatch(/database damaged: /);
    expect(served).toBe(0);
  }
}, 60_000);

test("a garbage lock file: LMDB rebuilds it; the database opens and checks clean", async () => {
  const dir = damagedCopy(() => undefined);
  fs.writeFileSync(path.join(dir, "data.mdb-lock"), Buffer.alloc(8272, 0xa5));
  const check = tangleCheck(dir);
  expect({ signal: check.signal, code: check.code }).toEqual({ signal: null, code: 0 });
  const node = await tangleNode(dir);
  expect({ signal: node.signal, code: node.code, started: node.started }).toEqual({ signal: null, code: 0, started: true });
}, 60_000);
