/**
 * The shared benchmark report format. Every suite returns `BenchResult[]`; the CLI wraps them as
 * `{"suite", "node", "cpus", "machine", "date", "results": [...]}` and writes JSON with `--json FILE`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface BenchResult {
  name: string;
  params: Record<string, unknown>;
  metric: string;
  value: number;
  unit: string;
}

export interface BenchReport {
  suite: string;
  node: string;
  cpus: number;
  machine: { cpuModel: string; totalMemBytes: number; platform: string; arch: string };
  date: string;
  results: BenchResult[];
}

export interface SuiteOptions {
  /** Shorter runs (CI smoke runs and tests); results are less precise. */
  quick?: boolean;
  /** Progress callback: `done` of `total` steps, with a label. */
  progress?: (done: number, total: number, label: string) => void;
  /** Worker threads for multi-threaded cases (default: all cores). */
  threads?: number;
  /** Memory limit for node processes (MiB; 0 = none), where a suite supports one. */
  memoryLimitMiB?: number;
  /** Lines for people watching a long run (one line each, no terminal tricks). */
  log?: (line: string) => void;
  /** Called with every result so far after each checkpoint, so a run that stops keeps its figures. */
  partial?: (results: BenchResult[]) => Promise<void>;
  /** Storage suite (bench/storage/suite.ts): the size and shape of the run. */
  storage?: StorageRunOptions;
}

/** `tangle bench storage --transactions N --checkpoints K --rate R --pruning on|off --pruning-depth D`. */
export interface StorageRunOptions {
  /** Transactions stored by the end (default 1,000,000; quick 20,000). */
  transactions?: number;
  /** Evenly spaced checkpoints, the last at `transactions` (default 10; quick 2). */
  checkpoints?: number;
  /** Offered transactions per second over the four gateways (default 3,000; quick 2,000). */
  rate?: number;
  /** "on" (default) prunes at `pruningDepth`; "off" is an archive node. */
  pruning?: "on" | "off";
  /** Milestones kept whole below the confirmed one (default 50: 12.5 s at 250 ms milestones). */
  pruningDepth?: number;
}

export function makeReport(suite: string, results: BenchResult[]): BenchReport {
  const cpus = os.cpus();
  return {
    suite,
    node: process.version,
    cpus: cpus.length,
    machine: {
      cpuModel: cpus[0]?.model ?? "unknown",
      totalMemBytes: os.totalmem(),
      platform: os.platform(),
      arch: os.arch(),
    },
    date: new Date().toISOString(),
    results,
  };
}

export function writeReport(file: string, report: BenchReport): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(report, null, 2) + "\n");
}

/** Sorted copy. */
function sorted(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}

/** Nearest-rank percentile, p in [0, 100]. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) throw new Error("percentile of an empty sample");
  const s = sorted(xs);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank];
}

export function median(xs: readonly number[]): number {
  return percentile(xs, 50);
}

/** High-resolution clock in nanoseconds as a number (fine for durations below ~100 days). */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}
