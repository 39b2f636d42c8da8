/**
 * Pending (unconfirmed) amounts per address: what solid, not yet confirmed transfers would send to
 * an address (incoming) and take from it (outgoing). Confirmed balances live in the ledger; APIs
 * report the two separately. Pending amounts are a hint, not a promise: a pending transfer may
 * still be marked conflicting.
 *
 * Outgoing is charged to the issuer's address (the only owner a valid transfer can spend from) and
 * counts the inputs whose amounts are known: outputs of transfers pending here, or whatever the
 * lookup (the ledger, storage) knows. Amounts are resolved when asked, so an input whose creating
 * transfer arrives later is counted from then on.
 */
import type { Input, Output, Transaction } from "../../client/protocol/codec";
import { toHex } from "../../client/protocol/bytes";
import { addressOf } from "../../client/protocol/keys";
import type { LedgerState } from "./ledger";

/** Amount of output (txId, index) if known. */
export type OutputAmountLookup = (txId: Uint8Array, index: number) => bigint | undefined;

/** A lookup over the confirmed ledger: unspent outputs and spent records alike. */
export function ledgerAmountLookup(ledger: Pick<LedgerState, "getOutput" | "getSpent">): OutputAmountLookup {
  return (txId, index) => (ledger.getOutput(txId, index) ?? ledger.getSpent(txId, index))?.amount;
}

export interface PendingAmounts {
  incoming: bigint;
  outgoing: bigint;
}

interface PendingTransfer {
  /** Issuer's address, hex. */
  sender: string;
  inputs: Input[];
  outputs: Output[];
  /** Address hex of every output, parallel to outputs. */
  recipients: string[];
}

export class PendingIndex {
  private readonly transfers = new Map<string, PendingTransfer>();
  /** address hex -> ids (hex) of pending transfers that send from or to it */
  private readonly byAddress = new Map<string, Set<string>>();

  constructor(private readonly lookup: OutputAmountLookup) {}

  get size(): number {
    return this.transfers.size;
  }

  has(id: Uint8Array): boolean {
    return this.transfers.has(toHex(id));
  }

  /**
   * Adds a solid, unconfirmed transaction. Returns false (and does nothing) for non-transfers and
   * ids already present.
   */
  add(id: Uint8Array, tx: Transaction): boolean {
    if (tx.payload.type !== "transfer") return false;
    const key = toHex(id);
    if (this.transfers.has(key)) return false;
    const t: PendingTransfer = {
      sender: toHex(addressOf(tx.issuer)),
      inputs: tx.payload.inputs,
      outputs: tx.payload.outputs,
      recipients: tx.payload.outputs.map((o) => toHex(o.address)),
    };
    this.transfers.set(key, t);
    for (const addr of new Set([t.sender, ...t.recipients])) {
      let set = this.byAddress.get(addr);
      if (!set) this.byAddress.set(addr, (set = new Set()));
      set.add(key);
    }
    return true;
  }

  /** Removes a transaction once it is confirmed or marked conflicting. Returns whether it was here. */
  remove(id: Uint8Array): boolean {
    const key = toHex(id);
    const t = this.transfers.get(key);
    if (!t) return false;
    this.transfers.delete(key);
    for (const addr of new Set([t.sender, ...t.recipients])) {
      const set = this.byAddress.get(addr)!;
      set.delete(key);
      if (set.size === 0) this.byAddress.delete(addr);
    }
    return true;
  }

  pendingOf(address: Uint8Array): PendingAmounts {
    const addr = toHex(address);
    let incoming = 0n;
    let outgoing = 0n;
    for (const key of this.byAddress.get(addr) ?? []) {
      const t = this.transfers.get(key)!;
      t.recipients.forEach((r, i) => {
        if (r === addr) incoming += t.outputs[i].amount;
      });
      if (t.sender === addr) {
        for (const input of t.inputs) outgoing += this.amountOf(input) ?? 0n;
      }
    }
    return { incoming, outgoing };
  }

  private amountOf(input: Input): bigint | undefined {
    const creator = this.transfers.get(toHex(input.txId));
    if (creator) return creator.outputs[input.index]?.amount;
    return this.lookup(input.txId, input.index);
  }
}
