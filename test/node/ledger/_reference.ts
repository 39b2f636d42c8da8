/**
 * Brute-force references for the ledger tests, written independently of node/ledger: noble's
 * BLAKE2b instead of the WASM core, RFC 6962 read literally (recursive split), white flag as a
 * recursive DFS that mutates a plain ledger directly instead of computing over an overlay.
 */
import { blake2b as nobleBlake2b } from "@noble/hashes/blake2b";
import type { Transaction } from "../../../client/protocol/codec";
import { toHex } from "../../../client/protocol/bytes";
import type { Genesis } from "../../../node/ledger/genesis";

export const H = (bytes: ArrayLike<number>) => nobleBlake2b(Uint8Array.from(bytes as number[]), { dkLen: 32 });
const u32le = (v: number) => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];
const u64le = (v: bigint) => Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 255n));
const bytesOfHex = (h: string) => Array.from({ length: h.length / 2 }, (_, i) => parseInt(h.substr(2 * i, 2), 16));

export function referenceMerkleRoot(leaves: ArrayLike<number>[]): Uint8Array {
  const n = leaves.length;
  if (n === 0) return H([]);
  if (n === 1) return H([0, ...Array.from(leaves[0])]);
  let k = 1;
  while (k * 2 < n) k *= 2;
  return H([1, ...referenceMerkleRoot(leaves.slice(0, k)), ...referenceMerkleRoot(leaves.slice(k))]);
}

export interface ReferenceMilestone {
  included: string[];
  applied: string[];
  conflicts: [string, string][];
  merkleRoot: string;
  stateHash: string;
}

export class ReferenceLedger {
  /** "txIdHex/index" -> owner address hex and amount */
  readonly unspent = new Map<string, { address: string; amount: bigint }>();
  readonly spent = new Set<string>();
  readonly confirmed = new Set<string>();
  stateHash: number[];

  constructor(
    genesis: Genesis,
    private readonly entryPoints: Set<string>,
    private readonly txs: Map<string, Transaction>,
  ) {
    const outs = genesis.outputs.flatMap((o) => [...bytesOfHex(o.address), ...u64le(BigInt(o.amount))]);
    this.stateHash = Array.from(H([...u32le(genesis.networkId), ...outs]));
    const genesisId = toHex(H([...Array.from(Buffer.from("tangle-genesis")), ...u32le(genesis.networkId), ...outs]));
    genesis.outputs.forEach((o, i) => this.unspent.set(`${genesisId}/${i}`, { address: o.address, amount: BigInt(o.amount) }));
  }

  milestone(index: number, parents: Uint8Array[]): ReferenceMilestone {
    const order: string[] = [];
    const seen = new Set<string>();
    const visit = (h: string) => {
      if (seen.has(h) || this.confirmed.has(h) || this.entryPoints.has(h)) return;
      seen.add(h);
      const tx = this.txs.get(h);
      if (!tx) throw new Error(`reference: unknown ${h}`);
      tx.parents.forEach((p) => visit(toHex(p)));
      order.push(h);
    };
    parents.forEach((p) => visit(toHex(p)));

    const applied: string[] = [];
    const conflicts: [string, string][] = [];
    const records: number[] = [];
    for (const h of order) {
      const tx = this.txs.get(h)!;
      if (tx.payload.type !== "transfer") continue;
      const owner = toHex(H(tx.issuer));
      const keys = tx.payload.inputs.map((i) => `${toHex(i.txId)}/${i.index}`);
      let reason: string | undefined;
      let sum = 0n;
      for (let k = 0; k < keys.length && !reason; k++) {
        const o = this.unspent.get(keys[k]);
        if (this.spent.has(keys[k]) || keys.indexOf(keys[k]) < k) reason = "INPUT_SPENT";
        else if (!o) reason = "INPUT_UNKNOWN";
        else if (o.address !== owner) reason = "INPUT_NOT_OWNED";
        else sum += o.amount;
      }
      if (!reason && sum !== tx.payload.outputs.reduce((s, o) => s + o.amount, 0n)) reason = "AMOUNT_MISMATCH";
      if (reason) {
        conflicts.push([h, reason]);
        continue;
      }
      applied.push(h);
      tx.payload.inputs.forEach((input, k) => {
        this.unspent.delete(keys[k]);
        this.spent.add(keys[k]);
        records.push(0, ...input.txId, input.index);
      });
      tx.payload.outputs.forEach((o, i) => {
        this.unspent.set(`${h}/${i}`, { address: toHex(o.address), amount: o.amount });
        records.push(1, ...bytesOfHex(h), i, ...o.address, ...u64le(o.amount));
      });
    }
    order.forEach((h) => this.confirmed.add(h));
    const root = referenceMerkleRoot(order.map(bytesOfHex));
    this.stateHash = Array.from(H([...this.stateHash, ...u32le(index), ...root, ...H(records)]));
    return { included: order, applied, conflicts, merkleRoot: toHex(root), stateHash: toHex(Uint8Array.from(this.stateHash)) };
  }

  balances(): [string, bigint][] {
    const m = new Map<string, bigint>();
    for (const o of this.unspent.values()) m.set(o.address, (m.get(o.address) ?? 0n) + o.amount);
    return [...m].sort();
  }
}
