/**
 * RFC 6962 merkle tree hash over transaction ids, with BLAKE2b-256:
 *
 *   MTH([])      = H("")
 *   MTH([d])     = H(0x00 || d)
 *   MTH(D[0:n])  = H(0x01 || MTH(D[0:k]) || MTH(D[k:n]))   k = largest power of two < n
 *
 * Computed bottom-up, one level at a time (pair neighbours, carry an odd last node up unchanged),
 * which yields the same root as the recursive split and lets each level be hashed with a single
 * batched WASM call (blake2bMany) instead of one call per node.
 */
import { blake2b256, blake2bMany } from "../../core-wasm/src/blake2b";

export const MERKLE_LEAF_PREFIX = 0x00;
export const MERKLE_NODE_PREFIX = 0x01;

const HASH_BYTES = 32;

/** H(0x00 || data). */
export function merkleLeafHash(data: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + data.length);
  buf[0] = MERKLE_LEAF_PREFIX;
  buf.set(data, 1);
  return blake2b256(buf);
}

/** H(0x01 || left || right). */
export function merkleNodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + left.length + right.length);
  buf[0] = MERKLE_NODE_PREFIX;
  buf.set(left, 1);
  buf.set(right, 1 + left.length);
  return blake2b256(buf);
}

/** The RFC 6962 tree hash of `leaves`, in the given order (ids in white-flag order). */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return blake2b256(new Uint8Array(0));
  let level = blake2bMany(
    leaves.map((leaf, i) => {
      if (!(leaf instanceof Uint8Array)) throw new TypeError(`leaves[${i}] must be a Uint8Array`);
      const buf = new Uint8Array(1 + leaf.length);
      buf[0] = MERKLE_LEAF_PREFIX;
      buf.set(leaf, 1);
      return buf;
    }),
  );
  while (level.length > 1) {
    const pairs: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) {
      const buf = new Uint8Array(1 + 2 * HASH_BYTES);
      buf[0] = MERKLE_NODE_PREFIX;
      buf.set(level[i], 1);
      buf.set(level[i + 1], 1 + HASH_BYTES);
      pairs.push(buf);
    }
    const next = blake2bMany(pairs);
    if (level.length % 2 === 1) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0];
}
