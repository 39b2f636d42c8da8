/**
 * `tangle check` on a pruned directory. The from-scratch replay (node/tools/replay.ts) needs every
 * confirmed transaction, which pruning deleted; what is checked instead is the ledger the node
 * would open with: its unspent outputs give the ledger root that the latest milestone carries
 * (signed by the committee, whose chain the milestone check walked), and the stored state hash is
 * the one that milestone signs. The transaction tables and the milestone chain are checked as on
 * any directory (node/tools/check.ts).
 */
import { decodeTransaction } from "../../client/protocol/codec";
import { toHex } from "../../client/protocol/bytes";
import type { Genesis } from "../ledger/genesis";
import { LedgerState } from "../ledger/ledger";
import type { Store } from "../storage/store";

/** Problems of a pruned directory's ledger (empty: it agrees with the latest milestone's signed roots). */
export function checkPrunedLedger(store: Store, genesis: Genesis): string[] {
  const index = store.ledgerIndex();
  const record = store.getMilestone(index);
  const bytes = record && store.getTransactionBytes(record.id);
  const d = bytes ? decodeTransaction(bytes) : undefined;
  if (!d?.ok || d.value.tx.payload.type !== "milestone") return [`milestone ${index}: its transaction is missing or not a milestone`];
  const p = d.value.tx.payload;
  const stateHash = store.stateHash();
  const problems: string[] = [];
  if (!stateHash || toHex(stateHash) !== toHex(p.ledgerStateHash)) problems.push(`the stored ledger state hash differs from the one milestone ${index} signs`);
  const ledger = LedgerState.restore({
    networkId: genesis.networkId,
    ledgerIndex: index,
    stateHash: stateHash ?? new Uint8Array(32),
    unspent: [...store.outputs()].map(({ txId, index: i, address, amount }) => ({ txId, index: i, address, amount })),
    spent: [],
  });
  if (toHex(ledger.ledgerRoot()) !== toHex(p.ledgerRoot)) problems.push(`the stored unspent outputs give ledger root ${toHex(ledger.ledgerRoot())}, milestone ${index} signs ${toHex(p.ledgerRoot)}`);
  return problems;
}
