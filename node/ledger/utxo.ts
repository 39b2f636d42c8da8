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

/** Bytes of one unspent output in the set's slab: txId (32) | index u8 | address (32) | amount u64 LE. */
const RECORD_BYTES = 73;

/**
 * The unspent outputs in one slab of fixed-size records (freed records reused), found by output
 * key, and indexed by address. Each output used to be an object with two byte arrays of its own,
 * about 530 bytes of heap; a record is 73 bytes outside the heap's objects, and the maps hold a
 * key string and a number per output (docs/ledger.md, Memory). Outputs are returned as new objects.
 */
export class UtxoSet {
  /** output key -> record number */
  private readonly slots = new Map<string, number>();
  /** address hex -> record number of its one unspent output, or the set of them (insertion order) */
  private readonly byAddress = new Map<string, number | Set<number>>();
  private records = new Uint8Array(RECORD_BYTES * 1024);
  private view = new DataView(this.records.buffer);
  /** Records below `used` not in use, reused first. */
  private readonly free: number[] = [];
  private used = 0;

  get unspentCount(): number {
    return this.slots.size;
  }

  getUnspent(txId: Uint8Array, index: number): UnspentOutput | undefined {
    const slot = this.slots.get(outputKey(txId, index));
    return slot === undefined ? undefined : this.read(slot);
  }

  isUnspentKey(key: string): boolean {
    return this.slots.has(key);
  }

  /** Adds an unspent output. The caller checked that its id is new. */
  addUnspent(o: UnspentOutput): void {
    const slot = this.free.pop() ?? this.grow();
    const at = slot * RECORD_BYTES;
    this.records.set(o.txId, at);
    this.records[at + 32] = o.index;
    this.records.set(o.address, at + 33);
    this.view.setBigUint64(at + 65, o.amount, true);
    this.slots.set(outputKey(o.txId, o.index), slot);
    const addr = toHex(o.address);
    const had = this.byAddress.get(addr);
    if (had === undefined) this.byAddress.set(addr, slot);
    else if (typeof had === "number") this.byAddress.set(addr, new Set([had, slot]));
    else had.add(slot);
  }

  /** Removes an unspent output and returns its spent record. The caller checked that it is unspent. */
  markSpent(key: string, spentBy: Uint8Array, milestoneIndex: number): SpentOutput {
    const slot = this.slots.get(key)!;
    const o = this.read(slot);
    this.slots.delete(key);
    const addr = toHex(o.address);
    const had = this.byAddress.get(addr)!;
    if (typeof had === "number") this.byAddress.delete(addr);
    else {
      had.delete(slot);
      if (had.size === 1) this.byAddress.set(addr, had.values().next().value as number);
    }
    this.free.push(slot);
    return { ...o, spentBy, milestoneIndex };
  }

  /** Unspent outputs of one address, oldest first. */
  unspentOf(address: Uint8Array): UnspentOutput[] {
    const had = this.byAddress.get(toHex(address));
    if (had === undefined) return [];
    return typeof had === "number" ? [this.read(had)] : [...had].map((slot) => this.read(slot));
  }

  *unspentOutputs(): IterableIterator<UnspentOutput> {
    for (const slot of this.slots.values()) yield this.read(slot);
  }

  private read(slot: number): UnspentOutput {
    const at = slot * RECORD_BYTES;
    return {
      txId: this.records.slice(at, at + 32),
      index: this.records[at + 32],
      address: this.records.slice(at + 33, at + 65),
      amount: this.view.getBigUint64(at + 65, true),
    };
  }

  /** A new record number at the end, the slab doubled when full. */
  private grow(): number {
    if ((this.used + 1) * RECORD_BYTES > this.records.length) {
      const bigger = new Uint8Array(this.records.length * 2);
      bigger.set(this.records);
      this.records = bigger;
      this.view = new DataView(bigger.buffer);
    }
    return this.used++;
  }
}
