/**
 * The solid entry points read through a cursor (node/snapshot/entry-points.ts EntryPointCursor, as
 * a running node's periodic snapshots read them) are exactly those of a read of the whole metadata
 * table, at every milestone, on a real node (LMDB in a temporary folder): with a record x left
 * unconfirmed for more than the 15 milestones whose confirmed ids are all entry points, so that its
 * confirmed parent p is one only because x approves it. Each read through the cursor reads the
 * rows stored since the one before and x again, not the history. The live writer's cursor
 * (node/snapshot/periodic.ts LiveSnapshotCursor) keeps the committee changes it read: files written
 * through it after a change carry the change and verify against the genesis alone.
 */
import * as path from "node:path";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { genesisTransactionId } from "../../../node/ledger/genesis";
import { TangleNode } from "../../../node/tangle-node";
import { ENTRY_POINT_MILESTONES, EntryPointCursor, solidEntryPoints } from "../../../node/snapshot/entry-points";
import { LiveSnapshotCursor, writeLiveSnapshot } from "../../../node/snapshot/periodic";
import { SnapshotReader, verifySnapshot } from "../../../node/snapshot";
import { alice, bob, buildMilestone, buildTx, cleanupDirs, dataPayload, testGenesis, tmpDir } from "../_helpers";

const genesis = testGenesis();
/** The second parent where a test names one (2 to 8 parents): the genesis id, an entry point of every node. */
const g = toHex(genesisTransactionId(genesis));
let node: TangleNode | undefined;
afterAll(async () => {
  await node?.close();
  cleanupDirs();
});

const hexes = (ids: Uint8Array[]) => ids.map(toHex);

test("entry points through a cursor equal a whole read at every milestone, reading only the rows since; the live cursor keeps committee changes", async () => {
  node = await TangleNode.open({ dataDir: tmpDir(), genesis });
  const n = node;
  const files = tmpDir();
  const stream = new Uint8Array(32).fill(9);
  let seq = 0;
  let prev: Uint8Array | undefined;
  const record = async (parents?: string[]) => {
    const r = await n.submit(buildTx(n, alice, dataPayload(stream, seq++, prev), parents));
    prev = fromHex(r.id);
    return r;
  };
  // 1: p confirmed; then x approves p and no milestone ever takes x in.
  const p = await record();
  let last = await n.submit(buildMilestone(n, { parents: [p.id, g] }).bytes);
  const x = await n.submit(buildTx(n, alice, dataPayload(new Uint8Array(32).fill(10), 0), [p.id, g]));
  const cursor = new EntryPointCursor();
  const live = new LiveSnapshotCursor();
  const written: { index: number; file: string }[] = [];
  let storedBefore = n.storedTransactions;
  for (let index = 1; index <= ENTRY_POINT_MILESTONES + 3; index++) {
    if (index > 1) {
      // A record on the last milestone, then milestone `index` over both; milestone 3 carries a
      // committee change to bob alone from 5, so 5 on are bob's.
      const r = await record([last.id, g]);
      const over = index === 3 ? { committeeChange: { effectiveIndex: 5, threshold: 1, members: [bob.publicKey] } } : undefined;
      last = await n.submit(buildMilestone(n, { parents: [last.id, r.id], over, ...(index >= 5 ? { signers: [bob] } : {}) }).bytes);
    }
    expect(n.ledgerIndex).toBe(index);
    const whole = hexes(await solidEntryPoints(n.store, index));
    expect(hexes(await solidEntryPoints(n.store, index, undefined, false, cursor))).toEqual(whole);
    expect(whole).toContain(p.id);
    if (index > 1) expect(cursor.rowsRead).toBeLessThanOrEqual(n.storedTransactions - storedBefore + 1); // the rows since, and x
    expect(cursor.unconfirmed).toEqual([n.store.seqOf(Buffer.from(x.id, "hex"))]);
    storedBefore = n.storedTransactions;
    if (index % 4 === 2 || index === ENTRY_POINT_MILESTONES + 3) {
      const file = path.join(files, `full-${index}.snap`);
      const w = await writeLiveSnapshot(n.store, genesis, file, undefined, live);
      expect(w.index).toBe(index);
      written.push({ index, file });
      const r = SnapshotReader.open(file);
      expect(hexes(r.header.entryPoints)).toEqual(whole);
      expect(r.header.changes.length).toBe(index > 3 ? 1 : 0);
      r.close();
      expect(await verifySnapshot(file, genesis)).toMatchObject({ ok: true, index, committeeChanges: index > 3 ? 1 : 0 });
    }
  }
  // The history grew well past what each read took (from 16 on, p was named only because x approves it).
  expect(n.storedTransactions).toBeGreaterThan(2 * (ENTRY_POINT_MILESTONES + 1));
  expect(cursor.rowsRead).toBeLessThanOrEqual(3);
  expect(live.recordsRead).toBeLessThanOrEqual(ENTRY_POINT_MILESTONES + 3 - written[written.length - 2].index);
  expect(written.map((w) => w.index)).toEqual([2, 6, 10, 14, 18]);
}, 60_000);
