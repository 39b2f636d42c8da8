/**
 * The metadata of the last `capacity` arrivals, by id, in flat arrays: what the node would
 * otherwise look up in the database's random-keyed id index (each lookup faults pages in) when it
 * stores approvers, walks a milestone's cone, applies a milestone or answers a metadata query.
 *
 * Arrival sequence numbers pick the slot (`seq mod capacity`), so a new arrival evicts the one
 * `capacity` arrivals older. One Map from id to seq plus typed arrays, no object per entry: about
 * 50 bytes an arrival (3.2 MB for a 65,536-transaction window). Pure; no I/O.
 */
import { TxMeta } from "./storage/schema";

const NONE = -1;

export class RecentIndex {
  private readonly mask: number;
  private readonly ids = new Map<string, number>();
  private readonly idAt: (string | undefined)[];
  private readonly seqAt: Float64Array;
  private readonly received: Float64Array;
  private readonly confirmedBy: Int32Array;
  private readonly milestoneIndex: Int32Array;
  private readonly conflicts = new Map<number, string>(); // seq → reason (rare)

  /** `capacity` is rounded up to a power of two. */
  constructor(capacity: number) {
    let c = 1;
    while (c < capacity) c *= 2;
    this.mask = c - 1;
    this.idAt = new Array<string | undefined>(c);
    this.seqAt = new Float64Array(c).fill(NaN);
    this.received = new Float64Array(c);
    this.confirmedBy = new Int32Array(c);
    this.milestoneIndex = new Int32Array(c);
  }

  get capacity(): number {
    return this.mask + 1;
  }

  get size(): number {
    return this.ids.size;
  }

  /** Records an arrival (evicting whatever held its slot). */
  add(idHex: string, meta: TxMeta): void {
    const slot = meta.seq & this.mask;
    const old = this.idAt[slot];
    if (old !== undefined && this.ids.get(old) === this.seqAt[slot]) this.ids.delete(old);
    this.conflicts.delete(this.seqAt[slot]);
    const previous = this.ids.get(idHex);
    if (previous !== undefined) this.clear(previous);
    this.ids.set(idHex, meta.seq);
    this.idAt[slot] = idHex;
    this.seqAt[slot] = meta.seq;
    this.received[slot] = meta.receivedMs;
    this.confirmedBy[slot] = meta.confirmedBy ?? NONE;
    this.milestoneIndex[slot] = meta.milestoneIndex ?? NONE;
    if (meta.conflict !== undefined) this.conflicts.set(meta.seq, meta.conflict);
  }

  has(idHex: string): boolean {
    return this.ids.has(idHex);
  }

  seqOf(idHex: string): number | undefined {
    return this.ids.get(idHex);
  }

  /** The stored metadata of `idHex`, if it is one of the recent arrivals (a fresh object). */
  get(idHex: string): TxMeta | undefined {
    const seq = this.ids.get(idHex);
    if (seq === undefined) return undefined;
    const slot = seq & this.mask;
    const m: TxMeta = { seq, receivedMs: this.received[slot] };
    if (this.confirmedBy[slot] !== NONE) m.confirmedBy = this.confirmedBy[slot];
    if (this.milestoneIndex[slot] !== NONE) m.milestoneIndex = this.milestoneIndex[slot];
    const conflict = this.conflicts.get(seq);
    if (conflict !== undefined) m.conflict = conflict;
    return m;
  }

  /** Marks `idHex` confirmed by milestone `index` (with the conflict reason, if it was one). */
  confirm(idHex: string, index: number, conflict?: string): void {
    const seq = this.ids.get(idHex);
    if (seq === undefined) return;
    this.confirmedBy[seq & this.mask] = index;
    if (conflict !== undefined) this.conflicts.set(seq, conflict);
  }

  /** Forgets `idHex` (its write failed). */
  delete(idHex: string): void {
    const seq = this.ids.get(idHex);
    if (seq !== undefined) this.clear(seq);
  }

  private clear(seq: number): void {
    const slot = seq & this.mask;
    if (this.seqAt[slot] !== seq) return;
    const id = this.idAt[slot];
    if (id !== undefined && this.ids.get(id) === seq) this.ids.delete(id);
    this.idAt[slot] = undefined;
    this.seqAt[slot] = NaN;
    this.conflicts.delete(seq);
  }
}
