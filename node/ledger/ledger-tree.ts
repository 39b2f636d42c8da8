/**
 * The ledger root's tree: a sparse merkle tree over 256-bit leaf keys with single-entry subtrees
 * compressed into their leaf (docs/ledger.md, "Ledger root"; the hashes are defined once, in
 * client/protocol/ledger-proof.ts). Pure: no I/O.
 *
 * Nodes live in flat typed arrays (an arena): 41 bytes a node and 64 more a leaf, 164 bytes an
 * entry (bench/ledger-root/); an object per node with its own Uint8Array hash would add their
 * headers to every node and give the garbage collector millions of objects to walk. A change
 * re-links the O(log n) nodes on its key's path and marks them dirty; `root()` hashes the dirty
 * nodes only (bench/ledger-root/ measures both against recomputing the whole tree).
 */
import { blake2b256 } from "../../core-wasm/src/blake2b";
import {
  keyBit,
  LEDGER_EMPTY_HASH,
  LEDGER_KEY_BITS,
  LEDGER_LEAF_TAG,
  LEDGER_NODE_TAG,
  LedgerProof,
  outputEntryKey,
  outputEntryValue,
} from "../../client/protocol/ledger-proof";

/** Child value of an empty subtree. */
const EMPTY = -1;
/** `left` of a leaf node (its `right` is its slot in the leaf arrays). */
const LEAF = -2;

export interface LedgerTreeEntry {
  /** H(entry key), 32 bytes. */
  key: Uint8Array;
  /** H(entry value), 32 bytes. */
  valueHash: Uint8Array;
}

function assertHash(name: string, b: Uint8Array): void {
  if (!(b instanceof Uint8Array) || b.length !== 32) throw new TypeError(`${name} must be 32 bytes`);
}

export class LedgerTree {
  // Node arena: children (or LEAF + leaf slot), a 32-byte hash, a dirty flag.
  private left = new Int32Array(16);
  private right = new Int32Array(16);
  private hashes = new Uint8Array(16 * 32);
  private dirty = new Uint8Array(16);
  private nodeCount = 0;
  private freeNodes: number[] = [];
  // Leaf arena: key and value hash of each leaf.
  private keys = new Uint8Array(16 * 32);
  private values = new Uint8Array(16 * 32);
  private leafCount = 0;
  private freeLeaves: number[] = [];

  private rootNode = EMPTY;
  private entries = 0;
  /** Input of one leaf or node hash (65 bytes). */
  private readonly scratch = new Uint8Array(65);

  /** Number of entries. */
  get size(): number {
    return this.entries;
  }

  /** Builds a tree of `entries` at once (distinct keys; a repeated key throws TypeError). */
  static build(entries: readonly LedgerTreeEntry[]): LedgerTree {
    return LedgerTree.buildWith(entries.length, (i, keys, values, at) => {
      assertHash(`entries[${i}].key`, entries[i].key);
      assertHash(`entries[${i}].valueHash`, entries[i].valueHash);
      keys.set(entries[i].key, at);
      values.set(entries[i].valueHash, at);
    });
  }

  /**
   * Builds a tree of `n` entries that `write` puts straight into the leaf arrays (entry i's key
   * and value hash at byte `at` = 32 i of `keys` and `values`): at a million entries, an array of
   * entry objects in between cost about as much as the hashing.
   */
  static buildWith(n: number, write: (i: number, keys: Uint8Array, values: Uint8Array, at: number) => void): LedgerTree {
    const t = new LedgerTree();
    // About 1.44 n nodes with two children or one (random keys) above n leaves.
    t.reserve(Math.ceil(2.5 * n), n);
    // Leaf slot i holds entry i; the partition below reads the keys from the flat array.
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      write(i, t.keys, t.values, 32 * i);
      order[i] = i;
    }
    t.leafCount = n;
    const keys = t.keys;
    // MSD radix partition on the key bits: the tree's own shape, no comparison sort needed.
    const build = (lo: number, hi: number, depth: number): number => {
      if (hi === lo) return EMPTY;
      if (hi - lo === 1) {
        const leaf = t.allocNode();
        t.left[leaf] = LEAF;
        t.right[leaf] = order[lo];
        t.dirty[leaf] = 1;
        return leaf;
      }
      if (depth === LEDGER_KEY_BITS) throw new TypeError("entries hold the same key twice");
      const byte = depth >> 3;
      const mask = 0x80 >> (depth & 7);
      let i = lo;
      let j = hi - 1;
      while (i <= j) {
        if ((keys[32 * order[i] + byte] & mask) === 0) i++;
        else {
          const x = order[i];
          order[i] = order[j];
          order[j] = x;
          j--;
        }
      }
      const l = build(lo, i, depth + 1);
      const r = build(i, hi, depth + 1);
      return t.newInternal(l, r);
    };
    t.rootNode = build(0, n, 0);
    t.entries = n;
    return t;
  }

  /** Value hash stored under `key`, if any (a copy). */
  get(key: Uint8Array): Uint8Array | undefined {
    assertHash("key", key);
    const leaf = this.findLeaf(key);
    return leaf === EMPTY ? undefined : this.values.slice(32 * this.right[leaf], 32 * this.right[leaf] + 32);
  }

  has(key: Uint8Array): boolean {
    assertHash("key", key);
    return this.findLeaf(key) !== EMPTY;
  }

  /** Inserts or updates an entry. Returns true when the key is new. */
  set(key: Uint8Array, valueHash: Uint8Array): boolean {
    assertHash("key", key);
    assertHash("valueHash", valueHash);
    const before = this.entries;
    this.rootNode = this.insert(this.rootNode, 0, key, valueHash);
    return this.entries > before;
  }

  /** Removes an entry. Returns false (and changes nothing) when the key is absent. */
  delete(key: Uint8Array): boolean {
    assertHash("key", key);
    const r = this.remove(this.rootNode, 0, key);
    if (r === null) return false;
    this.rootNode = r;
    this.entries--;
    return true;
  }

  /** The root hash: hashes what changed since the last call (a copy). */
  root(): Uint8Array {
    if (this.rootNode === EMPTY) return LEDGER_EMPTY_HASH.slice();
    this.rehash();
    return this.hashes.slice(32 * this.rootNode, 32 * this.rootNode + 32);
  }

  /** Membership or non-membership proof for `key` against `root()`. */
  prove(key: Uint8Array): LedgerProof {
    assertHash("key", key);
    this.rehash();
    const siblings: (Uint8Array | null)[] = [];
    let n = this.rootNode;
    let depth = 0;
    while (n !== EMPTY && this.left[n] !== LEAF) {
      const bit = keyBit(key, depth);
      const sib = bit ? this.left[n] : this.right[n];
      siblings.push(sib === EMPTY ? null : this.hashes.slice(32 * sib, 32 * sib + 32));
      n = bit ? this.right[n] : this.left[n];
      depth++;
    }
    if (n === EMPTY) return { siblings, leaf: null };
    const s = 32 * this.right[n];
    return { siblings, leaf: { key: this.keys.slice(s, s + 32), valueHash: this.values.slice(s, s + 32) } };
  }

  /** Every entry, in key order. */
  *entriesInOrder(): IterableIterator<LedgerTreeEntry> {
    const stack: number[] = this.rootNode === EMPTY ? [] : [this.rootNode];
    while (stack.length) {
      const n = stack.pop()!;
      if (this.left[n] === LEAF) {
        const s = 32 * this.right[n];
        yield { key: this.keys.slice(s, s + 32), valueHash: this.values.slice(s, s + 32) };
        continue;
      }
      if (this.right[n] !== EMPTY) stack.push(this.right[n]);
      if (this.left[n] !== EMPTY) stack.push(this.left[n]);
    }
  }

  /** Bytes held by the arenas (typed arrays only, spare capacity included), for the memory figures. */
  get arenaBytes(): number {
    return this.left.byteLength + this.right.byteLength + this.hashes.byteLength + this.dirty.byteLength + this.keys.byteLength + this.values.byteLength;
  }

  /** Bytes of the arenas in use: 41 per node (children, hash, flag), 64 more per leaf. */
  get usedBytes(): number {
    return 41 * (this.nodeCount - this.freeNodes.length) + 64 * (this.leafCount - this.freeLeaves.length);
  }

  // ---- structure ----------------------------------------------------------------------------------

  private findLeaf(key: Uint8Array): number {
    let n = this.rootNode;
    let depth = 0;
    while (n !== EMPTY && this.left[n] !== LEAF) n = keyBit(key, depth++) ? this.right[n] : this.left[n];
    return n !== EMPTY && this.leafKeyEquals(n, key) ? n : EMPTY;
  }

  private leafKeyEquals(n: number, key: Uint8Array): boolean {
    const s = 32 * this.right[n];
    for (let i = 0; i < 32; i++) if (this.keys[s + i] !== key[i]) return false;
    return true;
  }

  private insert(n: number, depth: number, key: Uint8Array, valueHash: Uint8Array): number {
    if (n === EMPTY) {
      this.entries++;
      return this.newLeaf(key, valueHash);
    }
    if (this.left[n] === LEAF) {
      if (this.leafKeyEquals(n, key)) {
        this.values.set(valueHash, 32 * this.right[n]);
        this.dirty[n] = 1;
        return n;
      }
      return this.split(n, depth, key, valueHash);
    }
    // The arrays may be replaced while inserting below (they grow): read them again after.
    const bit = keyBit(key, depth);
    const child = this.insert(bit ? this.right[n] : this.left[n], depth + 1, key, valueHash);
    if (bit) this.right[n] = child;
    else this.left[n] = child;
    this.dirty[n] = 1;
    return n;
  }

  /** The subtree at `depth` held leaf `old` alone; it now holds `key` too. */
  private split(old: number, depth: number, key: Uint8Array, valueHash: Uint8Array): number {
    const oldKey = this.keys.subarray(32 * this.right[old], 32 * this.right[old] + 32);
    let at = depth;
    while (keyBit(key, at) === keyBit(oldKey, at)) at++;
    this.entries++;
    const fresh = this.newLeaf(key, valueHash);
    let n = keyBit(key, at) ? this.newInternal(old, fresh) : this.newInternal(fresh, old);
    // Shared bits above the split: a chain of nodes whose other child is empty.
    for (let d = at - 1; d >= depth; d--) n = keyBit(key, d) ? this.newInternal(EMPTY, n) : this.newInternal(n, EMPTY);
    return n;
  }

  /** Removes `key` below `n`; the new subtree, or null when the key is not there. */
  private remove(n: number, depth: number, key: Uint8Array): number | null {
    if (n === EMPTY) return null;
    if (this.left[n] === LEAF) {
      if (!this.leafKeyEquals(n, key)) return null;
      this.freeNode(n);
      return EMPTY;
    }
    const bit = keyBit(key, depth);
    const child = bit ? this.right[n] : this.left[n];
    const r = this.remove(child, depth + 1, key);
    if (r === null) return null;
    const other = bit ? this.left[n] : this.right[n];
    // A subtree left with one entry is that entry's leaf (compression); with none, it is empty.
    if (r === EMPTY && (other === EMPTY || this.left[other] === LEAF)) {
      this.freeNode(n);
      return other;
    }
    if (other === EMPTY && this.left[r] === LEAF) {
      this.freeNode(n);
      return r;
    }
    if (bit) this.right[n] = r;
    else this.left[n] = r;
    this.dirty[n] = 1;
    return n;
  }

  // ---- hashing ------------------------------------------------------------------------------------

  /**
   * Hashes every dirty node, children before parents. One call per node: blake2bMany was slower
   * here (about 620 ns per 65-byte input against 310 ns for blake2b256 on one core: its per-item
   * checks and copies cost more than the calls it saves).
   */
  private rehash(): void {
    if (this.rootNode === EMPTY || !this.dirty[this.rootNode]) return;
    this.rehashNode(this.rootNode);
  }

  private rehashNode(n: number): void {
    const b = this.scratch;
    if (this.left[n] === LEAF) {
      const s = 32 * this.right[n];
      b[0] = LEDGER_LEAF_TAG;
      b.set(this.keys.subarray(s, s + 32), 1);
      b.set(this.values.subarray(s, s + 32), 33);
    } else {
      const l = this.left[n];
      const r = this.right[n];
      if (l !== EMPTY && this.dirty[l]) this.rehashNode(l);
      if (r !== EMPTY && this.dirty[r]) this.rehashNode(r);
      b[0] = LEDGER_NODE_TAG;
      this.copyChildHash(l, b, 1);
      this.copyChildHash(r, b, 33);
    }
    this.hashes.set(blake2b256(b), 32 * n);
    this.dirty[n] = 0;
  }

  private copyChildHash(child: number, into: Uint8Array, at: number): void {
    if (child === EMPTY) into.set(LEDGER_EMPTY_HASH, at);
    else into.set(this.hashes.subarray(32 * child, 32 * child + 32), at);
  }

  // ---- arenas -------------------------------------------------------------------------------------

  private reserve(nodes: number, leaves: number): void {
    if (nodes > this.left.length) {
      const cap = Math.max(nodes, Math.ceil(1.5 * this.left.length));
      const grow32 = (a: Int32Array) => {
        const b = new Int32Array(cap);
        b.set(a);
        return b;
      };
      this.left = grow32(this.left);
      this.right = grow32(this.right);
      const h = new Uint8Array(cap * 32);
      h.set(this.hashes);
      this.hashes = h;
      const d = new Uint8Array(cap);
      d.set(this.dirty);
      this.dirty = d;
    }
    if (leaves * 32 > this.keys.length) {
      const cap = Math.max(leaves, Math.ceil((1.5 * this.keys.length) / 32));
      const k = new Uint8Array(cap * 32);
      k.set(this.keys);
      this.keys = k;
      const v = new Uint8Array(cap * 32);
      v.set(this.values);
      this.values = v;
    }
  }

  private allocNode(): number {
    const free = this.freeNodes.pop();
    if (free !== undefined) return free;
    this.reserve(this.nodeCount + 1, 0);
    return this.nodeCount++;
  }

  private newLeaf(key: Uint8Array, valueHash: Uint8Array): number {
    let slot = this.freeLeaves.pop();
    if (slot === undefined) {
      this.reserve(0, this.leafCount + 1);
      slot = this.leafCount++;
    }
    const n = this.allocNode();
    this.keys.set(key, 32 * slot);
    this.values.set(valueHash, 32 * slot);
    this.left[n] = LEAF;
    this.right[n] = slot;
    this.dirty[n] = 1;
    return n;
  }

  private newInternal(l: number, r: number): number {
    const n = this.allocNode();
    this.left[n] = l;
    this.right[n] = r;
    this.dirty[n] = 1;
    return n;
  }

  private freeNode(n: number): void {
    if (this.left[n] === LEAF) this.freeLeaves.push(this.right[n]);
    this.dirty[n] = 0;
    this.freeNodes.push(n);
  }
}

/** Leaf keys and value hashes of unspent outputs (docs/ledger.md: kind 0x01). */
export function outputTreeEntries(outputs: readonly { txId: Uint8Array; index: number; address: Uint8Array; amount: bigint }[]): LedgerTreeEntry[] {
  const k = new Uint8Array(34);
  const v = new Uint8Array(40);
  const out: LedgerTreeEntry[] = new Array(outputs.length);
  for (let i = 0; i < outputs.length; i++) {
    const o = outputs[i];
    out[i] = { key: blake2b256(outputEntryKey(o.txId, o.index, k)), valueHash: blake2b256(outputEntryValue(o.address, o.amount, v)) };
  }
  return out;
}

/** Leaf keys of outputs (ids only). */
export function outputTreeKeys(refs: readonly { txId: Uint8Array; index: number }[]): Uint8Array[] {
  const k = new Uint8Array(34);
  return refs.map((r) => blake2b256(outputEntryKey(r.txId, r.index, k)));
}

/** The tree of a set of unspent outputs, hashed straight into the tree's arrays (restore at open). */
export function outputTree(outputs: readonly { txId: Uint8Array; index: number; address: Uint8Array; amount: bigint }[]): LedgerTree {
  const k = new Uint8Array(34);
  const v = new Uint8Array(40);
  return LedgerTree.buildWith(outputs.length, (i, keys, values, at) => {
    const o = outputs[i];
    keys.set(blake2b256(outputEntryKey(o.txId, o.index, k)), at);
    values.set(blake2b256(outputEntryValue(o.address, o.amount, v)), at);
  });
}
