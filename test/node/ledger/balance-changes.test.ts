/**
 * node/ledger/balance-changes.ts: the one computation of what a white-flag result does to
 * balances. LedgerState.apply changes its balances by it and the node's milestone applier stores
 * the same numbers; a result whose consumed records disagree with the outputs is refused.
 */
import { genesisTransactionId } from "../../../node/ledger/genesis";
import { LedgerError, LedgerErrorCode as E } from "../../../node/ledger/errors";
import { LedgerState } from "../../../node/ledger/ledger";
import { balanceChanges, newBalances } from "../../../node/ledger/balance-changes";
import { computeWhiteFlag } from "../../../node/ledger/whiteflag";
import { toHex } from "../../../client/protocol/bytes";
import { ADDR, ENTRY_A, ENTRY_B, makeGenesis, TestTangle, transfer } from "./_fixtures";

const genesis = makeGenesis([
  [0, 1000n],
  [1, 500n],
  [0, 300n],
]);
const G = genesisTransactionId(genesis);

function chain() {
  const tangle = new TestTangle();
  // 0 pays 1000 to 1; 1 pays its genesis 500 to 2; 0 pays its 300 to itself (a zero net change).
  const t1 = transfer(0, [[G, 0]], [[1, 1000n]], [ENTRY_A, ENTRY_B]);
  const t2 = transfer(1, [[G, 1]], [[2, 500n]], [t1.id, ENTRY_A]);
  const t3 = transfer(0, [[G, 2]], [[0, 300n]], [t2.id, ENTRY_B]);
  tangle.add(t1, t2, t3);
  const ledger = LedgerState.fromGenesis(genesis);
  const out = computeWhiteFlag(1, [t3.id, ENTRY_A], tangle, ledger);
  if (!out.ok) throw new Error(out.message);
  return { ledger, result: out.value };
}

test("net change per address, in first-touched order, zero where an address got back what it spent", () => {
  const { result } = chain();
  expect([...balanceChanges(result)]).toEqual([
    [toHex(ADDR[0]), 0n - 1000n - 300n + 300n],
    [toHex(ADDR[1]), -500n + 1000n],
    [toHex(ADDR[2]), 500n],
  ]);
});

test("the balances the applier stores are the ones LedgerState.apply arrives at", () => {
  const { ledger, result } = chain();
  const stored = newBalances(balanceChanges(result), (a) => ledger.balanceOf(a));
  ledger.apply(result);
  expect(stored.map((b) => [toHex(b.address), b.amount])).toEqual(stored.map((b) => [toHex(b.address), ledger.balanceOf(b.address)]));
  expect(stored.map((b) => b.amount)).toEqual([300n, 1000n, 500n]);
  expect(ledger.supply()).toBe(1800n);
});

test("a result whose consumed record names another address or amount than the output is refused, ledger untouched", () => {
  const { ledger, result } = chain();
  const before = [...ledger.balanceEntries()];
  const codeOf = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      return (err as LedgerError).code;
    }
    return "no error";
  };
  const wrongAddress = result.consumed.map((c, i) => (i === 0 ? { ...c, address: ADDR[3] } : c));
  const wrongAmount = result.consumed.map((c, i) => (i === 1 ? { ...c, amount: c.amount + 1n } : c));
  expect(codeOf(() => ledger.apply({ ...result, consumed: wrongAddress }))).toBe(E.LEDGER_INCONSISTENT);
  expect(codeOf(() => ledger.apply({ ...result, consumed: wrongAmount }))).toBe(E.LEDGER_INCONSISTENT);
  expect([...ledger.balanceEntries()]).toEqual(before);
  expect(ledger.ledgerIndex).toBe(0);
});
