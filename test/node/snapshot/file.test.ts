/**
 * node/snapshot/format.ts and file.ts without a node: the header round-trips field for field; a
 * file larger than the reader's buffer (so read in several refills, one chunk at a time) reads back
 * exactly the records written, in both sections; the writer refuses keys out of order and counts
 * other than the header's, and leaves no file behind when aborted; the reader refuses records of an
 * unknown kind or length.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { blake2b256 } from "../../../core-wasm/src/blake2b";
import { Code } from "../../../client/protocol/codes";
import { compareKeys, decodeHeader, encodeHeader, SnapshotHeader, SnapshotReader, SnapshotWriter, MAX_SNAPSHOT_CHUNK_BYTES } from "../../../node/snapshot";
import { cleanupDirs, tmpDir } from "../_helpers";

afterAll(cleanupDirs);
const dir = tmpDir();

function header(over: Partial<SnapshotHeader> = {}): SnapshotHeader {
  return { kind: "full", networkId: 7, genesisId: randomBytes(32), index: 9, ledgerRoot: randomBytes(32), milestone: randomBytes(300), changes: [randomBytes(280), randomBytes(290)], entryPoints: [randomBytes(32), randomBytes(32), randomBytes(32)].sort(compareKeys), deletedCount: 0, entryCount: 0, ...over };
}

function outputEntry(): { key: Uint8Array; value: Uint8Array } {
  const value = randomBytes(40);
  value[32] |= 1; // amount >= 1
  return { key: Uint8Array.from([1, ...randomBytes(33)]), value };
}

test("a header round-trips, a delta's base included", () => {
  for (const h of [header(), header({ kind: "delta", base: { index: 4, ledgerRoot: randomBytes(32) }, deletedCount: 3, entryCount: 2 ** 40 })]) {
    const bytes = encodeHeader(h);
    let at = 0;
    const back = decodeHeader((n) => bytes.subarray(at, (at += n)));
    expect(at).toBe(bytes.length);
    expect(back).toEqual(Object.fromEntries(Object.entries(h).map(([k, v]) => [k, v instanceof Buffer ? Uint8Array.from(v) : v])));
  }
});

test("a file larger than the reader's buffer reads back every record written, in order, both sections, and its header stays as read", () => {
  // 30,000 entries of 77 bytes: 2.3 MB, more than the reader's 2 MiB buffer.
  const deleted = Array.from({ length: 2000 }, () => Uint8Array.from([1, ...randomBytes(33)])).sort(compareKeys);
  const entries = Array.from({ length: 30_000 }, outputEntry).sort((a, b) => compareKeys(a.key, b.key));
  const file = path.join(dir, "big.snap");
  const h = header({ kind: "delta", base: { index: 2, ledgerRoot: Uint8Array.from(randomBytes(32)) }, deletedCount: deleted.length, entryCount: entries.length });
  const w = SnapshotWriter.create(file, h);
  for (const k of deleted) w.addDeleted(k);
  for (const e of entries) w.addEntry(e.key, e.value);
  const { bytes, checksum } = w.finish();
  expect(bytes).toBe(fs.statSync(file).size);
  expect(bytes).toBeGreaterThan(2 * MAX_SNAPSHOT_CHUNK_BYTES);
  const all = fs.readFileSync(file);
  expect(Buffer.from(checksum).equals(Buffer.from(blake2b256(all.subarray(0, all.length - 32))))).toBe(true);
  const r = SnapshotReader.open(file);
  // Records are views into the reader's buffer, valid until it reads the next chunk: copied as they come.
  const keys: string[] = [];
  for (const k of r.deletedKeys()) keys.push(Buffer.from(k).toString("hex"));
  const read: string[] = [];
  for (const e of r.entries()) read.push(Buffer.from(e.key).toString("hex") + Buffer.from(e.value).toString("hex"));
  expect(Buffer.from(r.finish()).equals(Buffer.from(checksum))).toBe(true);
  // The header read at the start is intact after the buffer was refilled many times over.
  const hex = (x: Uint8Array) => Buffer.from(x).toString("hex");
  const fields = (x: SnapshotHeader) => ({ ...x, genesisId: hex(x.genesisId), ledgerRoot: hex(x.ledgerRoot), milestone: hex(x.milestone), changes: x.changes.map(hex), entryPoints: x.entryPoints.map(hex), base: { index: x.base!.index, ledgerRoot: hex(x.base!.ledgerRoot) } });
  expect(fields(r.header)).toEqual(fields(h));
  // Compared as one string each: a failing toEqual over 30,000 rows would print for a minute.
  expect(keys.join()).toBe(deleted.map((k) => Buffer.from(k).toString("hex")).join());
  expect(read.join()).toBe(entries.map((e) => Buffer.from(e.key).toString("hex") + Buffer.from(e.value).toString("hex")).join());
  expect(fs.existsSync(`${file}.partial`)).toBe(false);
});

test("the writer refuses keys out of order and counts other than declared; aborted, it leaves nothing", () => {
  const file = path.join(dir, "bad.snap");
  const [a, b] = [outputEntry(), outputEntry()].sort((x, y) => compareKeys(x.key, y.key));
  const w = SnapshotWriter.create(file, header({ entryCount: 2 }));
  w.addEntry(b.key, b.value);
  expect(() => w.addEntry(a.key, a.value)).toThrow(/ascending/);
  expect(() => w.addEntry(b.key, b.value)).toThrow(/ascending/);
  expect(() => w.finish()).toThrow(/declared but not written/);
  w.abort();
  expect(fs.existsSync(file) || fs.existsSync(`${file}.partial`)).toBe(false);
});

test("records of an unknown kind, of another length, or of amount 0 are refused as malformed", () => {
  const cases: [string, { key: Uint8Array; value: Uint8Array }][] = [
    ["kind", { key: Uint8Array.from([2, ...randomBytes(33)]), value: outputEntry().value }],
    ["key length", { key: Uint8Array.from([1, ...randomBytes(32)]), value: outputEntry().value }],
    ["value length", { key: outputEntry().key, value: randomBytes(41) }],
    ["amount", { key: outputEntry().key, value: Uint8Array.from([...randomBytes(32), 0, 0, 0, 0, 0, 0, 0, 0]) }],
  ];
  for (const [name, e] of cases) {
    const file = path.join(dir, `${name}.snap`);
    const w = SnapshotWriter.create(file, header({ entryCount: 1 }));
    w.addEntry(e.key, e.value);
    w.finish();
    const r = SnapshotReader.open(file);
    let code: unknown;
    try {
      for (const _ of r.entries());
    } catch (err) {
      code = (err as { code?: unknown }).code;
    }
    r.close();
    expect({ name, code }).toEqual({ name, code: Code.ERR_SNAPSHOT_MALFORMED });
  }
});
