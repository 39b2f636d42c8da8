import { genesisTransactionId } from "../../../node/ledger/genesis";
import { LedgerState } from "../../../node/ledger/ledger";
import { ledgerAmountLookup, PendingIndex } from "../../../node/ledger/pending";
import { computeWhiteFlag } from "../../../node/ledger/whiteflag";
import { ADDR, dataTx, ENTRY_A, ENTRY_B, makeGenesis, TestTangle, transfer } from "./_fixtures";

const genesis = makeGenesis([
  [0, 1000n],
  [1, 500n],
]);
const G = genesisTransactionId(genesis);

describe("PendingIndex", () => {
  test("incoming to recipients, outgoing from the issuer's address", () => {
    const ledger = LedgerState.fromGenesis(genesis);
    const p = new PendingIndex(ledgerAmountLookup(ledger));
    const t1 = transfer(0, [[G, 0]], [[1, 700n], [0, 300n]], [ENTRY_A, ENTRY_B]);
    expect(p.add(t1.id, t1.tx)).toBe(true);
    expect(p.pendingOf(ADDR[0])).toEqual({ incoming: 300n, outgoing: 1000n });
    expect(p.pendingOf(ADDR[1])).toEqual({ incoming: 700n, outgoing: 0n });
    expect(p.pendingOf(ADDR[2])).toEqual({ incoming: 0n, outgoing: 0n });
  });

  test("inputs created by pending transfers count; unknown inputs do not", () => {
    const ledger = LedgerState.fromGenesis(genesis);
    const p = new PendingIndex(ledgerAmountLookup(ledger));
    const t1 = transfer(0, [[G, 0]], [[1, 1000n]], [ENTRY_A, ENTRY_B]);
    const t2 = transfer(1, [[t1.id, 0], [G, 1], [new Uint8Array(32).fill(3), 0]], [[2, 1500n]], [t1.id, ENTRY_A]);
    // t2 arrives before its input's creator: only the ledger input is known at first.
    p.add(t2.id, t2.tx);
    expect(p.pendingOf(ADDR[1]).outgoing).toBe(500n);
    p.add(t1.id, t1.tx);
    expect(p.pendingOf(ADDR[1])).toEqual({ incoming: 1000n, outgoing: 1500n });
    expect(p.pendingOf(ADDR[2])).toEqual({ incoming: 1500n, outgoing: 0n });
  });

  test("confirmed and conflicting transfers are removed; spent ledger outputs still resolve", () => {
    const ledger = LedgerState.fromGenesis(genesis);
    const tangle = new TestTangle();
    const p = new PendingIndex(ledgerAmountLookup(ledger));
    const t1 = transfer(0, [[G, 0]], [[1, 1000n]], [ENTRY_A, ENTRY_B]);
    const dup = transfer(0, [[G, 0]], [[2, 1000n]], [ENTRY_A, ENTRY_B]);
    for (const e of [t1, dup]) {
      tangle.add(e);
      p.add(e.id, e.tx);
    }
    expect(p.pendingOf(ADDR[0]).outgoing).toBe(2000n);
    const out = computeWhiteFlag(1, [t1.id, ENTRY_A], tangle, ledger);
    if (!out.ok) throw new Error(out.message);
    ledger.apply(out.value);
    for (const id of out.value.included) expect(p.remove(id)).toBe(true);
    // dup is still pending; its input is now spent in the ledger but its amount is known.
    expect(p.pendingOf(ADDR[0])).toEqual({ incoming: 0n, outgoing: 1000n });
    expect(p.pendingOf(ADDR[1])).toEqual({ incoming: 0n, outgoing: 0n });
    expect(p.remove(dup.id)).toBe(true);
    expect(p.remove(dup.id)).toBe(false);
    expect(p.size).toBe(0);
    expect(p.pendingOf(ADDR[0])).toEqual({ incoming: 0n, outgoing: 0n });
  });

  test("ignores non-transfers and repeated adds", () => {
    const p = new PendingIndex(() => 5n);
    const d = dataTx([ENTRY_A, ENTRY_B]);
    expect(p.add(d.id, d.tx)).toBe(false);
    const t = transfer(0, [[G, 0]], [[0, 5n]], [ENTRY_A, ENTRY_B]);
    expect(p.add(t.id, t.tx)).toBe(true);
    expect(p.add(t.id, t.tx)).toBe(false);
    expect(p.has(t.id)).toBe(true);
    expect(p.size).toBe(1);
    // A self-transfer shows both directions.
    expect(p.pendingOf(ADDR[0])).toEqual({ incoming: 5n, outgoing: 5n });
  });
});
