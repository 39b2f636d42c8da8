/**
 * What a white-flag result does to balances, computed in one place: LedgerState.apply changes its
 * in-memory balances by it, and the node's milestone applier writes the same new balances to
 * storage. Pure.
 */
import { fromHex, toHex } from "../../client/protocol/bytes";
import type { ConsumedOutput, CreatedOutput } from "./utxo";

/**
 * Net change per address (hex) of the outputs consumed and created, in first-touched order. An
 * address that lost and gained the same amount is listed with 0.
 */
export function balanceChanges(result: { consumed: readonly ConsumedOutput[]; created: readonly CreatedOutput[] }): Map<string, bigint> {
  const deltas = new Map<string, bigint>();
  for (const c of result.consumed) deltas.set(toHex(c.address), (deltas.get(toHex(c.address)) ?? 0n) - c.amount);
  for (const c of result.created) deltas.set(toHex(c.address), (deltas.get(toHex(c.address)) ?? 0n) + c.amount);
  return deltas;
}

/** The balances after `deltas`, given the balances before: one row per changed address. */
export function newBalances(deltas: ReadonlyMap<string, bigint>, balanceOf: (address: Uint8Array) => bigint): { address: Uint8Array; amount: bigint }[] {
  return [...deltas].map(([a, d]) => {
    const address = fromHex(a);
    return { address, amount: balanceOf(address) + d };
  });
}
