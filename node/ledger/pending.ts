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
 *
 * Entries are attachments (transaction ids), grouped by essence hash, the identity a reattachment
 * keeps (DESIGN.md §2). An attachment leaves when a milestone confirms it, when a milestone
 * confirms another attachment of its essence in a way that decides the essence (`settle`), or when
 * it leaves the node's window (`evict`): a stale original must not count beside its confirmed
 * reattachment, nor forever.
 */
import type { Input, Output, Transaction } from "../../client/protocol/codec";
import { encodeEssence, signingHash } from "../../client/protocol/codec";
import { toHex } from "../../client/protocol/bytes";
import { addressOf } from "../../client/protocol/keys";
import { ConflictReason } from "./errors";
import type { LedgerState } from "./ledger";

/** Amount of output (txId, index) if known. */
export type OutputAmountLookup = (txId: Uint8Array, index: number) => bigint | undefined;

/** A lookup over the confirmed ledger: unspent outputs and spent records alike. */
export function ledgerAmountLookup(ledger: Pick<LedgerState, "getOutput" | "getSpent">): OutputAmountLookup {
  return (txId, index) => (ledger.getOutput(txId, index) ?? ledger.getSpent(txId, index))?.amount;
}

/**
 * Whether a confirmed attachment with this white-flag outcome (undefined = applied) decides its
 * essence, so that no other attachment of it can ever apply: applied, or conflicting for a reason
 * that stays true. INPUT_UNKNOWN does not: the missing output may be confirmed later, and a
 * reattachment of the same essence applied then.
 */
export function decidesEssence(conflict: string | undefined): boolean {
  return conflict !== ConflictReason.INPUT_UNKNOWN;
}

export interface PendingAmounts {
  incoming: bigint;
  outgoing: bigint;
}

interface PendingTransfer {
  /** Essence hash, hex. */
  essence: string;
  /** Issuer's address, hex. */
  sender: string;
  inputs: Input[];
  outputs: Output[];
  /** Address hex of every output, parallel to outputs. */
  recipients: string[];
}

export class PendingIndex {
  /** id hex -> transfer, in the order added (arrival order: what `evict` relies on). */
  private readonly transfers = new Map<string, PendingTransfer>();
  /** address hex -> ids (hex) of pending transfers that send from or to it */
  private readonly byAddress = new Map<string, Set<string>>();
  /** essence hash hex -> ids (hex) of its pending attachments */
  private readonly byEssence = new Map<string, Set<string>>();

  constructor(private readonly lookup: OutputAmountLookup) {}

  get size(): number {
    return this.transfers.size;
  }

  has(id: Uint8Array): boolean {
    return this.transfers.has(toHex(id));
  }

  /**
   * Adds a solid, unconfirmed transaction. Returns false (and does nothing) for non-transfers and
   * ids already present. `essenceHash` (BLAKE2b-256 of the essence bytes, the signing hash) is
   * computed from `tx` when not given.
   */
  add(id: Uint8Array, tx: Transaction, essenceHash?: Uint8Array): boolean {
    if (tx.payload.type !== "transfer") return false;
    const key = toHex(id);
    if (this.transfers.has(key)) return false;
    const t: PendingTransfer = {
      essence: toHex(essenceHash ?? signingHash(encodeEssence(tx))),
      sender: toHex(addressOf(tx.issuer)),
      inputs: tx.payload.inputs,
      outputs: tx.payload.outputs,
      recipients: tx.payload.outputs.map((o) => toHex(o.address)),
    };
    this.transfers.set(key, t);
    for (const addr of new Set([t.sender, ...t.recipients])) addTo(this.byAddress, addr, key);
    addTo(this.byEssence, t.essence, key);
    return true;
  }

  /** Removes one attachment (it was confirmed or marked conflicting). Returns whether it was here. */
  remove(id: Uint8Array): boolean {
    return this.removeKey(toHex(id));
  }

  /**
   * A milestone confirmed attachment `id` with white-flag outcome `conflict` (undefined: applied).
   * Removes it and, when the outcome decides the essence (`decidesEssence`), every other pending
   * attachment of the same essence. Returns how many attachments left.
   */
  settle(id: Uint8Array, conflict?: string): number {
    const key = toHex(id);
    const t = this.transfers.get(key);
    if (!t) return 0;
    if (!decidesEssence(conflict)) return this.removeKey(key) ? 1 : 0;
    return this.removeEssenceHex(t.essence);
  }

  /** Removes every pending attachment of an essence (one of its attachments decided it). */
  settleEssence(essenceHash: Uint8Array): number {
    return this.removeEssenceHex(toHex(essenceHash));
  }

  /**
   * Removes attachments that left the window, oldest first, until the oldest left is still in it
   * (`inWindow`). Attachments are added in arrival order, the order the window evicts in, so each
   * call looks at one entry beyond those it removes. Returns how many left.
   */
  evict(inWindow: (idHex: string) => boolean): number {
    let n = 0;
    for (const key of this.transfers.keys()) {
      if (inWindow(key)) break;
      this.removeKey(key);
      n++;
    }
    return n;
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

  private removeEssenceHex(essence: string): number {
    const ids = this.byEssence.get(essence);
    if (!ids) return 0;
    let n = 0;
    for (const key of [...ids]) if (this.removeKey(key)) n++;
    return n;
  }

  private removeKey(key: string): boolean {
    const t = this.transfers.get(key);
    if (!t) return false;
    this.transfers.delete(key);
    for (const addr of new Set([t.sender, ...t.recipients])) deleteFrom(this.byAddress, addr, key);
    deleteFrom(this.byEssence, t.essence, key);
    return true;
  }

  private amountOf(input: Input): bigint | undefined {
    const creator = this.transfers.get(toHex(input.txId));
    if (creator) return creator.outputs[input.index]?.amount;
    return this.lookup(input.txId, input.index);
  }
}

function addTo(map: Map<string, Set<string>>, k: string, v: string): void {
  let set = map.get(k);
  if (!set) map.set(k, (set = new Set()));
  set.add(v);
}

function deleteFrom(map: Map<string, Set<string>>, k: string, v: string): void {
  const set = map.get(k);
  if (!set) return;
  set.delete(v);
  if (set.size === 0) map.delete(k);
}
