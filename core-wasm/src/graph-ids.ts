/**
 * The id layer of the tangle graph: transaction id -> seq for the window, kept in JavaScript (WASM
 * only ever sees integers). One slot per ring slot of the graph, so an id is forgotten when its
 * seq leaves the window and its slot is reused.
 */
export class WindowIds {
  private readonly ids = new Map<string, number>();
  private idAt: (string | undefined)[] = [];
  private window = 0;
  private capacity = 0;

  /** `inWindow`: the graph's own test of whether a seq is still in the window. */
  constructor(private readonly inWindow: (seq: number) => boolean) {}

  /** Forgets every id (the graph was initialised again with this window and capacity). */
  reset(window: number, capacity: number): void {
    this.window = window;
    this.capacity = capacity;
    this.ids.clear();
    this.idAt = new Array(capacity);
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Seq of a transaction id in the window, or undefined. */
  seqOf(id: string): number | undefined {
    const s = this.ids.get(id);
    return s !== undefined && this.inWindow(s) ? s : undefined;
  }

  /** Id of an in-window seq appended by id. */
  idOf(seq: number): string | undefined {
    if (!this.inWindow(seq)) return undefined;
    return this.idAt[seq & (this.capacity - 1)];
  }

  /** Seqs of the parents in the window; a parent unknown here is outside it: a boundary. */
  parentSeqs(parentIds: readonly string[]): number[] {
    const seqs: number[] = [];
    for (const id of parentIds) {
      const s = this.seqOf(id);
      if (s !== undefined) seqs.push(s);
    }
    return seqs;
  }

  /** Records the id of the seq just appended. */
  remember(id: string, seq: number): void {
    const slot = seq & (this.capacity - 1);
    // The seq that left the window with this append (if any) is `seq - window`.
    const gone = (seq - this.window) >>> 0;
    const goneSlot = gone & (this.capacity - 1);
    const goneId = this.idAt[goneSlot];
    if (goneId !== undefined && !this.inWindow(gone) && this.ids.get(goneId) === gone) {
      this.ids.delete(goneId);
      this.idAt[goneSlot] = undefined;
    }
    const old = this.idAt[slot];
    if (old !== undefined && this.ids.get(old) !== seq) this.ids.delete(old);
    this.idAt[slot] = id;
    this.ids.set(id, seq);
  }
}
