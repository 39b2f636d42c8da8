/**
 * The milestone merkle root (node/ledger/merkle.ts): the empty tree, hand-computed tiny trees, the
 * leaf and node domain prefixes, equality with a recursive reference for every size 0..70 (BLAKE2b
 * from @noble/hashes), order sensitivity and leaf/node separation, and an untouched input.
 */
import { blake2b as nobleBlake2b } from "@noble/hashes/blake2b";
import { merkleLeafHash, merkleNodeHash, merkleRoot } from "../../../node/ledger/merkle";
import { toHex } from "../../../client/protocol/bytes";
import { rng } from "./_fixtures";
import { referenceMerkleRoot } from "./_reference";

const H = (...parts: (number[] | Uint8Array)[]) => nobleBlake2b(Uint8Array.from(parts.flatMap((p) => Array.from(p))), { dkLen: 32 });

/** RFC 6962 §2.1 read literally (recursive split at the largest power of two below n), noble's BLAKE2b. */
const referenceRoot = referenceMerkleRoot;

describe("merkleRoot", () => {
  const r = rng(6962);
  const ids = Array.from({ length: 70 }, () => r.bytes(32));
  const [a, b, c, d] = ids;

  test("empty list is the hash of the empty string", () => {
    expect(toHex(merkleRoot([]))).toBe(toHex(H([])));
    // Known answer: BLAKE2b-256 of "" (RFC 7693 parameters, 32-byte digest).
    expect(toHex(merkleRoot([]))).toBe("0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  });

  test("hand-computed tiny trees", () => {
    const la = H([0], a), lb = H([0], b), lc = H([0], c), ld = H([0], d);
    expect(toHex(merkleRoot([a]))).toBe(toHex(la));
    expect(toHex(merkleRoot([a, b]))).toBe(toHex(H([1], la, lb)));
    // n = 3 splits 2 | 1: the odd leaf is not duplicated.
    expect(toHex(merkleRoot([a, b, c]))).toBe(toHex(H([1], H([1], la, lb), lc)));
    expect(toHex(merkleRoot([a, b, c, d]))).toBe(toHex(H([1], H([1], la, lb), H([1], lc, ld))));
    // n = 5 splits 4 | 1.
    const le = H([0], ids[4]);
    expect(toHex(merkleRoot(ids.slice(0, 5)))).toBe(toHex(H([1], H([1], H([1], la, lb), H([1], lc, ld)), le)));
  });

  test("leaf and node helpers use the domain prefixes", () => {
    expect(toHex(merkleLeafHash(a))).toBe(toHex(H([0], a)));
    expect(toHex(merkleNodeHash(a, b))).toBe(toHex(H([1], a, b)));
  });

  test("equals the recursive reference for every size 0..70", () => {
    for (let n = 0; n <= 70; n++) expect([n, toHex(merkleRoot(ids.slice(0, n)))]).toEqual([n, toHex(referenceRoot(ids.slice(0, n)))]);
  });

  test("order matters and a leaf is not a node (second-preimage separation)", () => {
    expect(toHex(merkleRoot([a, b]))).not.toBe(toHex(merkleRoot([b, a])));
    // Without prefixes the root of [a, b] would equal the one-leaf tree of (leaf(a) || leaf(b)).
    const fake = Uint8Array.from([...merkleLeafHash(a), ...merkleLeafHash(b)]);
    expect(toHex(merkleRoot([fake]))).not.toBe(toHex(merkleRoot([a, b])));
  });

  test("does not modify its input", () => {
    const copy = ids.map((x) => x.slice());
    merkleRoot(ids);
    expect(ids.map(toHex)).toEqual(copy.map(toHex));
  });
});
