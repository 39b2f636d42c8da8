/**
 * The snapshot files of the independent Python writer (test/vectors/snapshot.json, written by
 * test/vectors/tools/gen_snapshot_vectors.py from docs/storage.md and docs/ledger.md alone, over the
 * white-flag vectors' signed milestones): our reader and verifier accept the full snapshots at 1 and
 * 3 and the delta from 1 to 3 on top of the full one at 1, with the writer's milestone ids, ledger
 * roots, state hashes and counts; they refuse the writer's damaged files with the codes it names;
 * our header encoding of what we read is the writer's header byte for byte.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { encodeHeader, SnapshotReader, verifySnapshot } from "../../../node/snapshot";
import type { Genesis } from "../../../node/ledger/genesis";
import { cleanupDirs, tmpDir } from "../_helpers";

interface VectorFile {
  kind: "full" | "delta";
  index: number;
  milestoneIdHex: string;
  ledgerRootHex: string;
  stateHashHex: string;
  entries: number;
  entryRecords: number;
  deletedRecords: number;
  base?: { index: number; ledgerRootHex: string };
  hex: string;
}
const vectors = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "vectors", "snapshot.json"), "utf8")) as {
  genesis: Genesis;
  files: Record<string, VectorFile>;
  damaged: Record<string, { base: string; code: string; hex: string }>;
};
const dir = tmpDir();
const fileOf = (name: string, hex: string) => {
  const f = path.join(dir, `${name}.snap`);
  fs.writeFileSync(f, Buffer.from(hex, "hex"));
  return f;
};

afterAll(cleanupDirs);

test.each(Object.keys(vectors.files))("%s: verified with the writer's milestone, ledger root, state hash and counts", async (name) => {
  const v = vectors.files[name];
  const file = fileOf(name, v.hex);
  const base = v.base ? fileOf("full-1", vectors.files["full-1"].hex) : undefined;
  const verdict = await verifySnapshot(file, vectors.genesis, { base });
  expect(verdict).toEqual({
    ok: true,
    kind: v.kind,
    index: v.index,
    milestoneId: v.milestoneIdHex,
    timestamp: expect.any(Number),
    stateHash: v.stateHashHex,
    ledgerRoot: v.ledgerRootHex,
    entries: v.entries,
    entryRecords: v.entryRecords,
    deletedRecords: v.deletedRecords,
    committeeChanges: 0,
    entryPoints: 0,
    bytes: v.hex.length / 2,
    checksum: v.hex.slice(-64),
    ...(v.base ? { base: { index: v.base.index, ledgerRoot: v.base.ledgerRootHex } } : {}),
  });
  // Our encoding of the header we read is the writer's, byte for byte.
  const r = SnapshotReader.open(file);
  const header = encodeHeader(r.header);
  r.close();
  expect(Buffer.from(header).toString("hex")).toBe(v.hex.slice(0, header.length * 2));
});

test.each(Object.keys(vectors.damaged))("damaged %s: refused with the code the writer names", async (name) => {
  const d = vectors.damaged[name];
  const verdict = await verifySnapshot(fileOf(`damaged-${name}`, d.hex), vectors.genesis);
  expect(verdict.ok ? { ok: true } : { ok: false, code: verdict.code }).toEqual({ ok: false, code: d.code });
});
