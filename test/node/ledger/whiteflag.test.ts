/**
 * White flag (node/ledger/whiteflag.ts), by hand-built cones: the confirmation order (oldest first,
 * parents in sorted order, milestone parents in their given order, post-order on a wider DAG,
 * stopping at confirmed transactions and entry points, a missing parent reported by code, no stack
 * overflow on a deep chain); application (first spender wins, outputs spent within the milestone,
 * INPUT_UNKNOWN / INPUT_NOT_OWNED / AMOUNT_MISMATCH / INPUT_SPENT with the first failing input
 * deciding, data and milestones change nothing, nothing mutated); the mutations digest and state
 * hash as docs/ledger.md defines them, and checkMilestone naming each mismatch.
 */
import { blake2b as nobleBlake2b } from "@noble/hashes/blake2b";
import { compareIds } from "../../../client/protocol/codec";
import { toHex } from "../../../client/protocol/bytes";
import { ConflictReason as R, LedgerErrorCode as E } from "../../../node/ledger/errors";
import { genesisTransactionId } from "../../../node/ledger/genesis";
import { LedgerState } from "../../../node/ledger/ledger";
import { merkleRoot } from "../../../node/ledger/merkle";
import { checkMilestone, computeWhiteFlag, ConeEntry, ConeView, milestonePayloadFor, WhiteFlagResult } from "../../../node/ledger/whiteflag";
import { ADDR, dataTx, ENTRY_A, ENTRY_B, hex, makeGenesis, milestoneTx, runWhiteFlag as run, TestTangle, transfer } from "./_fixtures";

const genesis = makeGenesis([
  [0, 1000n],
  [1, 500n],
  [0, 300n],
]);
const G = genesisTransactionId(genesis);

/** Re-creates `make(nonce)` with increasing nonces until `accept(id)`. */
function until(make: (nonce: number) => ConeEntry, accept: (id: Uint8Array) => boolean): ConeEntry {
  for (let nonce = 1_000_000; ; nonce++) {
    const e = make(nonce);
    if (accept(e.id)) return e;
  }
}

const reasons = (r: WhiteFlagResult) => r.conflicts.map((c) => [toHex(c.id), c.reason]);

describe("white-flag ordering", () => {
  test("a chain is confirmed oldest first", () => {
    const a = dataTx([ENTRY_A, ENTRY_B]);
    const b = dataTx([a.id, ENTRY_A]);
    const c = dataTx([b.id, ENTRY_B]);
    const t = new TestTangle().add(a, b, c);
    const r = run(1, [c.id, ENTRY_A], t, LedgerState.fromGenesis(genesis));
    expect(hex(r.included)).toEqual(hex([a.id, b.id, c.id]));
  });

  test("diamond: parents in sorted id order, the shared ancestor once", () => {
    const a = dataTx([ENTRY_A, ENTRY_B]);
    const b = dataTx([a.id, ENTRY_A]);
    // c created after b but sorting before it, so id order and creation order disagree.
    const c = until((n) => dataTx([a.id, ENTRY_B], n), (id) => compareIds(id, b.id) < 0);
    const d = dataTx([b.id, c.id]);
    const t = new TestTangle().add(a, b, c, d);
    const r = run(1, [d.id, ENTRY_A], t, LedgerState.fromGenesis(genesis));
    expect(hex(r.included)).toEqual(hex([a.id, c.id, b.id, d.id]));
  });

  test("milestone parents in their given order; a shared cone is visited under the first", () => {
    const a = dataTx([ENTRY_A, ENTRY_B]);
    const x = dataTx([a.id, ENTRY_A]);
    const y = dataTx([a.id, ENTRY_B]);
    const t = new TestTangle().add(a, x, y);
    const ledger = LedgerState.fromGenesis(genesis);
    expect(hex(run(1, [x.id, y.id], t, ledger).included)).toEqual(hex([a.id, x.id, y.id]));
    expect(hex(run(1, [y.id, x.id], t, ledger).included)).toEqual(hex([a.id, y.id, x.id]));
  });

  test("post-order on a wider DAG equals a hand-derived order", () => {
    // p, q <- r; q, r <- s. Ids forced so that p < q and r < q: visiting s goes to r first, which
    // takes p then q; q is then already seen when s reaches it.
    const p = dataTx([ENTRY_A, ENTRY_B]);
    const q = until((n) => dataTx([ENTRY_A, ENTRY_B], n), (id) => compareIds(p.id, id) < 0);
    const r = until((n) => dataTx([p.id, q.id], n), (id) => compareIds(id, q.id) < 0);
    const s = dataTx([q.id, r.id]);
    const t = new TestTangle().add(p, q, r, s);
    expect(hex(run(1, [s.id, ENTRY_A], t, LedgerState.fromGenesis(genesis)).included)).toEqual(hex([p.id, q.id, r.id, s.id]));
    // The same DAG reached through q first (as a milestone parent): q, then p, r, s.
    expect(hex(run(1, [q.id, s.id], t, LedgerState.fromGenesis(genesis)).included)).toEqual(hex([q.id, p.id, r.id, s.id]));
  });

  test("confirmed transactions and solid entry points stop the traversal", () => {
    const a = dataTx([ENTRY_A, ENTRY_B]);
    const b = dataTx([a.id, ENTRY_A]);
    const c = dataTx([b.id, ENTRY_B]);
    const t = new TestTangle().add(a, b, c);
    t.confirm([a.id]);
    const r = run(1, [c.id, ENTRY_A], t, LedgerState.fromGenesis(genesis));
    expect(hex(r.included)).toEqual(hex([b.id, c.id]));
  });

  test("an unknown id in the cone is ERR_WHITEFLAG_MISSING_PARENT", () => {
    const ghost = new Uint8Array(32).fill(0x77);
    const a = dataTx([ghost, ENTRY_A]);
    const b = dataTx([a.id, ENTRY_B]);
    const t = new TestTangle().add(a, b);
    const out = computeWhiteFlag(1, [b.id, ENTRY_A], t, LedgerState.fromGenesis(genesis));
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.code).toBe(E.WHITEFLAG_MISSING_PARENT);
      expect(toHex(out.missingId)).toBe(toHex(ghost));
    }
    const direct = computeWhiteFlag(1, [ghost], t, LedgerState.fromGenesis(genesis));
    expect(direct.ok ? "ok" : direct.code).toBe(E.WHITEFLAG_MISSING_PARENT);
  });

  test("a view without entry points treats their ids as unknown", () => {
    const a = dataTx([ENTRY_A, ENTRY_B]);
    const t = new TestTangle().add(a);
    const plain: ConeView = { get: (id) => t.get(id) };
    const out = computeWhiteFlag(1, [a.id], plain, LedgerState.fromGenesis(genesis));
    expect(out.ok ? "ok" : out.code).toBe(E.WHITEFLAG_MISSING_PARENT);
  });

  test("a deep chain does not overflow the stack", () => {
    const t = new TestTangle();
    let prev = dataTx([ENTRY_A, ENTRY_B]);
    t.add(prev);
    const chain = [prev.id];
    for (let i = 0; i < 20_000; i++) {
      // Built without encoding: white flag only reads ids and parents.
      const id = new Uint8Array(32);
      id[0] = 0x42;
      new DataView(id.buffer).setUint32(28, i);
      const e: ConeEntry = { id, tx: { ...prev.tx, parents: [prev.id, ENTRY_B] }, confirmed: false };
      t.add(e);
      chain.push(e.id);
      prev = e;
    }
    const r = run(1, [prev.id], t, LedgerState.fromGenesis(genesis));
    expect(r.included.length).toBe(chain.length);
    expect(toHex(r.included[0])).toBe(toHex(chain[0]));
    expect(toHex(r.included[r.included.length - 1])).toBe(toHex(prev.id));
  });
});

describe("white-flag application", () => {
  test("a valid transfer moves funds; outputs and mutations are reported", () => {
    const ledger = LedgerState.fromGenesis(genesis);
    const t1 = transfer(0, [[G, 0]], [[1, 600n], [0, 400n]], [ENTRY_A, ENTRY_B]);
    const r = run(1, [t1.id, ENTRY_A], new TestTangle().add(t1), ledger);
    expect(hex(r.applied)).toEqual(hex([t1.id]));
    expect(r.conflicts).toEqual([]);
    expect(r.consumed.map((c) => [toHex(c.txId), c.index, c.amount, toHex(c.spentBy)])).toEqual([[toHex(G), 0, 1000n, toHex(t1.id)]]);
    expect(r.created.map((c) => [toHex(c.txId), c.index, toHex(c.address), c.amount])).toEqual([
      [toHex(t1.id), 0, toHex(ADDR[1]), 600n],
      [toHex(t1.id), 1, toHex(ADDR[0]), 400n],
    ]);
    ledger.apply(r);
    expect([ledger.balanceOf(ADDR[0]), ledger.balanceOf(ADDR[1])]).toEqual([700n, 1100n]);
    expect(ledger.isSpent(G, 0)).toBe(true);
    expect(ledger.getOutput(t1.id, 0)?.amount).toBe(600n);
  });

  test("double spend in one milestone: the first in white-flag order wins", () => {
    const ledger = LedgerState.fromGenesis(genesis);
    const x = transfer(0, [[G, 0]], [[1, 1000n]], [ENTRY_A, ENTRY_B]);
    const y = transfer(0, [[G, 0]], [[2, 1000n]], [ENTRY_A, ENTRY_B]);
    const [first, second] = [x, y].sort((u, v) => compareIds(u.id, v.id));
    const r = run(1, [x.id, y.id].sort(compareIds), new TestTangle().add(x, y), ledger);
    expect(hex(r.included)).toEqual(hex([first.id, second.id]));
    expect(hex(r.applied)).toEqual(hex([first.id]));
    expect(reasons(r)).toEqual([[toHex(second.id), R.INPUT_SPENT]]);
  });

  test("an output created earlier in the same milestone can be spent later in it", () => {
    const ledger = LedgerState.fromGenesis(genesis);
    const t1 = transfer(0, [[G, 0]], [[1, 1000n]], [ENTRY_A, ENTRY_B]);
    const t2 = transfer(1, [[t1.id, 0], [G, 1]], [[3, 1500n]], [t1.id, ENTRY_A]);
    const r = run(1, [t2.id, ENTRY_B], new TestTangle().add(t1, t2), ledger);
    expect(hex(r.applied)).toEqual(hex([t1.id, t2.id]));
    expect(r.consumed.map((c) => toHex(c.txId))).toEqual(hex([G, t1.id, G]));
    ledger.apply(r);
    expect([ledger.balanceOf(ADDR[0]), ledger.balanceOf(ADDR[1]), ledger.balanceOf(ADDR[3])]).toEqual([300n, 0n, 1500n]);
    expect(ledger.getOutput(t1.id, 0)).toBeUndefined();
    expect(ledger.getSpent(t1.id, 0)?.spentBy).toEqual(t2.id);
    expect(ledger.supply()).toBe(1800n);
  });

  test("spending an output whose creator is outside the cone is INPUT_UNKNOWN, and stays so", () => {
    const ledger = LedgerState.fromGenesis(genesis);
    const creator = transfer(0, [[G, 0]], [[1, 1000n]], [ENTRY_A, ENTRY_B]);
    // The spender does not reference its input's creator, so the milestone below misses it.
    const spender = transfer(1, [[creator.id, 0]], [[2, 1000n]], [ENTRY_A, ENTRY_B]);
    const tangle = new TestTangle().add(creator, spender);
    const r1 = run(1, [spender.id, ENTRY_A], tangle, ledger);
    expect(reasons(r1)).toEqual([[toHex(spender.id), R.INPUT_UNKNOWN]]);
    ledger.apply(r1);
    tangle.confirm(r1.included);
    // The creator is confirmed later; the conflicting spender is final and not revisited.
    const r2 = run(2, [creator.id, ENTRY_A], tangle, ledger);
    expect(hex(r2.included)).toEqual(hex([creator.id]));
    ledger.apply(r2);
    expect(ledger.balanceOf(ADDR[1])).toBe(1500n);
  });

  test("an input owned by someone else is INPUT_NOT_OWNED", () => {
    const t1 = transfer(1, [[G, 0]], [[1, 1000n]], [ENTRY_A, ENTRY_B]);
    const r = run(1, [t1.id, ENTRY_A], new TestTangle().add(t1), LedgerState.fromGenesis(genesis));
    expect(reasons(r)).toEqual([[toHex(t1.id), R.INPUT_NOT_OWNED]]);
    expect(r.applied).toEqual([]);
    expect(r.created).toEqual([]);
  });

  test("sum in != sum out is AMOUNT_MISMATCH, either way", () => {
    const less = transfer(0, [[G, 0]], [[1, 999n]], [ENTRY_A, ENTRY_B]);
    const more = transfer(0, [[G, 2]], [[1, 200n], [2, 101n]], [ENTRY_A, ENTRY_B]);
    const r = run(1, [less.id, more.id].sort(compareIds), new TestTangle().add(less, more), LedgerState.fromGenesis(genesis));
    expect(new Set(r.conflicts.map((c) => c.reason))).toEqual(new Set([R.AMOUNT_MISMATCH]));
    expect(r.conflicts.length).toBe(2);
    // Conflicting transfers spend nothing: the outputs remain available to the next one.
    const ok = transfer(0, [[G, 0]], [[1, 1000n]], [less.id, more.id]);
    const r2 = run(1, [ok.id, ENTRY_A], new TestTangle().add(less, more, ok), LedgerState.fromGenesis(genesis));
    expect(hex(r2.applied)).toEqual(hex([ok.id]));
  });

  test("spending what an earlier milestone spent is INPUT_SPENT", () => {
    const ledger = LedgerState.fromGenesis(genesis);
    const t1 = transfer(0, [[G, 0]], [[1, 1000n]], [ENTRY_A, ENTRY_B]);
    const tangle = new TestTangle().add(t1);
    const r1 = run(1, [t1.id, ENTRY_A], tangle, ledger);
    ledger.apply(r1);
    tangle.confirm(r1.included);
    const t2 = transfer(0, [[G, 0]], [[2, 1000n]], [t1.id, ENTRY_B]);
    tangle.add(t2);
    expect(reasons(run(2, [t2.id, ENTRY_A], tangle, ledger))).toEqual([[toHex(t2.id), R.INPUT_SPENT]]);
  });

  test("the first failing input decides the reason; inputs before amounts", () => {
    const ledger = LedgerState.fromGenesis(genesis);
    const unknownFirst = transfer(0, [[new Uint8Array(32).fill(9), 0], [G, 1]], [[0, 1n]], [ENTRY_A, ENTRY_B]);
    const notOwnedFirst = transfer(0, [[G, 1], [new Uint8Array(32).fill(9), 0]], [[0, 1n]], [ENTRY_A, ENTRY_B]);
    const indexPastOutputs = transfer(0, [[G, 3]], [[0, 1n]], [ENTRY_A, ENTRY_B]);
    const ids = [unknownFirst, notOwnedFirst, indexPastOutputs];
    const r = run(1, ids.map((e) => e.id).sort(compareIds), new TestTangle().add(...ids), ledger);
    const byId = new Map(r.conflicts.map((c) => [toHex(c.id), c.reason]));
    expect(byId.get(toHex(unknownFirst.id))).toBe(R.INPUT_UNKNOWN);
    expect(byId.get(toHex(notOwnedFirst.id))).toBe(R.INPUT_NOT_OWNED);
    expect(byId.get(toHex(indexPastOutputs.id))).toBe(R.INPUT_UNKNOWN);
  });

  test("the same input twice in one transfer is INPUT_SPENT (the codec refuses it; the ledger does not rely on that)", () => {
    const base = transfer(0, [[G, 0]], [[1, 2000n]], [ENTRY_A, ENTRY_B]);
    const twice: ConeEntry = {
      id: new Uint8Array(32).fill(0x33),
      tx: { ...base.tx, payload: { type: "transfer", inputs: [{ txId: G, index: 0 }, { txId: G, index: 0 }], outputs: [{ address: ADDR[1], amount: 2000n }] } },
      confirmed: false,
    };
    const r = run(1, [twice.id], new TestTangle().add(twice), LedgerState.fromGenesis(genesis));
    expect(reasons(r)).toEqual([[toHex(twice.id), R.INPUT_SPENT]]);
  });

  // A milestone transaction reaches a cone only when it was not applied (its index was applied
  // before, e.g. a reattached copy): then it is an ordinary transaction (docs/ledger.md §3.1).
  test("data and unapplied milestone transactions are included and change nothing", () => {
    const ledger = LedgerState.fromGenesis(genesis);
    const d = dataTx([ENTRY_A, ENTRY_B]);
    const m = milestoneTx(1, new Uint8Array(32), new Uint8Array(32), [d.id, ENTRY_A]);
    const r = run(1, [m.id, ENTRY_B], new TestTangle().add(d, m), ledger);
    expect(hex(r.included)).toEqual(hex([d.id, m.id]));
    expect([r.applied, r.conflicts, r.consumed, r.created]).toEqual([[], [], [], []]);
    expect(toHex(r.mutationsDigest)).toBe(toHex(nobleBlake2b(new Uint8Array(0), { dkLen: 32 })));
  });

  test("computing does not mutate the ledger or the cone", () => {
    const ledger = LedgerState.fromGenesis(genesis);
    const before = ledger.snapshot();
    const t1 = transfer(0, [[G, 0]], [[1, 1000n]], [ENTRY_A, ENTRY_B]);
    const tangle = new TestTangle().add(t1);
    run(1, [t1.id, ENTRY_A], tangle, ledger);
    expect(ledger.snapshot()).toEqual(before);
    expect(tangle.get(t1.id)!.confirmed).toBe(false);
  });
});

describe("state hash and milestone check", () => {
  const u32le = (v: number) => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24];
  const u64le = (v: bigint) => Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 255n));
  const H = (bytes: number[] | Uint8Array) => nobleBlake2b(Uint8Array.from(bytes), { dkLen: 32 });

  test("mutations digest and state hash follow docs/ledger.md", () => {
    const ledger = LedgerState.fromGenesis(genesis);
    const d = dataTx([ENTRY_A, ENTRY_B]);
    const t1 = transfer(0, [[G, 2]], [[1, 100n], [3, 200n]], [d.id, ENTRY_A]);
    const bad = transfer(1, [[G, 0]], [[1, 1000n]], [d.id, ENTRY_B]);
    const r = run(7, [t1.id, bad.id].sort(compareIds), new TestTangle().add(d, t1, bad), ledger);
    const records = [
      ...[0x00, ...G, 2],
      ...[0x01, ...t1.id, 0, ...ADDR[1], ...u64le(100n)],
      ...[0x01, ...t1.id, 1, ...ADDR[3], ...u64le(200n)],
    ];
    expect(toHex(r.mutationsDigest)).toBe(toHex(H(records)));
    expect(toHex(r.merkleRoot)).toBe(toHex(merkleRoot(r.included)));
    const expected = H([...ledger.stateHash, ...u32le(7), ...r.merkleRoot, ...H(records)]);
    expect(toHex(r.stateHash)).toBe(toHex(expected));
    expect(toHex(r.prevStateHash)).toBe(toHex(ledger.stateHash));
  });

  test("the state hash commits to the milestone index and to which spender applied", () => {
    const x = transfer(0, [[G, 0]], [[1, 1000n]], [ENTRY_A, ENTRY_B]);
    const y = transfer(0, [[G, 0]], [[2, 1000n]], [ENTRY_A, ENTRY_B]);
    const t = new TestTangle().add(x, y);
    const ledger = LedgerState.fromGenesis(genesis);
    const both = run(1, [x.id, y.id].sort(compareIds), t, ledger);
    expect(toHex(run(2, [x.id, y.id].sort(compareIds), t, ledger).stateHash)).not.toBe(toHex(both.stateHash));
    const onlyX = run(1, [x.id, ENTRY_A], t, ledger);
    const onlyY = run(1, [y.id, ENTRY_A], t, ledger);
    expect(toHex(onlyX.stateHash)).not.toBe(toHex(onlyY.stateHash));
    expect(toHex(onlyX.mutationsDigest)).not.toBe(toHex(onlyY.mutationsDigest));
  });

  test("checkMilestone accepts the matching payload and names each mismatch", () => {
    const t1 = transfer(0, [[G, 0]], [[1, 1000n]], [ENTRY_A, ENTRY_B]);
    const r = run(1, [t1.id, ENTRY_A], new TestTangle().add(t1), LedgerState.fromGenesis(genesis));
    const good = milestonePayloadFor(r, 1_700_000_000_000);
    expect(checkMilestone(r, good)).toEqual({ ok: true });
    const code = (p: typeof good) => {
      const c = checkMilestone(r, p);
      return c.ok ? "ok" : c.code;
    };
    expect(code({ ...good, index: 2 })).toBe(E.MILESTONE_INDEX_MISMATCH);
    expect(code({ ...good, confirmedMerkleRoot: merkleRoot([]) })).toBe(E.MILESTONE_MERKLE_MISMATCH);
    expect(code({ ...good, ledgerStateHash: new Uint8Array(32) })).toBe(E.MILESTONE_STATE_MISMATCH);
  });
});
