/**
 * The confirmed ledger: UTXO set, per-address balances, the index of the last applied milestone,
 * the state hash chain and the ledger root (the sparse merkle tree of ledger-tree.ts over the
 * unspent outputs). It changes only through `apply(result)` with a white-flag result computed
 * against exactly this state (whiteflag.ts computes without mutating). The spent outputs are
 * asked of an injected `SpentOutputs` (utxo.ts): the node's reads its LMDB store, so the heap
 * holds the state, not the history of spends (issue 17).
 */
import { equalBytes, toHex } from "../../client/protocol/bytes";
import { MAX_AMOUNT } from "../../client/protocol/limits";
import { LedgerError, LedgerErrorCode as E } from "./errors";
import { Genesis, genesisOutputs, genesisStateHash, genesisTransactionId, validateGenesis } from "./genesis";
import { isOutputRef, MemorySpentOutputs, outputKey, SpentOutput, SpentOutputs, UnspentOutput, UtxoSet } from "./utxo";
import type { LedgerView, WhiteFlagResult } from "./whiteflag";
import { balanceChanges } from "./balance-changes";
import { LedgerTree, LedgerTreeEntry, outputTree, outputTreeEntries, outputTreeKeys } from "./ledger-tree";
import { LedgerProof, outputEntryKey, outputEntryValue, ledgerLeafKey } from "../../client/protocol/ledger-proof";
import { blake2b256 } from "../../core-wasm/src/blake2b";

/** Everything needed to rebuild a LedgerState (the node persists it; balances are derived). */
export interface LedgerSnapshot {
  networkId: number;
  ledgerIndex: number;
  stateHash: Uint8Array;
  unspent: UnspentOutput[];
  /** Spent records to restore (given to the ledger's SpentOutputs); the node's live in its store: none here. */
  spent: SpentOutput[];
}

/**
 * What `restore` reads: a snapshot whose unspent outputs may be any iterable, read once in order
 * (at open, a generator over the store, so that no array of them is held beside the UTXO set).
 */
export type LedgerSource = Omit<LedgerSnapshot, "unspent"> & { unspent: Iterable<UnspentOutput> };

interface TreeChanges {
  inserted: LedgerTreeEntry[];
  deleted: Uint8Array[];
}

interface TreePrediction {
  /** State hash the prediction was made on. */
  base: Uint8Array;
  /** The result last predicted (the same changes may come in another result object). */
  result: WhiteFlagResult;
  changes: TreeChanges;
  rootBefore: Uint8Array;
  rootAfter: Uint8Array;
  undo: { key: Uint8Array; valueHash: Uint8Array | undefined }[];
}

function sameChanges(a: TreeChanges, b: TreeChanges): boolean {
  if (a.inserted.length !== b.inserted.length || a.deleted.length !== b.deleted.length) return false;
  for (let i = 0; i < a.inserted.length; i++) {
    if (!equalBytes(a.inserted[i].key, b.inserted[i].key) || !equalBytes(a.inserted[i].valueHash, b.inserted[i].valueHash)) return false;
  }
  for (let i = 0; i < a.deleted.length; i++) if (!equalBytes(a.deleted[i], b.deleted[i])) return false;
  return true;
}

function inconsistent(message: string): never {
  throw new LedgerError(E.LEDGER_INCONSISTENT, message);
}

export class LedgerState implements LedgerView {
  private readonly utxo = new UtxoSet();
  /** address hex -> confirmed balance (absent = 0) */
  private readonly balances = new Map<string, bigint>();
  /** The ledger root's tree, in step with `utxo` (rebuilt from it by restore, not persisted). */
  private tree = new LedgerTree();
  /**
   * A transition `ledgerRootAfter` left in the tree: the tree holds the state after it and `undo`
   * brings back the applied state. A milestone is predicted by its proposer, predicted again by
   * the node that checks it, then applied: kept, that is one tree update instead of three.
   */
  private predicted?: TreePrediction;
  private index: number;
  private hash: Uint8Array;

  private constructor(
    readonly networkId: number,
    ledgerIndex: number,
    stateHash: Uint8Array,
    private readonly spent: SpentOutputs,
  ) {
    this.index = ledgerIndex;
    this.hash = stateHash.slice();
  }

  /**
   * The ledger at index 0: the genesis outputs, owned by the virtual genesis transaction. Spent
   * records go to `spent` (default: a map in the heap).
   */
  static fromGenesis(genesis: Genesis, spent: SpentOutputs = new MemorySpentOutputs()): LedgerState {
    const g = validateGenesis(genesis);
    const ledger = new LedgerState(g.networkId, 0, genesisStateHash(g), spent);
    const txId = genesisTransactionId(g);
    const outputs = genesisOutputs(g).map((o, index) => ({ txId, index, address: o.address, amount: o.amount }));
    for (const o of outputs) ledger.addOutput(o);
    ledger.tree = outputTree(outputs);
    return ledger;
  }

  /**
   * Rebuilds a ledger from a snapshot, asking `spent` (default: a map in the heap) for the spent
   * records, the snapshot's own added to it. Throws LedgerError (ERR_LEDGER_INCONSISTENT) on bad
   * data.
   */
  static restore(s: LedgerSource, spent: SpentOutputs = new MemorySpentOutputs()): LedgerState {
    if (!Number.isInteger(s.networkId) || s.networkId < 0 || s.networkId > 0xffffffff) inconsistent("snapshot networkId out of range");
    if (!Number.isInteger(s.ledgerIndex) || s.ledgerIndex < 0 || s.ledgerIndex > 0xffffffff) inconsistent("snapshot ledgerIndex out of range");
    if (!(s.stateHash instanceof Uint8Array) || s.stateHash.length !== 32) inconsistent("snapshot stateHash must be 32 bytes");
    const ledger = new LedgerState(s.networkId, s.ledgerIndex, s.stateHash, spent);
    const check = (o: UnspentOutput, what: string) => {
      if (!isOutputRef(o.txId, o.index) || !(o.address instanceof Uint8Array) || o.address.length !== 32) inconsistent(`snapshot ${what} output is malformed`);
      if (typeof o.amount !== "bigint" || o.amount < 1n || o.amount > MAX_AMOUNT) inconsistent(`snapshot ${what} output amount out of range`);
      if (ledger.exists(o.txId, o.index)) inconsistent(`snapshot lists output ${outputKey(o.txId, o.index)} twice`);
    };
    for (const o of s.unspent) {
      check(o, "unspent");
      ledger.addOutput(o);
    }
    if (ledger.supply() > MAX_AMOUNT) inconsistent("snapshot supply past 2^64 - 1");
    ledger.tree = ledger.utxoTree();
    for (const o of s.spent) {
      check(o, "spent");
      if (!Number.isInteger(o.milestoneIndex) || o.milestoneIndex < 1 || o.milestoneIndex > s.ledgerIndex) inconsistent("snapshot spent output milestone out of range");
      ledger.spent.record(o);
    }
    return ledger;
  }

  /** Index of the last applied milestone (0 = genesis). */
  get ledgerIndex(): number {
    return this.index;
  }

  /** State hash after the last applied milestone (a copy). */
  get stateHash(): Uint8Array {
    return this.hash.slice();
  }

  /** The unspent output (txId, index), if any. Treat the returned object as read-only. */
  getOutput(txId: Uint8Array, index: number): UnspentOutput | undefined {
    return isOutputRef(txId, index) ? this.utxo.getUnspent(txId, index) : undefined;
  }

  /** The spent record of (txId, index), if a transfer confirmed by an applied milestone spent it. */
  getSpent(txId: Uint8Array, index: number): SpentOutput | undefined {
    if (!isOutputRef(txId, index)) return undefined;
    const s = this.spent.get(txId, index);
    // The node's store holds the records of a milestone from its commit on, a moment before apply.
    return s && s.milestoneIndex <= this.index ? s : undefined;
  }

  isSpent(txId: Uint8Array, index: number): boolean {
    return this.getSpent(txId, index) !== undefined;
  }

  /** Confirmed balance of an address. */
  balanceOf(address: Uint8Array): bigint {
    return this.balances.get(toHex(address)) ?? 0n;
  }

  /** Unspent outputs of an address. */
  outputsOf(address: Uint8Array): UnspentOutput[] {
    return this.utxo.unspentOf(address);
  }

  get unspentCount(): number {
    return this.utxo.unspentCount;
  }

  /** The ledger root after the last applied milestone (32 bytes, a copy; docs/ledger.md). */
  ledgerRoot(): Uint8Array {
    return this.predicted ? this.predicted.rootBefore.slice() : this.tree.root();
  }

  /**
   * The ledger root this ledger would have after `apply(result)`, without applying it (a
   * proposer puts it into the milestone it issues; a node compares it before applying). The
   * result must be one `apply` would accept. Nothing observable changes; the tree keeps the
   * predicted state until something else is asked of it, so that applying the same result next
   * costs no tree work.
   */
  ledgerRootAfter(result: WhiteFlagResult): Uint8Array {
    if (this.isPredicted(result)) return this.predicted!.rootAfter.slice();
    const changes = this.treeChanges(result);
    if (this.predictedChanges(changes)) {
      this.predicted!.result = result;
      return this.predicted!.rootAfter.slice();
    }
    const tree = this.appliedTree();
    const rootBefore = tree.root();
    const undo: TreePrediction["undo"] = [];
    for (const e of changes.inserted) undo.push({ key: e.key, valueHash: tree.get(e.key) });
    for (const key of changes.deleted) undo.push({ key, valueHash: tree.get(key) });
    this.predicted = { base: this.hash.slice(), result, changes, rootBefore, rootAfter: rootBefore, undo };
    for (const e of changes.inserted) tree.set(e.key, e.valueHash);
    for (const key of changes.deleted) tree.delete(key);
    this.predicted.rootAfter = tree.root();
    return this.predicted.rootAfter.slice();
  }

  /** Proof that the output (txId, index) is unspent, or that it is not, against `ledgerRoot()`. */
  proveOutput(txId: Uint8Array, index: number): LedgerProof {
    return this.appliedTree().prove(ledgerLeafKey(outputEntryKey(txId, index)));
  }

  /** Entries in the ledger root's tree (equal to unspentCount). */
  get ledgerTreeSize(): number {
    return this.appliedTree().size;
  }

  /** Sum of all balances; constant after genesis (no fees, no minting). */
  supply(): bigint {
    let s = 0n;
    for (const v of this.balances.values()) s += v;
    return s;
  }

  /** Addresses with a non-zero balance, hex -> balance. */
  balanceEntries(): IterableIterator<[string, bigint]> {
    return this.balances.entries();
  }

  snapshot(): LedgerSnapshot {
    return {
      networkId: this.networkId,
      ledgerIndex: this.index,
      stateHash: this.hash.slice(),
      unspent: [...this.utxo.unspentOutputs()],
      spent: [...this.spent.all()].filter((s) => s.milestoneIndex <= this.index),
    };
  }

  /**
   * Applies a white-flag result. Refuses, without changing anything, a result that is not for
   * milestone ledgerIndex + 1 (ERR_LEDGER_INDEX_MISMATCH), that was computed against another
   * state (ERR_LEDGER_STATE_MISMATCH) or that contradicts the UTXO set (ERR_LEDGER_INCONSISTENT).
   */
  apply(result: WhiteFlagResult): void {
    if (result.milestoneIndex !== this.index + 1) {
      throw new LedgerError(E.LEDGER_INDEX_MISMATCH, `result is for milestone ${result.milestoneIndex}, the ledger expects ${this.index + 1}`);
    }
    if (!equalBytes(result.prevStateHash, this.hash)) {
      throw new LedgerError(E.LEDGER_STATE_MISMATCH, `result was computed against state ${toHex(result.prevStateHash)}, the ledger is at ${toHex(this.hash)}`);
    }
    // Check everything first so that a refused result leaves the ledger untouched.
    const createdKeys = new Set<string>();
    for (const c of result.created) {
      const key = outputKey(c.txId, c.index);
      if (createdKeys.has(key) || this.exists(c.txId, c.index)) inconsistent(`result creates output ${key}, which exists`);
      createdKeys.add(key);
    }
    const consumedKeys = new Set<string>();
    const createdHere = new Map(result.created.map((c) => [outputKey(c.txId, c.index), c]));
    for (const c of result.consumed) {
      const key = outputKey(c.txId, c.index);
      if (consumedKeys.has(key) || !(this.utxo.isUnspentKey(key) || createdKeys.has(key))) inconsistent(`result consumes output ${key}, which is not unspent`);
      // The balance changes are computed from the result's records: they must be the outputs'.
      const out = createdHere.get(key) ?? this.utxo.getUnspent(c.txId, c.index)!;
      if (!equalBytes(out.address, c.address) || out.amount !== c.amount) inconsistent(`result consumes output ${key} with another address or amount than it has`);
      consumedKeys.add(key);
    }
    // Outputs created and spent within this milestone are consumed too, so creating first is safe.
    for (const c of result.created) this.utxo.addUnspent({ txId: c.txId, index: c.index, address: c.address, amount: c.amount });
    for (const c of result.consumed) this.spent.record(this.utxo.markSpent(outputKey(c.txId, c.index), c.spentBy, result.milestoneIndex));
    for (const [address, delta] of balanceChanges(result)) this.addBalance(address, delta);
    const changes = this.isPredicted(result) ? undefined : this.treeChanges(result);
    if (!changes || this.predictedChanges(changes)) {
      this.predicted = undefined; // the tree already holds this state
    } else {
      const tree = this.appliedTree();
      for (const e of changes.inserted) tree.set(e.key, e.valueHash);
      for (const key of changes.deleted) tree.delete(key);
    }
    this.index = result.milestoneIndex;
    this.hash = result.stateHash.slice();
  }

  /** Whether the tree holds the prediction of this very result (results are not changed after white flag). */
  private isPredicted(result: WhiteFlagResult): boolean {
    const p = this.predicted;
    return p !== undefined && p.result === result && equalBytes(p.base, this.hash);
  }

  /** Whether the tree holds a prediction of these changes on the current state. */
  private predictedChanges(changes: TreeChanges): boolean {
    const p = this.predicted;
    return p !== undefined && equalBytes(p.base, this.hash) && sameChanges(p.changes, changes);
  }

  /** The tree as of the last applied milestone: undoes a prediction left in it. */
  private appliedTree(): LedgerTree {
    const p = this.predicted;
    if (p) {
      this.predicted = undefined;
      for (let i = p.undo.length - 1; i >= 0; i--) {
        const u = p.undo[i];
        if (u.valueHash) this.tree.set(u.key, u.valueHash);
        else this.tree.delete(u.key);
      }
    }
    return this.tree;
  }

  /** The result's net effect on the tree: outputs created and not spent, outputs spent that existed before. */
  private treeChanges(result: WhiteFlagResult): TreeChanges {
    const consumed = new Set(result.consumed.map((c) => outputKey(c.txId, c.index)));
    const created = new Set(result.created.map((c) => outputKey(c.txId, c.index)));
    return {
      inserted: outputTreeEntries(result.created.filter((c) => !consumed.has(outputKey(c.txId, c.index)))),
      deleted: outputTreeKeys(result.consumed.filter((c) => !created.has(outputKey(c.txId, c.index)))),
    };
  }

  /** The ledger root's tree of the unspent outputs, built in one pass from the UTXO set (ledger-tree.ts, outputTree). */
  private utxoTree(): LedgerTree {
    const k = new Uint8Array(34);
    const v = new Uint8Array(40);
    const outputs = this.utxo.unspentOutputs();
    return LedgerTree.buildWith(this.utxo.unspentCount, (_i, keys, values, at) => {
      const o = outputs.next().value as UnspentOutput;
      keys.set(blake2b256(outputEntryKey(o.txId, o.index, k)), at);
      values.set(blake2b256(outputEntryValue(o.address, o.amount, v)), at);
    });
  }

  /** Whether the output (txId, index) is unspent or was spent (a well-formed reference). */
  private exists(txId: Uint8Array, index: number): boolean {
    return this.utxo.isUnspentKey(outputKey(txId, index)) || this.getSpent(txId, index) !== undefined;
  }

  private addOutput(o: UnspentOutput): void {
    this.utxo.addUnspent(o);
    this.addBalance(o.address, o.amount);
  }

  private addBalance(address: Uint8Array | string, delta: bigint): void {
    const key = typeof address === "string" ? address : toHex(address);
    const v = (this.balances.get(key) ?? 0n) + delta;
    if (v === 0n) this.balances.delete(key);
    else this.balances.set(key, v);
  }
}
