/**
 * The ledger root as LedgerState keeps it (node/ledger/ledger.ts): at genesis, after each applied
 * milestone (outputs created and spent in one milestone leave no trace), the root a result would
 * give before it is applied (ledgerRootAfter, which changes nothing), a refused result leaving the
 * root as it was, restore from a snapshot, and a restart of real LMDB storage (openLedger, as the
 * node opens) giving the same root. The expected roots come from the definition in docs/ledger.md
 * computed here with noble's BLAKE2b over the ledger's unspent outputs.
 */
import { blake2b as nobleBlake2b } from "@noble/hashes/blake2b";
import { toHex } from "../../../client/protocol/bytes";
import { verifyOutputAbsent, verifyOutputInLedger } from "../../../client/protocol/ledger-proof";
import { genesisTransactionId } from "../../../node/ledger/genesis";
import { LedgerState } from "../../../node/ledger/ledger";
import { UnspentOutput } from "../../../node/ledger/utxo";
import { openLedger } from "../../../node/replay";
import { Store } from "../../../node/storage/store";
import { cleanupDirs, tmpDir } from "../_helpers";
import { ADDR, ENTRY_A, ENTRY_B, ledgerCodeOf as codeOf, makeGenesis, runWhiteFlag as run, TestTangle, transfer } from "./_fixtures";
import { LedgerErrorCode as E } from "../../../node/ledger/errors";

const H = (...parts: (number[] | Uint8Array)[]) => nobleBlake2b(Uint8Array.from(parts.flatMap((p) => Array.from(p))), { dkLen: 32 });

/** docs/ledger.md, Ledger root: kind 0x01 entries, the recursive definition. */
function referenceRoot(unspent: readonly UnspentOutput[]): string {
  const leaves = unspent.map((o) => {
    const amount = new Uint8Array(8);
    new DataView(amount.buffer).setBigUint64(0, o.amount, true);
    return { key: H([0x01], o.txId, [o.index]), valueHash: H(o.address, amount) };
  });
  const T = (s: typeof leaves, d: number): Uint8Array => {
    if (s.length === 0) return H([0x00]);
    if (s.length === 1) return H([0x01], s[0].key, s[0].valueHash);
    const bit = (k: Uint8Array) => (k[d >> 3] >> (7 - (d % 8))) & 1;
    return H(
      [0x02],
      T(
        s.filter((e) => bit(e.key) === 0),
        d + 1,
      ),
      T(
        s.filter((e) => bit(e.key) === 1),
        d + 1,
      ),
    );
  };
  return toHex(T(leaves, 0));
}

const genesis = makeGenesis([
  [0, 1000n],
  [1, 500n],
  [0, 300n],
]);
const G = genesisTransactionId(genesis);

/** Two milestones: the first creates outputs and spends one of them in the same milestone. */
function scenario() {
  const tangle = new TestTangle();
  const t1 = transfer(0, [[G, 0]], [[1, 400n], [2, 600n]], [ENTRY_A, ENTRY_B]);
  const t2 = transfer(1, [[t1.id, 0]], [[3, 400n]], [t1.id, ENTRY_B]);
  const t3 = transfer(1, [[G, 1]], [[0, 200n], [1, 300n]], [t2.id, ENTRY_A]);
  tangle.add(t1, t2, t3);
  return { tangle, t1, t2, t3 };
}

afterAll(cleanupDirs);

test("genesis: the root of the genesis outputs", () => {
  const l = LedgerState.fromGenesis(genesis);
  expect(toHex(l.ledgerRoot())).toBe(referenceRoot(l.snapshot().unspent));
  expect(l.ledgerTreeSize).toBe(3);
  // A copy: changing it changes nothing.
  l.ledgerRoot().fill(0);
  expect(toHex(l.ledgerRoot())).toBe(referenceRoot(l.snapshot().unspent));
});

test("apply: the root follows every milestone; ledgerRootAfter predicts it and changes nothing", () => {
  const { tangle, t2, t3 } = scenario();
  const l = LedgerState.fromGenesis(genesis);
  const r1 = run(1, [t2.id, ENTRY_A], tangle, l);
  expect(r1.applied.length).toBe(2);
  const before = toHex(l.ledgerRoot());
  const predicted = toHex(l.ledgerRootAfter(r1));
  expect(toHex(l.ledgerRoot())).toBe(before);
  expect(l.ledgerTreeSize).toBe(3);
  l.apply(r1);
  tangle.confirm(r1.included);
  expect(toHex(l.ledgerRoot())).toBe(predicted);
  expect(predicted).toBe(referenceRoot(l.snapshot().unspent));
  expect(predicted).not.toBe(before);
  // t1's output 0 was created and spent under milestone 1: it is not in the tree.
  expect(l.ledgerTreeSize).toBe(l.unspentCount);
  const r2 = run(2, [t3.id, ENTRY_B], tangle, l);
  const p2 = toHex(l.ledgerRootAfter(r2));
  l.apply(r2);
  expect(toHex(l.ledgerRoot())).toBe(p2);
  expect(p2).toBe(referenceRoot(l.snapshot().unspent));
  expect(l.ledgerTreeSize).toBe(l.unspentCount);
});

test("ledgerRootAfter then apply, in every order: a prediction never shows as the current root, and another result applies correctly", () => {
  const { tangle, t2 } = scenario();
  const l = LedgerState.fromGenesis(genesis);
  const before = toHex(l.ledgerRoot());
  const r1 = run(1, [t2.id, ENTRY_A], tangle, l);
  // The same transition computed twice (the proposer, then the applier): the same root.
  const p = toHex(l.ledgerRootAfter(r1));
  expect(toHex(l.ledgerRootAfter(run(1, [t2.id, ENTRY_A], tangle, l)))).toBe(p);
  // Read between prediction and apply: the current root, proofs against it, and the size.
  expect(toHex(l.ledgerRoot())).toBe(before);
  const g0 = l.snapshot().unspent.find((o) => toHex(o.txId) === toHex(G) && o.index === 0)!;
  expect(verifyOutputInLedger(l.ledgerRoot(), g0, l.proveOutput(G, 0))).toBe(true);
  expect(l.ledgerTreeSize).toBe(3);
  expect(toHex(l.ledgerRootAfter(r1))).toBe(p);
  l.apply(run(1, [t2.id, ENTRY_A], tangle, l));
  expect(toHex(l.ledgerRoot())).toBe(p);
  expect(p).toBe(referenceRoot(l.snapshot().unspent));
  // A prediction for one result, then another result applied: the other's root.
  const other = scenario();
  const a = LedgerState.fromGenesis(genesis);
  const ra = run(1, [other.t2.id, ENTRY_A], other.tangle, a);
  const rb = run(1, [other.t1.id, ENTRY_A], other.tangle, a);
  const pa = toHex(a.ledgerRootAfter(ra));
  const pb = toHex(a.ledgerRootAfter(rb));
  expect(pb).not.toBe(pa);
  a.apply(ra);
  expect(toHex(a.ledgerRoot())).toBe(pa);
  expect(pa).toBe(referenceRoot(a.snapshot().unspent));
});

test("a refused result leaves the root as it was", () => {
  const { tangle, t2, t1 } = scenario();
  const l = LedgerState.fromGenesis(genesis);
  const r = run(1, [t2.id, ENTRY_A], tangle, l);
  const before = toHex(l.ledgerRoot());
  const ghost = { txId: new Uint8Array(32).fill(5), index: 0, address: ADDR[0], amount: 1n, spentBy: t1.id };
  expect(codeOf(() => l.apply({ ...r, consumed: [...r.consumed, ghost] }))).toBe(E.LEDGER_INCONSISTENT);
  expect(toHex(l.ledgerRoot())).toBe(before);
  // Predicted first, then refused: the prediction is not taken for the applied state.
  const bad = { ...r, created: [...r.created, { txId: G, index: 1, address: ADDR[0], amount: 1n }] };
  l.ledgerRootAfter(bad);
  expect(codeOf(() => l.apply(bad))).toBe(E.LEDGER_INCONSISTENT);
  expect(toHex(l.ledgerRoot())).toBe(before);
  expect(l.ledgerTreeSize).toBe(3);
  expect(toHex(l.ledgerRoot())).toBe(referenceRoot(l.snapshot().unspent));
  l.apply(r);
  expect(toHex(l.ledgerRoot())).toBe(referenceRoot(l.snapshot().unspent));
});

test("proofs: an unspent output proves against the root, a spent one proves absent", () => {
  const { tangle, t1, t2 } = scenario();
  const l = LedgerState.fromGenesis(genesis);
  l.apply(run(1, [t2.id, ENTRY_A], tangle, l));
  const root = l.ledgerRoot();
  for (const o of l.snapshot().unspent) {
    expect(verifyOutputInLedger(root, o, l.proveOutput(o.txId, o.index))).toBe(true);
    expect(verifyOutputInLedger(root, { ...o, amount: o.amount + 1n }, l.proveOutput(o.txId, o.index))).toBe(false);
    expect(verifyOutputAbsent(root, o.txId, o.index, l.proveOutput(o.txId, o.index))).toBe(false);
  }
  for (const [txId, index] of [
    [G, 0],
    [t1.id, 0],
    [t1.id, 7],
  ] as const) {
    expect(verifyOutputAbsent(root, txId, index, l.proveOutput(txId, index))).toBe(true);
  }
});

test("restore from a snapshot gives the same root", () => {
  const { tangle, t2 } = scenario();
  const l = LedgerState.fromGenesis(genesis);
  l.apply(run(1, [t2.id, ENTRY_A], tangle, l));
  const copy = LedgerState.restore(l.snapshot());
  expect(toHex(copy.ledgerRoot())).toBe(toHex(l.ledgerRoot()));
});

test("a restart of real storage (LMDB, openLedger as the node opens) gives the same root", async () => {
  const { tangle, t2, t3 } = scenario();
  const dir = tmpDir();
  let store = await Store.open(dir);
  const roots: string[] = [];
  try {
    const l = await openLedger(store, genesis, G);
    roots.push(toHex(l.ledgerRoot()));
    for (const [index, parents] of [
      [1, [t2.id, ENTRY_A]],
      [2, [t3.id, ENTRY_B]],
    ] as const) {
      const r = run(index, [...parents], tangle, l);
      const touched = new Set([...r.created, ...r.consumed].map((o) => toHex(o.address)));
      l.apply(r);
      tangle.confirm(r.included);
      await store.applyMilestone({
        record: { index, id: new Uint8Array(32).fill(index), timestamp: index, merkleRoot: r.merkleRoot, stateHash: r.stateHash, included: r.included },
        metaUpdates: [],
        consumed: r.consumed,
        created: r.created.map((c) => ({ ...c, milestone: index })),
        balances: [...touched].map((a) => ({ address: Uint8Array.from(Buffer.from(a, "hex")), amount: l.balanceOf(Uint8Array.from(Buffer.from(a, "hex"))) })),
        ledgerIndex: index,
        stateHash: r.stateHash,
      });
      roots.push(toHex(l.ledgerRoot()));
    }
    expect(new Set(roots).size).toBe(3);
    await store.close();
    store = await Store.open(dir);
    const reopened = await openLedger(store, genesis, G);
    expect(reopened.ledgerIndex).toBe(2);
    expect(toHex(reopened.ledgerRoot())).toBe(roots[2]);
    expect(toHex(reopened.ledgerRoot())).toBe(referenceRoot(reopened.snapshot().unspent));
  } finally {
    await store.close();
  }
});
