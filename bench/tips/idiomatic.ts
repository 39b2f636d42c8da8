/**
 * The MCMC walk as a TypeScript developer would usually write it: one object per transaction,
 * approvers as an array of object references, candidate lists and weights as fresh arrays at each
 * step. The typed-array twin (./plain.ts) is the same algorithm hand-ported to the WASM layout;
 * this one is the everyday baseline. Both are measured, so the report separates what the layout
 * buys from what the language buys.
 */
import type { TangleGraph } from "../../core-wasm/src/tangle";

const BAD = 4 | 8 | 32; // conflicting, invalid, invalid cone

export class TxNode {
  approvers: TxNode[] = [];
  constructor(
    readonly seq: number,
    readonly weight: number,
    readonly flags: number,
  ) {}
}

/** Object graph of the graph's current window (weights copied: they are the walk's input). */
export function buildObjectGraph(g: TangleGraph): Map<number, TxNode> {
  const nodes = new Map<number, TxNode>();
  const first = (g.nextSeq - g.size) >>> 0;
  for (let i = 0; i < g.size; i++) {
    const seq = (first + i) >>> 0;
    nodes.set(seq, new TxNode(seq, g.weight(seq), g.flags(seq)));
  }
  for (const node of nodes.values()) {
    for (const a of g.approvers(node.seq)) {
      const child = nodes.get(a);
      if (child) node.approvers.push(child);
    }
  }
  return nodes;
}

export function walkObjects(entry: TxNode, alpha: number, random: () => number): TxNode {
  let x = entry;
  for (;;) {
    const candidates = x.approvers.filter((a) => (a.flags & BAD) === 0);
    if (candidates.length === 0) return x;
    const hmax = Math.max(...candidates.map((c) => c.weight));
    const weights = candidates.map((c) => Math.exp(-alpha * (hmax - c.weight)));
    const total = weights.reduce((s, w) => s + w, 0);
    let r = random() * total;
    let pick = candidates[candidates.length - 1];
    for (let i = 0; i < candidates.length; i++) {
      r -= weights[i];
      if (r < 0) {
        pick = candidates[i];
        break;
      }
    }
    x = pick;
  }
}
