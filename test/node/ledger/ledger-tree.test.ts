/**
 * The ledger root's tree (node/ledger/ledger-tree.ts) against a from-scratch reference written
 * from docs/ledger.md ("Ledger root") with noble's BLAKE2b: random insert / update / delete
 * sequences keep the incremental root equal to the recomputed one, keys that share long prefixes
 * (chains of nodes down to bit 255), bulk build equal to one-by-one inserts, and proofs from the
 * tree that the client's verifier accepts, for present and absent keys.
 */
import { blake2b as nobleBlake2b } from "@noble/hashes/blake2b";
import { toHex } from "../../../client/protocol/bytes";
import { keyBit, LEDGER_EMPTY_HASH, verifyLedgerProof } from "../../../client/protocol/ledger-proof";
import { LedgerTree, LedgerTreeEntry } from "../../../node/ledger/ledger-tree";
import { rng } from "./_fixtures";

const H = (...parts: (number[] | Uint8Array)[]) => nobleBlake2b(Uint8Array.from(parts.flatMap((p) => Array.from(p))), { dkLen: 32 });

/** The definition, read literally: T(S, d) over the entries S whose keys share the first d bits. */
function referenceRoot(entries: Map<string, Uint8Array>): string {
  const T = (s: [Uint8Array, Uint8Array][], d: number): Uint8Array => {
    if (s.length === 0) return H([0x00]);
    if (s.length === 1) return H([0x01], s[0][0], s[0][1]);
    const bit = (k: Uint8Array) => (k[d >> 3] >> (7 - (d % 8))) & 1;
    return H(
      [0x02],
      T(
        s.filter(([k]) => bit(k) === 0),
        d + 1,
      ),
      T(
        s.filter(([k]) => bit(k) === 1),
        d + 1,
      ),
    );
  };
  return toHex(T([...entries].map(([k, v]) => [Uint8Array.from(Buffer.from(k, "hex")), v]), 0));
}

function entriesOf(m: Map<string, Uint8Array>): LedgerTreeEntry[] {
  return [...m].map(([k, v]) => ({ key: Uint8Array.from(Buffer.from(k, "hex")), valueHash: v }));
}

test("the empty tree's root is H(0x00)", () => {
  const t = new LedgerTree();
  expect(toHex(t.root())).toBe(toHex(H([0x00])));
  expect(toHex(LEDGER_EMPTY_HASH)).toBe(toHex(H([0x00])));
  expect(toHex(LedgerTree.build([]).root())).toBe(toHex(H([0x00])));
});

test("one entry: the root is its leaf hash; two: a node over both, ordered by the first differing bit", () => {
  const a = new Uint8Array(32).fill(0x00);
  const b = new Uint8Array(32).fill(0xff);
  const va = new Uint8Array(32).fill(7);
  const vb = new Uint8Array(32).fill(9);
  const t = new LedgerTree();
  t.set(b, vb);
  expect(toHex(t.root())).toBe(toHex(H([0x01], b, vb)));
  t.set(a, va);
  expect(toHex(t.root())).toBe(toHex(H([0x02], H([0x01], a, va), H([0x01], b, vb))));
  expect(t.delete(b)).toBe(true);
  expect(toHex(t.root())).toBe(toHex(H([0x01], a, va)));
  expect(t.delete(b)).toBe(false);
  expect(t.delete(a)).toBe(true);
  expect(toHex(t.root())).toBe(toHex(H([0x00])));
  expect(t.size).toBe(0);
});

test("random insert / update / delete sequences: the incremental root equals the recomputed one after every batch", () => {
  for (let seed = 1; seed <= 30; seed++) {
    const r = rng(seed);
    const t = new LedgerTree();
    const m = new Map<string, Uint8Array>();
    // Small key spaces make repeated keys, updates and deletes of present keys common; a few
    // keys share all but their last byte, so chains of single-child nodes appear.
    const base = r.bytes(31);
    const key = () => (r.chance(0.2) ? Uint8Array.from([...base, r.int(8)]) : r.bytes(32));
    const known: Uint8Array[] = [];
    for (let batch = 0; batch < 12; batch++) {
      const ops = 1 + r.int(40);
      for (let i = 0; i < ops; i++) {
        if (known.length && r.chance(0.4)) {
          const k = r.pick(known);
          expect(t.delete(k)).toBe(m.delete(toHex(k)));
        } else {
          const k = known.length && r.chance(0.2) ? r.pick(known) : key();
          known.push(k);
          const v = r.bytes(32);
          expect(t.set(k, v)).toBe(!m.has(toHex(k)));
          m.set(toHex(k), v);
        }
      }
      expect(t.size).toBe(m.size);
      expect(toHex(t.root())).toBe(referenceRoot(m));
    }
    // Bulk build of the same entries gives the same root, and so does inserting them in another order.
    expect(toHex(LedgerTree.build(entriesOf(m)).root())).toBe(toHex(t.root()));
    const again = new LedgerTree();
    for (const e of entriesOf(m).reverse()) again.set(e.key, e.valueHash);
    expect(toHex(again.root())).toBe(toHex(t.root()));
    // What the tree iterates is what it holds.
    expect([...t.entriesInOrder()].map((e) => toHex(e.key)).sort()).toEqual([...m.keys()].sort());
  }
});

test("keys that differ only in their last bit: a chain of 255 nodes, removed again by deleting one", () => {
  const a = new Uint8Array(32).fill(0xa5);
  const b = a.slice();
  b[31] ^= 1;
  const va = new Uint8Array(32).fill(1);
  const vb = new Uint8Array(32).fill(2);
  const t = new LedgerTree();
  t.set(a, va);
  t.set(b, vb);
  const m = new Map([
    [toHex(a), va],
    [toHex(b), vb],
  ]);
  expect(toHex(t.root())).toBe(referenceRoot(m));
  const p = t.prove(a);
  expect(p.siblings.length).toBe(256);
  expect(p.siblings.slice(0, 255).every((s) => s === null)).toBe(true);
  expect(verifyLedgerProof(t.root(), a, p)).toEqual({ valid: true, present: true, valueHash: va });
  t.delete(b);
  expect(toHex(t.root())).toBe(toHex(H([0x01], a, va)));
  expect(t.prove(a).siblings.length).toBe(0);
});

test("build refuses a repeated key and keys of the wrong length", () => {
  const k = new Uint8Array(32).fill(3);
  const v = new Uint8Array(32);
  expect(() => LedgerTree.build([{ key: k, valueHash: v }, { key: k.slice(), valueHash: v }])).toThrow(TypeError);
  expect(() => LedgerTree.build([{ key: new Uint8Array(31), valueHash: v }])).toThrow(/entries\[0\]\.key must be 32 bytes/);
  expect(() => new LedgerTree().set(k, new Uint8Array(33))).toThrow(/valueHash must be 32 bytes/);
});

test("proofs: every present key proves membership, absent keys prove absence (at an empty subtree and at another key's leaf)", () => {
  const r = rng(77);
  const t = new LedgerTree();
  const m = new Map<string, Uint8Array>();
  for (let i = 0; i < 300; i++) {
    const k = r.bytes(32);
    const v = r.bytes(32);
    t.set(k, v);
    m.set(toHex(k), v);
  }
  const root = t.root();
  for (const [kh, v] of m) {
    const k = Uint8Array.from(Buffer.from(kh, "hex"));
    const p = t.prove(k);
    expect(verifyLedgerProof(root, k, p)).toEqual({ valid: true, present: true, valueHash: v });
    expect(p.siblings.length).toBeLessThan(30);
  }
  let atEmpty = 0;
  let atLeaf = 0;
  for (let i = 0; i < 300; i++) {
    const k = r.bytes(32);
    const p = t.prove(k);
    if (p.leaf === null) atEmpty++;
    else {
      atLeaf++;
      // The leaf at the end of the path shares the path's bits with the absent key.
      for (let b = 0; b < p.siblings.length; b++) expect(keyBit(p.leaf.key, b)).toBe(keyBit(k, b));
    }
    expect(verifyLedgerProof(root, k, p)).toEqual({ valid: true, present: false });
  }
  expect(atEmpty).toBeGreaterThan(0);
  expect(atLeaf).toBeGreaterThan(0);
});
