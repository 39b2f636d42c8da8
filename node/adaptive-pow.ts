/**
 * Adaptive proof of work (after GoShimmer's idea): an issuer that sends faster than its allowance
 * must do more work, one extra bit per doubling of its rate over the allowance, so a flooding
 * gateway pays exponentially more while the others keep the base difficulty. Pure: the caller
 * passes the clock. Applied to what clients submit to this node (not to gossip from peers, whose
 * own entry nodes already applied it).
 */

/** The policy's limits (docs/api.md, "Adaptive proof of work", states them; a test keeps the two in step). */
export const ADAPTIVE_POW = {
  /** Window over which an issuer's rate is measured. */
  windowMs: 10_000,
  /** Transactions per second an issuer may send at the base difficulty. */
  allowancePerSecond: 50,
  /** Most extra bits asked of one issuer. */
  maxExtraBits: 12,
  /** Issuers tracked at once (least recent forgotten). */
  maxIssuers: 100_000,
} as const;

export class AdaptivePow {
  /** issuer hex → arrival times (ms) within the window, oldest first */
  private readonly seen = new Map<string, number[]>();

  constructor(private readonly cfg: typeof ADAPTIVE_POW = ADAPTIVE_POW) {}

  /** Extra difficulty bits the issuer's next transaction must carry. */
  extraBits(issuerHex: string, nowMs: number): number {
    const times = this.seen.get(issuerHex);
    if (!times) return 0;
    this.trim(times, nowMs);
    const allowed = (this.cfg.allowancePerSecond * this.cfg.windowMs) / 1000;
    if (times.length < allowed) return 0;
    return Math.min(this.cfg.maxExtraBits, Math.floor(Math.log2(times.length / allowed)) + 1);
  }

  /** Records an accepted transaction of the issuer. */
  record(issuerHex: string, nowMs: number): void {
    let times = this.seen.get(issuerHex);
    if (!times) {
      if (this.seen.size >= this.cfg.maxIssuers) this.seen.delete(this.seen.keys().next().value as string);
      times = [];
    } else this.seen.delete(issuerHex); // re-insert: the map's order is recency
    this.seen.set(issuerHex, times);
    this.trim(times, nowMs);
    times.push(nowMs);
  }

  private trim(times: number[], nowMs: number): void {
    let drop = 0;
    while (drop < times.length && times[drop] <= nowMs - this.cfg.windowMs) drop++;
    if (drop) times.splice(0, drop);
  }
}
