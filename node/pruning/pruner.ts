/**
 * Pruning on a running node: after each applied milestone, at most one step at a time, as the
 * planner (planner.ts) allows; the executor (executor.ts) does the writes. At start it finishes a
 * pruning that a crash interrupted. `close` waits for the step under way (the node closes its
 * store after it).
 */
import type { TangleNode } from "../tangle-node";
import { beginPruning, finishPruning, pruningIndexOf, prunedThroughOf } from "./executor";
import { MIN_PRUNING_DEPTH, nextPruningIndex, PRUNING_STEP_MILESTONES } from "./planner";
import { databasePages } from "./pages";

export interface PrunerOptions {
  node: TangleNode;
  /** Milestones kept whole below the ledger index. */
  depth: number;
  /** Whether the node is synced with its peers (peering); never pruned otherwise. */
  synced: () => boolean;
  stepMilestones?: number;
  /** Prune deeper (down to MIN_PRUNING_DEPTH) while the pages in use take more than this (--pruning-target-mib). */
  targetBytes?: number;
  /** Told of each step done or failed. */
  log?: (event: "pruned" | "failed", details: Record<string, unknown>) => void;
}

export class Pruner {
  private running?: Promise<void>;
  private again = false;
  private closed = false;

  constructor(private readonly o: PrunerOptions) {}

  /** The pruning index recorded in the store (0: nothing pruned). */
  get index(): number {
    return pruningIndexOf(this.o.node.store);
  }

  get depth(): number {
    return this.o.depth;
  }

  /** Starts a step if none runs (call after each milestone; also finishes an interrupted one). */
  readonly onMilestone = (): void => {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.again && !this.closed) {
        this.again = false;
        this.onMilestone();
      }
    });
  };

  /** Resolves when no step runs (tests; close). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }

  /** Whether the pages in use exceed the target size (never without a target). */
  private overTarget(): boolean {
    const t = this.o.targetBytes;
    if (t === undefined) return false;
    const p = databasePages(this.o.node.store);
    return p.pagesInUse * p.pageSize > t;
  }

  /** The highest milestone whose own transaction arrived before the window's first: its cone is out of the window. */
  private walkFloor(from: number, to: number): number {
    const { node } = this.o;
    const floorSeq = node.windowFloorSeq;
    let floor = from;
    for (let m = from + 1; m <= to; m++) {
      const record = node.store.getMilestone(m);
      const seq = record && node.store.seqOf(record.id);
      if (seq === undefined || seq >= floorSeq) break;
      floor = m;
    }
    return floor;
  }

  private async run(): Promise<void> {
    const { node } = this.o;
    const store = node.store;
    const forget = (ids: string[]) => node.forgetPruned(ids);
    const between = () => new Promise<void>((r) => setImmediate(r));
    try {
      if (prunedThroughOf(store) < pruningIndexOf(store)) await finishPruning(store, { onDeleted: forget, onEntryPoints: (e) => node.addEntryPoints(e), between });
      const current = pruningIndexOf(store);
      const overTarget = this.overTarget();
      if (node.ledgerIndex - (overTarget ? MIN_PRUNING_DEPTH : this.o.depth) <= current) return; // the common case: nothing to read
      const step = this.o.stepMilestones ?? PRUNING_STEP_MILESTONES;
      const target = nextPruningIndex({
        overTarget,
        ledgerIndex: node.ledgerIndex,
        pruningIndex: current,
        depth: this.o.depth,
        synced: !node.diverged && !node.closed && this.o.synced(),
        walkFloor: this.walkFloor(current, current + step),
        stepMilestones: step,
      });
      if (target === undefined || this.closed) return;
      const { entryPoints, dropped } = await beginPruning(store, target);
      node.addEntryPoints(entryPoints); // before anything is deleted
      node.dropEntryPoints(dropped);
      const deleted = await finishPruning(store, { onDeleted: forget, onEntryPoints: (e) => node.addEntryPoints(e), between });
      this.o.log?.("pruned", { pruningIndex: target, deleted, entryPoints: entryPoints.length, ...(overTarget ? { overTarget } : {}) });
      const more = nextPruningIndex({ ledgerIndex: node.ledgerIndex, pruningIndex: target, depth: this.o.depth, synced: true, walkFloor: Number.MAX_SAFE_INTEGER, overTarget: this.overTarget() });
      if (!this.closed && more !== undefined) this.again = true;
    } catch (err) {
      this.o.log?.("failed", { err: (err as Error).message });
    }
  }
}
