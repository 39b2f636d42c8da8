/**
 * From-scratch replay of the stored milestones: a fresh ledger from the genesis, then for every
 * milestone in order its white flag recomputed from the stored transactions (what counts as
 * confirmed is what this replay itself confirmed, not the stored metadata), checked against the
 * milestone's merkle root and state hash, and applied. Used by the crash test and for audits
 * (`tangle check`, ./check.ts). Reads are checked against the ids (storage/store.ts): a damaged
 * transaction in a milestone's cone stops the replay with ERR_STORAGE_CORRUPT.
 */
import { decodeTransaction } from "../../client/protocol/codec";
import { toHex } from "../../client/protocol/bytes";
import { Genesis, genesisTransactionId } from "../ledger/genesis";
import { LedgerState } from "../ledger/ledger";
import { checkMilestone, computeWhiteFlag, ConeView } from "../ledger/whiteflag";
import type { Store } from "../storage/store";
import { ZERO_ENTRY_POINT } from "../tangle-node";

export interface ReplayReport {
  milestones: number;
  transactions: number;
  stateHash: string;
  /** Problems found; empty when the stored ledger is consistent. */
  problems: string[];
}

export function replayLedger(store: Store, genesis: Genesis): ReplayReport {
  const ledger = LedgerState.fromGenesis(genesis);
  const confirmed = new Set<string>();
  const entry = new Set([toHex(ZERO_ENTRY_POINT), toHex(genesisTransactionId(genesis))]);
  const problems: string[] = [];
  const view: ConeView = {
    get(id) {
      const bytes = store.getTransactionBytes(id);
      if (!bytes) return undefined;
      const d = decodeTransaction(bytes);
      if (!d.ok) return undefined;
      return { id, tx: d.value.tx, confirmed: confirmed.has(toHex(id)) };
    },
    isSolidEntryPoint: (id) => entry.has(toHex(id)),
  };
  const last = store.ledgerIndex();
  let transactions = 0;
  for (let index = 1; index <= last; index++) {
    const record = store.getMilestone(index);
    if (!record) {
      problems.push(`milestone ${index} is missing`);
      break;
    }
    const bytes = store.getTransactionBytes(record.id);
    const d = bytes ? decodeTransaction(bytes) : undefined;
    if (!d || !d.ok || d.value.tx.payload.type !== "milestone") {
      problems.push(`milestone ${index}: its transaction is missing or not a milestone`);
      break;
    }
    const wf = computeWhiteFlag(index, d.value.tx.parents, view, ledger);
    if (!wf.ok) {
      problems.push(`milestone ${index}: ${wf.message}`);
      break;
    }
    const check = checkMilestone(wf.value, d.value.tx.payload);
    if (!check.ok) problems.push(`milestone ${index}: ${check.message}`);
    if (toHex(wf.value.stateHash) !== toHex(record.stateHash)) problems.push(`milestone ${index}: stored state hash differs from the replay`);
    for (const id of wf.value.included) {
      const meta = store.getMeta(id);
      if (meta?.confirmedBy !== index) problems.push(`milestone ${index}: ${toHex(id)} stored as confirmed by ${meta?.confirmedBy}`);
      confirmed.add(toHex(id));
    }
    const conflicts = new Map(wf.value.conflicts.map((c) => [toHex(c.id), c.reason]));
    for (const id of wf.value.included) {
      const stored = store.getMeta(id)?.conflict;
      if ((stored ?? null) !== (conflicts.get(toHex(id)) ?? null)) problems.push(`milestone ${index}: conflict mark of ${toHex(id)} differs`);
    }
    transactions += wf.value.included.length;
    ledger.apply(wf.value);
    confirmed.add(toHex(record.id));
  }
  const stored = store.stateHash();
  if (!stored || toHex(stored) !== toHex(ledger.stateHash)) problems.push("the stored ledger state hash differs from the replay");
  for (const o of store.outputs()) {
    if (!ledger.getOutput(o.txId, o.index)) problems.push(`stored unspent output ${toHex(o.txId)}:${o.index} is not unspent in the replay`);
  }
  if ([...store.outputs()].length !== ledger.unspentCount) problems.push("stored and replayed UTXO sets differ in size");
  return { milestones: last, transactions, stateHash: toHex(ledger.stateHash), problems };
}
