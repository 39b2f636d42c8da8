/**
 * Reconnect inventory: gossip happens once, on arrival, so a transaction a node took while it was
 * cut off (a partition, a restart, a peer that came late) would never reach the others. On every
 * connection, after both hellos, each side sends `inv`: the ids of its newest unconfirmed,
 * non-lazy transactions (at most PEER_LIMITS.maxInventoryIds); the other side asks for those it
 * lacks with an ordinary `req`, once, of that peer, and they come in as any gossip does
 * (validation, solidification; their missing parents are asked for like any missing parent). The
 * newest are enough: their past cones follow through solidification.
 *
 * The source is the recent window's graph (core-wasm): it knows, per transaction, whether a
 * milestone confirmed it and its TIP-3 score now. "Non-lazy" is what tip selection uses: not
 * LAZY (below max depth, or a stale cone: no milestone will confirm it where it is, its issuer is
 * told to reattach). Conflicting, invalid and milestone entries are left out. Scanning walks the
 * graph newest first, at most its window; the list is kept for inventoryCacheMs so that peers
 * connecting at once (or one reconnecting in a loop) cost one scan.
 */
import { TipScore, TxFlags } from "../../core-wasm/src/graph-types";
import type { TangleWindow } from "../window";
import { PEER_LIMITS } from "./protocol";

const LEFT_OUT = TxFlags.CONFIRMED | TxFlags.CONFLICTING | TxFlags.INVALID | TxFlags.MILESTONE | TxFlags.INVALID_CONE;

/** The ids of the newest unconfirmed, non-lazy transactions of the window, newest first, at most `max`. */
export function unconfirmedNonLazy(window: TangleWindow, max: number = PEER_LIMITS.maxInventoryIds): string[] {
  const g = window.graph;
  const out: string[] = [];
  const n = g.size;
  let seq = g.nextSeq;
  for (let i = 0; i < n && out.length < max; i++) {
    seq = (seq - 1) >>> 0; // graph seqs wrap at 2^32
    if (!g.inWindow(seq)) break;
    if ((g.flags(seq) & LEFT_OUT) !== 0 || g.confirmedIndex(seq) !== 0) continue;
    if (g.score(seq) === TipScore.LAZY) continue;
    const id = window.idOf(seq);
    if (id !== undefined) out.push(id);
  }
  return out;
}

/** The inventory this node sends, recomputed at most once per PEER_LIMITS.inventoryCacheMs. */
export class Inventory {
  private cached?: { at: number; ids: string[] };

  constructor(private readonly window: TangleWindow) {}

  ids(now: number): string[] {
    if (!this.cached || now - this.cached.at >= PEER_LIMITS.inventoryCacheMs) this.cached = { at: now, ids: unconfirmedNonLazy(this.window) };
    return this.cached.ids;
  }
}
