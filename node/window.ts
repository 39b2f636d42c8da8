/**
 * The node's recent window: the WASM graph (weights, URTS tips, MCMC walks) and the metadata
 * index (recent.ts), under one numbering. The graph numbers transactions by its own appends and
 * only ever sees those integers; RecentIndex is the one id -> number map, and keeps for each
 * arrival the graph seq it got. A transaction is "in the window" while the graph holds it.
 */
import { TangleGraph, TipScore, TxFlags } from "../core-wasm/src/tangle";
import { RecentIndex } from "./recent";

/** What an issuer should do about an unconfirmed transaction (getTransactionMetadata). */
export interface AttachmentHints {
  confidence: number | null;
  shouldReattach: boolean;
  shouldPromote: boolean;
}

export class TangleWindow {
  readonly graph: TangleGraph;
  readonly recent: RecentIndex;

  constructor(window: number, seed: bigint) {
    this.graph = new TangleGraph({ window, seed });
    this.recent = new RecentIndex(this.graph.window);
  }

  /** Transactions the graph keeps. */
  get size(): number {
    return this.graph.window;
  }

  /** The graph seq of `idHex`, while the graph holds it. */
  seqOf(idHex: string): number | undefined {
    const g = this.recent.graphSeqOf(idHex);
    return g !== undefined && this.graph.inWindow(g) ? g : undefined;
  }

  /** The id of graph seq `g`, while the graph holds it. */
  idOf(g: number): string | undefined {
    return this.graph.inWindow(g) ? this.recent.idAtGraphSeq(g) : undefined;
  }

  has(idHex: string): boolean {
    return this.seqOf(idHex) !== undefined;
  }

  /**
   * Appends a stored arrival (already in `recent`) to the graph: as milestone `milestoneIndex`
   * when given (it confirms its cone there), else as an ordinary transaction. Parents the graph
   * does not hold are window boundaries. Returns its graph seq.
   */
  append(idHex: string, parents: readonly string[], timestampSec: number, milestoneIndex?: number, flags: number = TxFlags.SOLID): number {
    if (this.has(idHex)) throw new Error(`transaction ${idHex} is already in the window`);
    const seqs: number[] = [];
    for (const p of parents) {
      const s = this.seqOf(p);
      if (s !== undefined) seqs.push(s);
    }
    const g = milestoneIndex === undefined ? this.graph.append(seqs, timestampSec, flags) : this.graph.appendMilestone(seqs, timestampSec, milestoneIndex, flags);
    this.recent.placed(idHex, g);
    return g;
  }

  /**
   * Up to `count` (2..8) parents: URTS tips, topped up from `fallbacks` in order (the latest
   * milestone, the entry points) so that there are always at least two; sorted.
   */
  selectParents(count: number, nowMs: number, fallbacks: Iterable<string>): string[] {
    const n = Math.max(2, Math.min(8, count));
    this.graph.setClockMs(nowMs);
    const picked = new Set<string>();
    for (const seq of this.graph.selectTips(n)) {
      const id = this.idOf(seq);
      if (id) picked.add(id);
    }
    for (const f of fallbacks) if (picked.size < 2) picked.add(f);
    return [...picked].slice(0, n).sort();
  }

  /** Confirmation confidence (share of MCMC walks) of a transaction the graph holds. */
  confidence(idHex: string, walks: number): number | undefined {
    const seq = this.seqOf(idHex);
    return seq === undefined ? undefined : this.graph.confidence(seq, walks);
  }

  /**
   * For an unconfirmed transaction: its confirmation confidence and whether its issuer should
   * promote it (semi-lazy under TIP-3: attach a new transaction to it) or reattach it (lazy, or no
   * longer in the window: it will not be confirmed where it is).
   */
  hints(idHex: string): AttachmentHints {
    const seq = this.seqOf(idHex);
    if (seq === undefined) return { confidence: 0, shouldReattach: true, shouldPromote: false };
    const score = this.graph.score(seq);
    return { confidence: this.graph.confidence(seq, 64), shouldReattach: score === TipScore.LAZY, shouldPromote: score === TipScore.SEMI_LAZY };
  }
}
