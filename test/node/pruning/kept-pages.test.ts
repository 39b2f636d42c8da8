/**
 * What pruning keeps forever packs at its data size (issue 17): a node whose milestones each
 * confirm a run of 1 KB records is pruned (LMDB in a temporary folder), and the pages in use of the
 * sub-databases that hold transactions and their issuer entries, counted by LMDB's own page
 * statistics, stay near the bytes still stored there divided by the page size. Before, each pruned
 * milestone's transaction was left alone in a `tx` page among the deleted records (and its issuer
 * entry among the coordinator's deleted checkpoints). The kept milestones' transactions are read
 * back by id and by arrival, `tangle check` is clean, and a directory that holds them in `tx` (as
 * written before `keptTx`) opens, reads and prunes on.
 */
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { decodeTransaction } from "../../../client/protocol/codec";
import { genesisTransactionId } from "../../../node/ledger/genesis";
import { TangleNode } from "../../../node/tangle-node";
import { pruneTo } from "../../../node/pruning/executor";
import { checkDatabase } from "../../../node/tools/check";
import type { Store } from "../../../node/storage/store";
import { keys } from "../../../node/storage/schema";
import { alice, buildMilestone, buildTx, cleanupDirs, dataPayload, testGenesis, tmpDir } from "../_helpers";

afterAll(cleanupDirs);

const genesis = testGenesis();
const g = toHex(genesisTransactionId(genesis));
const zero = "00".repeat(32);
const stream = new Uint8Array(32).fill(9);
const MILESTONES = 40;
const RECORDS_PER_MILESTONE = 12;
const body = "x".repeat(1000);

interface PageStat {
  pageSize?: number;
  treeBranchPageCount?: number;
  treeLeafPageCount?: number;
  overflowPages?: number;
}

function pagesOf(db: { getStats(): unknown }): number {
  const s = db.getStats() as PageStat;
  return (s.treeBranchPageCount ?? 0) + (s.treeLeafPageCount ?? 0) + (s.overflowPages ?? 0);
}

interface Built {
  node: TangleNode;
  milestones: string[];
  /** The stream's newest record. */
  prev?: string;
  sequence: number;
}

/** `count` more milestones, each confirming a chain of RECORDS_PER_MILESTONE records of 1 KB in one stream. */
async function grow(b: Built, count: number): Promise<void> {
  const { node } = b;
  for (let m = 0; m < count; m++) {
    const latest = node.latestMilestone?.id ?? g;
    for (let i = 0; i < RECORDS_PER_MILESTONE; i++) {
      const payload = dataPayload(stream, b.sequence++, b.prev ? fromHex(b.prev) : undefined, body);
      b.prev = (await node.submit(buildTx(node, alice, payload, [latest, b.prev ?? zero]))).id;
    }
    b.milestones.push((await node.submit(buildMilestone(node, { parents: [latest, b.prev!] }).bytes)).id);
  }
  expect(node.ledgerIndex).toBe(b.milestones.length);
}

/** Milestones 1..MILESTONES (grow). */
async function build(dir: string): Promise<Built> {
  const b: Built = { node: await TangleNode.open({ dataDir: dir, genesis, window: 8 }), milestones: [], sequence: 0 };
  await grow(b, MILESTONES);
  return b;
}

/** Pages of the trees that hold transactions and issuer entries. */
function txPages(store: Store): number {
  return pagesOf(store.tx) + pagesOf(store.keptTx) + pagesOf(store.issuers);
}

/** What a kept milestone holds in those trees: its transaction's entry and its issuer entry if any (key, value, node header, slot). */
function keptBytes(store: Store, id: Uint8Array): number {
  const seq = store.seqOf(id)!;
  let n = 8 + store.storedValueBySeq(seq)!.length + 10;
  const d = decodeTransaction(store.getTransactionBytes(id)!);
  if (d.ok && store.issuers.doesExist(keys.issuer(d.value.tx.issuer, d.value.tx.timestamp, id))) n += 72 + 10;
  return n;
}

test("pruned milestones pack at their data size: the pages of tx, keptTx and issuers, and of the milestone records, grow by what the kept milestones hold over the page size", async () => {
  const dir = tmpDir();
  const b = await build(dir);
  const store = b.node.store;
  const pageSize = (store.root.getStats() as PageStat).pageSize ?? 4096;
  await pruneTo(store, MILESTONES - 2);
  const before = txPages(store);
  const recordsBefore = pagesOf(store.milestones);
  // As many milestones again, pruned as deep: what stays unpruned is the same, what is kept doubles.
  await grow(b, MILESTONES);
  await pruneTo(store, 2 * MILESTONES - 2);
  const grown = txPages(store) - before;
  const kept = b.milestones.slice(MILESTONES - 2, 2 * MILESTONES - 2).reduce((n, m) => n + keptBytes(store, fromHex(m)), 0);
  // Dense: the kept bytes over the page size, at LMDB's fill of appended pages, and a page of slack for a tree's edge.
  const bound = Math.ceil(kept / pageSize / 0.7) + 2;
  expect({ grown, kept, withinBound: grown <= bound }).toEqual({ grown, kept, withinBound: true });
  // The milestone records, their id lists emptied: the same.
  const recordsGrown = pagesOf(store.milestones) - recordsBefore;
  const recordBytes = b.milestones.slice(MILESTONES - 2, 2 * MILESTONES - 2).reduce((n, _, i) => n + 4 + store.milestones.getBinary(keys.milestone(MILESTONES - 1 + i))!.length + 10, 0);
  const recordsBound = Math.ceil(recordBytes / pageSize / 0.7) + 2;
  expect({ recordsGrown, recordBytes, withinBound: recordsGrown <= recordsBound }).toEqual({ recordsGrown, recordBytes, withinBound: true });
  // Everything the milestones up to the index confirmed is gone; each milestone transaction stays.
  for (const m of b.milestones) expect(b.node.getTransactionBytes(m)).toBeDefined();
  await b.node.close();
});

test("kept milestones' transactions are read by id, by arrival and by tangle check, after reopening; a directory that holds them in tx (written before) opens, reads and prunes on", async () => {
  const dir = tmpDir();
  const { node, milestones } = await build(dir);
  const ids = milestones.map((m) => fromHex(m));
  const seqs = ids.map((id) => node.store.seqOf(id)!);
  const next = node.store.nextSeq();
  await pruneTo(node.store, 20);
  for (let i = 0; i < 20; i++) {
    expect(node.store.keptTx.doesExist(keys.seq(seqs[i]))).toBe(true);
    expect(node.store.tx.doesExist(keys.seq(seqs[i]))).toBe(false);
  }
  expect(node.store.keptTx.doesExist(keys.seq(seqs[20]))).toBe(false);
  await node.close();

  const reopened = await TangleNode.open({ dataDir: dir, genesis, window: 8 });
  const store = reopened.store;
  expect(reopened.ledgerIndex).toBe(MILESTONES);
  expect(store.nextSeq()).toBe(next);
  for (let i = 0; i < MILESTONES; i++) {
    const d = decodeTransaction(store.getTransactionBytes(ids[i])!); // checked against its id
    expect(d.ok && d.value.tx.payload.type === "milestone" && d.value.tx.payload.index).toBe(i + 1);
    expect(reopened.getTransactionBytes(milestones[i])).toBeDefined();
  }
  // Arrivals in order, both tables merged: every milestone at its own arrival.
  const arrivals = [...store.arrivals()];
  expect(arrivals.map((a) => a.seq)).toEqual([...arrivals.map((a) => a.seq)].sort((a, b) => a - b));
  const bySeq = new Map(arrivals.map((a) => [a.seq, toHex(a.id)]));
  for (let i = 0; i < MILESTONES; i++) expect(bySeq.get(seqs[i])).toBe(milestones[i]);
  expect([...store.arrivals(seqs[5])][0]).toMatchObject({ seq: seqs[5] });
  // Milestone 2's transaction approves milestone 1's: the approver found in keptTx.
  expect(store.approversOf(ids[0]).map(toHex)).toContain(milestones[1]);
  await reopened.close();
  const checked = await checkDatabase(dir, genesis);
  expect({ ok: checked.ok, damaged: checked.damaged, milestoneProblems: checked.milestoneProblems, replayProblems: checked.replayProblems }).toEqual({ ok: true, damaged: [], milestoneProblems: [], replayProblems: [] });
  expect(checked.transactions).toBe(arrivals.length);

  // Written before keptTx: the pruned milestones' transactions in tx. Put them back there.
  const old = await TangleNode.open({ dataDir: dir, genesis, window: 8 });
  await old.store.root.transaction(() => {
    for (let i = 0; i < 20; i++) {
      const value = old.store.keptTx.getBinary(keys.seq(seqs[i]))!;
      old.store.tx.put(keys.seq(seqs[i]), value);
      old.store.keptTx.remove(keys.seq(seqs[i]));
    }
  });
  await old.close();
  const again = await TangleNode.open({ dataDir: dir, genesis, window: 8 });
  expect(again.ledgerIndex).toBe(MILESTONES);
  for (let i = 0; i < MILESTONES; i++) expect(again.getTransactionBytes(milestones[i])).toBeDefined();
  await pruneTo(again.store, MILESTONES - 2);
  // The old ones stay where they are (still read); the newly pruned ones go to keptTx.
  expect(again.store.tx.doesExist(keys.seq(seqs[0]))).toBe(true);
  expect(again.store.keptTx.doesExist(keys.seq(seqs[30]))).toBe(true);
  for (let i = 0; i < MILESTONES; i++) expect(again.getTransactionBytes(milestones[i])).toBeDefined();
  await again.close();
  const checkedAgain = await checkDatabase(dir, genesis);
  expect({ ok: checkedAgain.ok, damaged: checkedAgain.damaged, milestoneProblems: checkedAgain.milestoneProblems }).toEqual({ ok: true, damaged: [], milestoneProblems: [] });
});

test("a damaged kept milestone transaction is found on read and repaired in keptTx", async () => {
  const dir = tmpDir();
  const { node, milestones } = await build(dir);
  const store = node.store;
  await pruneTo(store, MILESTONES - 2);
  const id = fromHex(milestones[3]);
  const seq = store.seqOf(id)!;
  const good = store.getTransactionBytes(id)!;
  const bad = Uint8Array.from(good);
  bad[bad.length - 1] ^= 1;
  await store.keptTx.put(keys.seq(seq), Buffer.concat([id, bad]));
  expect(() => store.getTransactionBytes(id)).toThrow(expect.objectContaining({ code: "ERR_STORAGE_CORRUPT" }));
  expect(await store.repairTransaction(id, good)).toBe(true);
  expect(store.tx.doesExist(keys.seq(seq))).toBe(false);
  expect(toHex(store.getTransactionBytes(id)!)).toBe(toHex(good));
  await node.close();
});
