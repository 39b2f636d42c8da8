/**
 * What the node rebuilds from storage when it opens: the confirmed ledger (written from the genesis
 * on the first open), then the window: the last `window` stored transactions back into the WASM
 * graph, the window's index and the pending index, applying a milestone that was stored but not
 * yet applied when the node stopped.
 */
import { decodeTransaction, signingHash } from "../client/protocol/codec";
import { fromHex, toHex } from "../client/protocol/bytes";
import { TxFlags } from "../core-wasm/src/tangle";
import { blake2b256 } from "../core-wasm/src/blake2b";
import { Genesis, genesisOutputs, genesisStateHash } from "./ledger/genesis";
import { LedgerState } from "./ledger/ledger";
import type { SpentOutput, SpentOutputs, UnspentOutput } from "./ledger/utxo";
import { decidesEssence, PendingIndex } from "./ledger/pending";
import type { Store } from "./storage/store";
import type { DecodedCache } from "./cone-view";
import type { MilestoneApplier } from "./milestone-applier";
import type { TangleWindow } from "./window";
import { milestoneOf } from "./payloads";

/**
 * The ledger's spent records, read from `store` on each lookup (issue 17: they stay out of the
 * heap). Store.applyMilestone writes a milestone's records in the commit that applies it, before
 * the ledger does, so `record` has nothing left to do.
 */
export function storeSpentOutputs(store: Store): SpentOutputs {
  const spentOutput = (s: ReturnType<Store["getSpentOutput"]> & object): SpentOutput => ({ txId: s.txId, index: s.index, address: s.address, amount: s.amount, spentBy: s.spentBy, milestoneIndex: s.milestone });
  return {
    get: (txId, index) => {
      const s = store.getSpentOutput(txId, index);
      return s && spentOutput(s);
    },
    record: () => undefined,
    *all() {
      for (const s of store.spentOutputs()) yield spentOutput(s);
    },
  };
}

function* unspentOf(store: Store): Generator<UnspentOutput> {
  for (const { txId, index, address, amount } of store.outputs()) yield { txId, index, address, amount };
}

/**
 * Initializes (first open) or checks the genesis in `store`, and restores the confirmed ledger:
 * its unspent outputs into the heap, its spent ones left in the store (storeSpentOutputs).
 */
export async function openLedger(store: Store, g: Genesis, genesisId: Uint8Array): Promise<LedgerState> {
  const genesisHash = blake2b256(new TextEncoder().encode(JSON.stringify(g)));
  const outputs = genesisOutputs(g).map((o, index) => ({ txId: genesisId, index, address: o.address, amount: o.amount, milestone: 0 }));
  const balances = new Map<string, bigint>();
  for (const o of outputs) balances.set(toHex(o.address), (balances.get(toHex(o.address)) ?? 0n) + o.amount);
  await store.initGenesis(
    genesisHash,
    outputs,
    [...balances].map(([a, amount]) => ({ address: fromHex(a), amount })),
    genesisStateHash(g),
  );
  return LedgerState.restore(
    {
      networkId: g.networkId,
      ledgerIndex: store.ledgerIndex(),
      stateHash: store.stateHash()!,
      unspent: unspentOf(store),
      spent: [],
    },
    storeSpentOutputs(store),
  );
}

export interface ReplayTarget {
  store: Store;
  window: TangleWindow;
  ledger: LedgerState;
  pending: PendingIndex;
  milestones: MilestoneApplier;
  /** Keeps the decoded transactions for white flag and gossip. */
  decoded: DecodedCache;
}

/**
 * Replays the stored arrivals before `nextSeq` that fit the window. A milestone that was stored
 * but not applied is applied at its place in arrival order (its whole cone is back in the graph by
 * then).
 */
export async function replayWindow(t: ReplayTarget, nextSeq: number): Promise<void> {
  const { store, window, ledger, pending, milestones, decoded } = t;
  const graph = window.graph;
  let boundarySet = false;
  let lastApplied = 0;
  let n = 0;
  const confirmedEssences = new Set<string>();
  for (const { seq, id, bytes } of store.arrivals(Math.max(0, nextSeq - graph.window))) {
    if ((++n & 255) === 0) store.checkMappedPages(); // as in submit
    const meta = store.getMetaBySeq(seq);
    if (!meta) continue;
    const d = decodeTransaction(bytes);
    if (!d.ok) continue;
    const tx = d.value.tx;
    const idHex = toHex(id);
    if (!boundarySet) {
      // Parents before the window count as confirmed up to the milestone the first one needed.
      graph.setBoundaryIndex(Math.max(0, (meta.confirmedBy ?? ledger.ledgerIndex + 1) - 1));
      boundarySet = true;
    }
    decoded.set(idHex, { id, tx });
    const parents = tx.parents.map(toHex);
    const ts = Math.floor(tx.timestamp / 1000);
    const ms = milestoneOf(tx);
    // Applied milestones are the ones their index's record names (another transaction carrying
    // the same payload type, e.g. an unapplied milestone that later got confirmed as an ordinary
    // transaction, is not one).
    const applied = ms !== undefined && toHex(store.getMilestone(ms.index)?.id ?? new Uint8Array(0)) === idHex;
    // Applied milestones arrive in index order, except the committee-change milestones an imported
    // snapshot stores after its own (node/snapshot/import.ts): kept for the committee chain, they
    // stay out of the window, which takes milestones in consecutive order only.
    if (applied && ms.index <= lastApplied) continue;
    window.recent.add(idHex, meta);
    if (applied) {
      lastApplied = ms.index;
      window.append(idHex, parents, ts, ms.index);
    } else if (ms && ms.index === ledger.ledgerIndex + 1 && !milestones.diverged) {
      window.append(idHex, parents, ts, (await milestones.apply({ id, idHex, tx }, ms)) ? ms.index : undefined);
    } else {
      window.append(idHex, parents, ts, undefined, TxFlags.SOLID | (meta.conflict ? TxFlags.CONFLICTING : 0));
    }
    if (tx.payload.type === "transfer") {
      const essenceHash = signingHash(bytes.subarray(0, d.value.essenceLength));
      if (meta.confirmedBy === undefined) pending.add(id, tx, essenceHash);
      else if (decidesEssence(meta.conflict)) confirmedEssences.add(toHex(essenceHash));
    }
  }
  // Attachments whose essence another attachment carried to confirmation stay out of pending
  // (that one may have arrived before or after them).
  for (const e of confirmedEssences) pending.settleEssence(fromHex(e));
}
