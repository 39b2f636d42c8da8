/**
 * The UTXO set: unspent outputs keyed by output id (creating transaction id || u8 output index),
 * indexed by address. Only the ledger (ledger.ts) mutates it. The outputs that confirmed transfers
 * spent are not kept here but asked of a `SpentOutputs` (the node's: its LMDB store), so the heap
 * holds the ledger state only, never its history (issue 17).
 */
import { toHex } from "../../client/protocol/bytes";

/** An output in the ledger. */
export interface UnspentOutput {
  /** Id of the transaction that created it (the virtual genesis transaction for genesis outputs). */
  txId: Uint8Array;
  /** Its index among that transaction's outputs, 0..127. */
  index: number;
  address: Uint8Array;
  amount: bigint;
}

/** An output that a confirmed transfer spent. */
export interface SpentOutput extends UnspentOutput {
  /** Id of the applied transfer that spent it. */
  spentBy: Uint8Array;
  /** Milestone that confirmed that transfer. */
  milestoneIndex: number;
}

/** Output created by an applied transfer (white-flag result). */
export type CreatedOutput = UnspentOutput;

/** Output consumed by an applied transfer (white-flag result). */
export interface ConsumedOutput extends UnspentOutput {
  spentBy: Uint8Array;
}

export const OUTPUT_ID_BYTES = 33;

/** Whether (txId, index) can name an output at all: a 32-byte id and a u8 index. */
export function isOutputRef(txId: unknown, index: unknown): boolean {
  return txId instanceof Uint8Array && txId.length === 32 && typeof index === "number" && Number.isInteger(index) && index >= 0 && index <= 0xff;
}

/** Map key of an output: hex of the 33-byte output id. */
export function outputKey(txId: Uint8Array, index: number): string {
  return toHex(txId) + (index < 16 ? "0" : "") + index.toString(16);
}

/** The 33-byte output id (storage keys): txId || u8 index. */
export function outputIdBytes(txId: Uint8Array, index: number): Uint8Array {
  const b = new Uint8Array(OUTPUT_ID_BYTES);
  b.set(txId, 0);
  b[32] = index;
  return b;
}

/**
 * Where the ledger finds the outputs that confirmed transfers spent, so that a later spend of one
 * can be told apart from a spend of an output that never existed. The node's (node/replay.ts)
 * reads its LMDB store, where the milestone's commit wrote them; `MemorySpentOutputs` keeps them
 * in a map (tests of the pure ledger, tools). Lookups must be synchronous and cheap: white flag
 * asks once per transfer input.
 */
export interface SpentOutputs {
  /**
   * The spent record of (txId, index), if there is one. It may be newer than the ledger that asks
   * (the node's store commits a milestone before the ledger applies it): the ledger only counts
   * records of milestones it applied.
   */
  get(txId: Uint8Array, index: number): SpentOutput | undefined;
  /** The ledger applied this spend (or restored it from a snapshot); the node's store wrote it already. */
  record(s: SpentOutput): void;
  /** Every record (LedgerState.snapshot). */
  all(): Iterable<SpentOutput>;
}

/** Spent records in a map: for the pure ledger's tests and for tools that replay a history in memory. */
export class MemorySpentOutputs implements SpentOutputs {
  private readonly spent = new Map<string, SpentOutput>();

  get size(): number {
    return this.spent.size;
  }

  get(txId: Uint8Array, index: number): SpentOutput | undefined {
    return this.spent.get(outputKey(txId, index));
  }

  record(s: SpentOutput): void {
    this.spent.set(outputKey(s.txId, s.index), s);
  }

  all(): IterableIterator<SpentOutput> {
    return this.spent.values();
  }
}

export class UtxoSet {
  private readonly unspent = new Map<string, UnspentOutput>();
  /** address hex -> keys of its unspent outputs */
  private readonly byAddress = new Map<string, Set<string>>();

  get unspentCount(): number {
    return this.unspent.size;
  }

  getUnspent(txId: Uint8Array, index: number): UnspentOutput | undefined {
    return this.unspent.get(outputKey(txId, index));
  }

  isUnspentKey(key: string): boolean {
    return this.unspent.has(key);
  }

  /** Adds an unspent output. The caller checked that its id is new. */
  addUnspent(o: UnspentOutput): void {
    const key = outputKey(o.txId, o.index);
    this.unspent.set(key, o);
    const addr = toHex(o.address);
    let set = this.byAddress.get(addr);
    if (!set) this.byAddress.set(addr, (set = new Set()));
    set.add(key);
  }

  /** Removes an unspent output and returns its spent record. The caller checked that it is unspent. */
  markSpent(key: string, spentBy: Uint8Array, milestoneIndex: number): SpentOutput {
    const o = this.unspent.get(key)!;
    this.unspent.delete(key);
    const addr = toHex(o.address);
    const set = this.byAddress.get(addr)!;
    set.delete(key);
    if (set.size === 0) this.byAddress.delete(addr);
    return { ...o, spentBy, milestoneIndex };
  }

  /** Unspent outputs of one address. */
  unspentOf(address: Uint8Array): UnspentOutput[] {
    const set = this.byAddress.get(toHex(address));
    return set ? [...set].map((k) => this.unspent.get(k)!) : [];
  }

  unspentOutputs(): IterableIterator<UnspentOutput> {
    return this.unspent.values();
  }
}
