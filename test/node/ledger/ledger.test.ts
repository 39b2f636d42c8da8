/**
 * The pure ledger state (node/ledger/ledger.ts): built from a genesis (whose outputs sit under the
 * virtual genesis transaction), applying white-flag results in order only (stale, out-of-order,
 * computed-against-another-state and UTXO-contradicting results refused without partial changes),
 * stateHash returned as a copy, and snapshot/restore that reproduces the same next result and
 * refuses malformed snapshots.
 */
import { compareIds } from "../../../client/protocol/codec";
import { toHex } from "../../../client/protocol/bytes";
import { LedgerErrorCode as E } from "../../../node/ledger/errors";
import { genesisStateHash, genesisTransactionId } from "../../../node/ledger/genesis";
import { LedgerSnapshot, LedgerState } from "../../../node/ledger/ledger";
import { ADDR, ENTRY_A, ENTRY_B, ledgerCodeOf as codeOf, makeGenesis, runWhiteFlag as run, TestTangle, transfer } from "./_fixtures";

const genesis = makeGenesis([
  [0, 1000n],
  [1, 500n],
  [0, 300n],
]);
const G = genesisTransactionId(genesis);

/** Everything observable about a ledger, in a comparable form. */
function view(l: LedgerState) {
  const s = l.snapshot();
  const outs = (xs: LedgerSnapshot["unspent"]) => xs.map((o) => `${toHex(o.txId)}:${o.index}:${toHex(o.address)}:${o.amount}`).sort();
  return {
    index: l.ledgerIndex,
    hash: toHex(l.stateHash),
    unspent: outs(s.unspent),
    spent: outs(s.spent),
    balances: [...l.balanceEntries()].sort(),
  };
}

describe("LedgerState from genesis", () => {
  test("holds the genesis outputs under the virtual genesis transaction", () => {
    const l = LedgerState.fromGenesis(genesis);
    expect(l.ledgerIndex).toBe(0);
    expect(toHex(l.stateHash)).toBe(toHex(genesisStateHash(genesis)));
    expect([l.balanceOf(ADDR[0]), l.balanceOf(ADDR[1]), l.balanceOf(ADDR[2])]).toEqual([1300n, 500n, 0n]);
    expect(l.getOutput(G, 2)).toEqual({ txId: G, index: 2, address: ADDR[0], amount: 300n });
    expect(l.getOutput(G, 3)).toBeUndefined();
    expect(l.outputsOf(ADDR[0]).map((o) => o.index).sort()).toEqual([0, 2]);
    expect(l.supply()).toBe(1800n);
    expect(l.unspentCount).toBe(3);
  });

  test("validates the genesis it is given", () => {
    expect(codeOf(() => LedgerState.fromGenesis({ ...genesis, outputs: [] }))).toBe(E.GENESIS_OUTPUTS);
  });

  test("stateHash is a copy", () => {
    const l = LedgerState.fromGenesis(genesis);
    l.stateHash.fill(0);
    expect(toHex(l.stateHash)).toBe(toHex(genesisStateHash(genesis)));
  });
});

describe("LedgerState.apply", () => {
  function setup() {
    const tangle = new TestTangle();
    const t1 = transfer(0, [[G, 0]], [[1, 1000n]], [ENTRY_A, ENTRY_B]);
    const t2 = transfer(1, [[G, 1]], [[2, 500n]], [t1.id, ENTRY_A]);
    tangle.add(t1, t2);
    return { tangle, t1, t2 };
  }

  test("applies in order and refuses a stale result (the same one again)", () => {
    const { tangle, t1 } = setup();
    const l = LedgerState.fromGenesis(genesis);
    const r1 = run(1, [t1.id, ENTRY_A], tangle, l);
    l.apply(r1);
    expect(l.ledgerIndex).toBe(1);
    expect(toHex(l.stateHash)).toBe(toHex(r1.stateHash));
    const before = view(l);
    expect(codeOf(() => l.apply(r1))).toBe(E.LEDGER_INDEX_MISMATCH);
    expect(view(l)).toEqual(before);
  });

  test("refuses a result for a later index (out of order) and leaves the ledger unchanged", () => {
    const { tangle, t1 } = setup();
    const l = LedgerState.fromGenesis(genesis);
    const before = view(l);
    const r2 = run(2, [t1.id, ENTRY_A], tangle, l);
    expect(codeOf(() => l.apply(r2))).toBe(E.LEDGER_INDEX_MISMATCH);
    expect(view(l)).toEqual(before);
  });

  test("refuses a result computed against another state", () => {
    const { tangle, t1, t2 } = setup();
    const a = LedgerState.fromGenesis(genesis);
    const b = LedgerState.fromGenesis(genesis);
    // a and b diverge at milestone 1: the same index, different cones.
    a.apply(run(1, [t1.id, ENTRY_A], tangle, a));
    const other = new TestTangle().add(transfer(1, [[G, 1]], [[3, 500n]], [ENTRY_A, ENTRY_B]));
    b.apply(run(1, [...other.entries.values()].map((e) => e.id).concat(ENTRY_A).sort(compareIds), other, b));
    const fromB = run(2, [t2.id, ENTRY_B], tangle, b);
    const before = view(a);
    expect(codeOf(() => a.apply(fromB))).toBe(E.LEDGER_STATE_MISMATCH);
    expect(view(a)).toEqual(before);
  });

  test("refuses a result that contradicts the UTXO set, without partial changes", () => {
    const { tangle, t1, t2 } = setup();
    const l = LedgerState.fromGenesis(genesis);
    const r = run(1, [t2.id, ENTRY_B], tangle, l);
    expect(r.applied.length).toBe(2);
    const before = view(l);
    const ghost = { txId: new Uint8Array(32).fill(5), index: 0, address: ADDR[0], amount: 1n, spentBy: t1.id };
    expect(codeOf(() => l.apply({ ...r, consumed: [...r.consumed, ghost] }))).toBe(E.LEDGER_INCONSISTENT);
    expect(codeOf(() => l.apply({ ...r, consumed: [...r.consumed, r.consumed[0]] }))).toBe(E.LEDGER_INCONSISTENT);
    expect(codeOf(() => l.apply({ ...r, created: [...r.created, { txId: G, index: 0, address: ADDR[0], amount: 1n }] }))).toBe(E.LEDGER_INCONSISTENT);
    expect(view(l)).toEqual(before);
    l.apply(r);
    expect(l.balanceOf(ADDR[2])).toBe(500n);
  });
});

describe("snapshot and restore", () => {
  test("a restored ledger equals the original and computes the same next result", () => {
    const tangle = new TestTangle();
    const t1 = transfer(0, [[G, 0]], [[1, 400n], [2, 600n]], [ENTRY_A, ENTRY_B]);
    const t2 = transfer(1, [[G, 1], [t1.id, 0]], [[3, 900n]], [t1.id, ENTRY_B]);
    tangle.add(t1, t2);
    const l = LedgerState.fromGenesis(genesis);
    const r1 = run(1, [t1.id, ENTRY_A], tangle, l);
    l.apply(r1);
    tangle.confirm(r1.included);
    const copy = LedgerState.restore(l.snapshot());
    expect(view(copy)).toEqual(view(l));
    expect(copy.getSpent(G, 0)?.milestoneIndex).toBe(1);
    const a = run(2, [t2.id, ENTRY_A], tangle, l);
    const b = run(2, [t2.id, ENTRY_A], tangle, copy);
    expect(toHex(b.stateHash)).toBe(toHex(a.stateHash));
    expect(b.applied.length).toBe(1);
  });

  test("restore refuses malformed snapshots", () => {
    const s = LedgerState.fromGenesis(genesis).snapshot();
    expect(codeOf(() => LedgerState.restore({ ...s, unspent: [...s.unspent, s.unspent[0]] }))).toBe(E.LEDGER_INCONSISTENT);
    expect(codeOf(() => LedgerState.restore({ ...s, stateHash: new Uint8Array(31) }))).toBe(E.LEDGER_INCONSISTENT);
    expect(codeOf(() => LedgerState.restore({ ...s, ledgerIndex: -1 }))).toBe(E.LEDGER_INCONSISTENT);
    expect(codeOf(() => LedgerState.restore({ ...s, unspent: [{ ...s.unspent[0], amount: 0n }] }))).toBe(E.LEDGER_INCONSISTENT);
    expect(codeOf(() => LedgerState.restore({ ...s, unspent: [{ ...s.unspent[0], index: 256 }] }))).toBe(E.LEDGER_INCONSISTENT);
    const big = (1n << 64n) - 1n;
    const overflow = [
      { ...s.unspent[0], amount: big },
      { ...s.unspent[1], amount: 1n },
    ];
    expect(codeOf(() => LedgerState.restore({ ...s, unspent: overflow }))).toBe(E.LEDGER_INCONSISTENT);
  });
});
