/**
 * Known-answer vectors for white flag over three consecutive milestones, written by the
 * independent Python writer (test/vectors/tools/gen_protocol_vectors.py, `whiteFlag`) from
 * docs/ledger.md alone: real signed and stamped transactions, the cones in white-flag order, the
 * applied transfers and conflict reasons, merkle roots and the state hash chain. The transactions
 * are replayed through the pure white flag and ledger, and through a real node (LMDB in a temp
 * folder, the milestone applier, the from-scratch replay), and every result must equal the writer's.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import vectors from "../../vectors/protocol.json";
import { decodeTransaction, Transaction } from "../../../client/protocol/codec";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { genesisStateHash, genesisTransactionId, validateGenesis } from "../../../node/ledger/genesis";
import { LedgerState } from "../../../node/ledger/ledger";
import { checkMilestone, computeWhiteFlag, ConeEntry, ConeView } from "../../../node/ledger/whiteflag";
import { TangleNode, ZERO_ENTRY_POINT } from "../../../node/tangle-node";
import { replayLedger } from "../../../node/tools/replay";
import { cleanupDirs, tmpDir } from "../_helpers";

const wf = vectors.whiteFlag;
const genesis = validateGenesis(wf.genesis);

afterAll(cleanupDirs);

function decoded(hex: string): Transaction {
  const d = decodeTransaction(fromHex(hex));
  if (!d.ok) throw new Error(`${d.code}: ${d.message}`);
  return d.value.tx;
}

test("genesis id, genesis state hash and entry points are the writer's", () => {
  expect(toHex(genesisTransactionId(genesis))).toBe(wf.genesisIdHex);
  expect(toHex(genesisStateHash(genesis))).toBe(wf.genesisStateHashHex);
  expect([toHex(ZERO_ENTRY_POINT), wf.genesisIdHex].sort()).toEqual(wf.entryPointsHex);
});

test("the vectors cover three milestones, a double spend in milestone 2, every conflict reason and a reattached milestone", () => {
  expect(wf.milestones.map((m) => m.index)).toEqual([1, 2, 3]);
  expect(wf.milestones[1].conflicts.map((c) => c.reason)).toContain("INPUT_SPENT");
  const reasons = new Set(wf.milestones.flatMap((m) => m.conflicts.map((c) => c.reason)));
  expect([...reasons].sort()).toEqual(["AMOUNT_MISMATCH", "INPUT_NOT_OWNED", "INPUT_SPENT", "INPUT_UNKNOWN"]);
  const again = wf.transactions.find((t) => t.name === "m1-again")!;
  expect(decoded(again.transactionHex).payload).toMatchObject({ type: "milestone", index: 1 });
  expect(wf.milestones[2].includedHex).toContain(again.idHex);
});

test("pure white flag and ledger reproduce every milestone of the writer", () => {
  const ledger = LedgerState.fromGenesis(genesis);
  expect(toHex(ledger.ledgerRoot())).toBe(wf.genesisLedgerRootHex);
  const entries = new Map<string, ConeEntry>();
  const entryPoints = new Set(wf.entryPointsHex);
  const view: ConeView = { get: (id) => entries.get(toHex(id)), isSolidEntryPoint: (id) => entryPoints.has(toHex(id)) };
  const results: unknown[] = [];
  for (const t of wf.transactions) {
    const tx = decoded(t.transactionHex);
    const id = fromHex(t.idHex);
    entries.set(t.idHex, { id, tx, confirmed: false });
    // A milestone applies when its index is the next one; an old index is an ordinary transaction.
    if (tx.payload.type !== "milestone" || tx.payload.index !== ledger.ledgerIndex + 1) continue;
    const out = computeWhiteFlag(tx.payload.index, tx.parents, view, ledger);
    if (!out.ok) throw new Error(out.message);
    const r = out.value;
    expect(checkMilestone(r, tx.payload)).toEqual({ ok: true });
    results.push({
      index: r.milestoneIndex,
      idHex: t.idHex,
      includedHex: r.included.map(toHex),
      appliedHex: r.applied.map(toHex),
      conflicts: r.conflicts.map((c) => [toHex(c.id), c.reason]),
      mutationsDigestHex: toHex(r.mutationsDigest),
      merkleRootHex: toHex(r.merkleRoot),
      stateHashHex: toHex(r.stateHash),
      ledgerRootHex: toHex(ledger.ledgerRootAfter(r)),
    });
    // Milestone v2: the ledger root after it, and the previous milestone's id.
    expect(toHex(tx.payload.ledgerRoot)).toBe(toHex(ledger.ledgerRootAfter(r)));
    expect(toHex(tx.payload.previousMilestoneId)).toBe(tx.payload.index === 1 ? "00".repeat(32) : wf.milestones[tx.payload.index - 2].idHex);
    ledger.apply(r);
    expect(toHex(ledger.ledgerRoot())).toBe(wf.milestones[r.milestoneIndex - 1].ledgerRootHex);
    // The applied milestone transaction is confirmed by its own index, with its cone.
    for (const h of [...r.included.map(toHex), t.idHex]) entries.get(h)!.confirmed = true;
  }
  expect(results).toEqual(
    wf.milestones.map((m) => ({
      index: m.index,
      idHex: m.idHex,
      includedHex: m.includedHex,
      appliedHex: m.appliedHex,
      conflicts: m.conflicts.map((c) => [c.idHex, c.reason]),
      mutationsDigestHex: m.mutationsDigestHex,
      merkleRootHex: m.merkleRootHex,
      stateHashHex: m.stateHashHex,
      ledgerRootHex: m.ledgerRootHex,
    })),
  );
  expect(toHex(ledger.stateHash)).toBe(wf.milestones[2].stateHashHex);
  expect([...ledger.balanceEntries()].map(([a, v]) => ({ addressHex: a, amount: v.toString() })).sort((x, y) => x.addressHex.localeCompare(y.addressHex))).toEqual(wf.balances);
});

test("a real node applies the three milestones with the writer's roots, state hashes and marks", async () => {
  const dir = tmpDir();
  const node = await TangleNode.open({ dataDir: dir, genesis, now: () => wf.clockMs });
  try {
    for (const t of wf.transactions) {
      expect(await node.submit(fromHex(t.transactionHex))).toEqual({ id: t.idHex, duplicate: false });
    }
    expect(node.diverged).toBeUndefined();
    expect(node.ledgerIndex).toBe(3);
    expect(toHex(node.stateHash)).toBe(wf.milestones[2].stateHashHex);
    for (const m of wf.milestones) {
      const record = node.store.getMilestone(m.index)!;
      expect({ index: m.index, id: toHex(record.id), included: record.included.map(toHex), merkleRoot: toHex(record.merkleRoot), stateHash: toHex(record.stateHash) }).toEqual({
        index: m.index,
        id: m.idHex,
        included: m.includedHex,
        merkleRoot: m.merkleRootHex,
        stateHash: m.stateHashHex,
      });
    }
    for (const t of wf.transactions) {
      const p = decoded(t.transactionHex).payload;
      expect(node.getMetadata(t.idHex)).toMatchObject({
        id: t.idHex,
        confirmedBy: t.confirmedBy,
        conflict: t.conflict,
        milestoneIndex: p.type === "milestone" ? p.index : null,
      });
    }
    for (const b of wf.balances) expect([b.addressHex, node.balance(fromHex(b.addressHex)).confirmed]).toEqual([b.addressHex, BigInt(b.amount)]);
    const replay = replayLedger(node.store, genesis);
    expect(replay.problems).toEqual([]);
    expect(replay.stateHash).toBe(wf.milestones[2].stateHashHex);
  } finally {
    await node.close();
  }
});

test("docs/ledger.md carries the vectors' roots and state hashes", () => {
  const doc = fs.readFileSync(path.join(__dirname, "..", "..", "..", "docs", "ledger.md"), "utf8");
  for (const h of [wf.genesisIdHex, wf.genesisStateHashHex, wf.genesisLedgerRootHex, ...wf.milestones.flatMap((m) => [m.merkleRootHex, m.stateHashHex, m.ledgerRootHex])]) expect(doc).toContain(h);
});
