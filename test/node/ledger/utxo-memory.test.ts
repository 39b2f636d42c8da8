/**
 * What an unspent output costs in the heap once a ledger is open (docs/ledger.md, Memory): the
 * UTXO set keeps outputs as 73-byte records in one slab (node/ledger/utxo.ts), not as objects
 * with byte arrays of their own, and restore reads the outputs from an iterable once, holding no
 * array of them. Measured after full garbage collections, 50,000 outputs to distinct addresses.
 */
import { seededRandom } from "../../../client/util/random";
import { LedgerState } from "../../../node/ledger/ledger";
import type { UnspentOutput } from "../../../node/ledger/utxo";
import { outputTree } from "../../../node/ledger/ledger-tree";
import { gcFunction } from "../../../bench/ledger/spends";

const N = 50_000;

function* outputs(seed: number, n: number): Generator<UnspentOutput> {
  const r = seededRandom(seed);
  for (let i = 0; i < n; i++) yield { txId: r.bytes(32), index: r.int(4), address: r.bytes(32), amount: BigInt(1 + r.int(1_000_000)) };
}

test("a restored ledger holds an unspent output in at most 600 bytes of heap (about 1,100 as objects), and its root is the outputs' root", () => {
  const gc = gcFunction();
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const ledger = LedgerState.restore({ networkId: 1, ledgerIndex: 0, stateHash: new Uint8Array(32), unspent: outputs(17, N), spent: [] });
  gc();
  const perOutput = (process.memoryUsage().heapUsed - heap0) / N;
  expect(ledger.unspentCount).toBe(N);
  expect(perOutput).toBeLessThan(600);
  expect(Buffer.from(ledger.ledgerRoot()).equals(Buffer.from(outputTree([...outputs(17, N)]).root()))).toBe(true);
  // Every output reads back as it went in, by id and by address.
  const all = [...outputs(17, N)];
  for (const o of [all[0], all[N >> 1], all[N - 1]]) {
    expect(ledger.getOutput(o.txId, o.index)).toEqual(o);
    expect(ledger.outputsOf(o.address)).toEqual([o]);
    expect(ledger.balanceOf(o.address)).toBe(o.amount);
  }
});
