/**
 * The tips benchmark's input: a simulated tangle. Transactions are issued as a Poisson process
 * (RATE_TPS), each approving 2..8 tips picked by URTS at issue time and arriving NET_DELAY_MS
 * later (proof of work and gossip), which is what keeps the tangle wide; a coordinator milestone
 * every MILESTONE_MS approves the previous milestone and up to 7 tips. The stream is generated
 * once, then replayed into each implementation (replay.ts), so all of them hold identical graphs.
 */
import { TangleGraph } from "../../core-wasm/src/tangle";
import { seededRandom } from "../../client/util/random";

const RATE_TPS = 500;
const MILESTONE_MS = 250;
const NET_DELAY_MS = [50, 150] as const;
const PARENTS = [2, 8] as const;

/** A recorded ingest stream: appends in arrival order with parent seqs (seq = index). */
export interface Stream {
  count: number;
  parentCount: Uint8Array;
  parents: Uint32Array; // 8 per append
  timestampSec: Uint32Array;
  clockMs: Uint32Array;
  msIndex: Uint32Array; // 0 = not a milestone
}

/** Deterministic uniform [0, 1) for the simulation (and the suite's idiomatic walk). */
export const simRandom = (seed: number): (() => number) => seededRandom(seed).next;

/** Issued transactions waiting for their arrival time (a binary min-heap on arrival time). */
class Arrivals {
  private at: number[] = [];
  private par: number[][] = [];
  get size(): number {
    return this.at.length;
  }
  peek(): number {
    return this.at[0];
  }
  push(t: number, parents: number[]): void {
    const at = this.at;
    const par = this.par;
    let i = at.length;
    at.push(t);
    par.push(parents);
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (at[up] <= at[i]) break;
      [at[up], at[i]] = [at[i], at[up]];
      [par[up], par[i]] = [par[i], par[up]];
      i = up;
    }
  }
  pop(): number[] {
    const at = this.at;
    const par = this.par;
    const top = par[0];
    const lastT = at.pop()!;
    const lastP = par.pop()!;
    if (at.length > 0) {
      at[0] = lastT;
      par[0] = lastP;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < at.length && at[l] < at[m]) m = l;
        if (r < at.length && at[r] < at[m]) m = r;
        if (m === i) break;
        [at[m], at[i]] = [at[i], at[m]];
        [par[m], par[i]] = [par[i], par[m]];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Simulates `appends` arrivals on a WASM graph of `window` and records them. `milestoneMs` is the
 * coordinator interval (Infinity: no milestones after the genesis one).
 */
export function simulateTangle(window: number, appends: number, seed = 1, milestoneMs = MILESTONE_MS): Stream {
  const rand = simRandom(seed);
  const g = new TangleGraph({ window, seed });
  const s: Stream = {
    count: 0,
    parentCount: new Uint8Array(appends),
    parents: new Uint32Array(appends * 8),
    timestampSec: new Uint32Array(appends),
    clockMs: new Uint32Array(appends),
    msIndex: new Uint32Array(appends),
  };
  const pending = new Arrivals();
  const pick = new Uint32Array(8);
  let now = 0;
  let nextIssue = 0;
  let nextMilestone = milestoneMs;
  let lastMs = -1;
  let lastSeq = -1;
  const record = (parents: ArrayLike<number>, n: number, msIndex: number): void => {
    g.setClockMs(now);
    const seq = msIndex ? g.appendMilestone(Array.from(parents).slice(0, n), now / 1000, msIndex)
      : g.append(Array.from(parents).slice(0, n), now / 1000);
    const i = s.count++;
    s.parentCount[i] = n;
    for (let k = 0; k < n; k++) s.parents[i * 8 + k] = parents[k];
    s.timestampSec[i] = Math.floor(now / 1000);
    s.clockMs[i] = now;
    s.msIndex[i] = msIndex;
    lastSeq = seq;
    if (msIndex) lastMs = seq;
  };
  record([], 0, 1); // genesis milestone
  while (s.count < appends) {
    const tArrive = pending.size > 0 ? pending.peek() : Infinity;
    now = Math.min(nextIssue, nextMilestone, tArrive);
    g.setClockMs(now);
    if (now === tArrive) {
      const parents = pending.pop().filter((p) => g.inWindow(p));
      if (parents.length === 0) parents.push(lastSeq);
      record(parents, parents.length, 0);
    } else if (now === nextMilestone) {
      const n = g.selectTipsInto(pick, 7);
      const parents = [lastMs, ...Array.from(pick.subarray(0, n)).filter((p) => p !== lastMs)];
      record(parents, parents.length, g.latestMilestone + 1);
      nextMilestone += milestoneMs;
    } else {
      const want = PARENTS[0] + Math.floor(rand() * (PARENTS[1] - PARENTS[0] + 1));
      const n = g.selectTipsInto(pick, want);
      const parents = n > 0 ? Array.from(pick.subarray(0, n)) : [lastSeq];
      const delay = NET_DELAY_MS[0] + rand() * (NET_DELAY_MS[1] - NET_DELAY_MS[0]);
      pending.push(now + delay, parents);
      nextIssue = now - (Math.log(1 - rand()) * 1000) / RATE_TPS;
    }
  }
  return s;
}
