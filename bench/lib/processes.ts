/**
 * Real `tangle node` processes, for the benchmarks and for the tests where the process boundary is
 * the point (crash, signals, exit codes, several nodes on a network): `launchNode` is the one
 * launcher of both (test/node/api/_process.ts builds on it; bench code does not import tests).
 * A node started with it listens on 127.0.0.1 with a free port; `startBenchNode` adds what a
 * benchmark needs (the runtime flags, a temporary data directory, a memory cgroup, an API client).
 *
 * Tests that need no process boundary start the node in their own process instead
 * (node/main.ts startNode; test/support/node.ts).
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ApiClient } from "../../client/node";
import { NODE_RUNTIME_FLAGS } from "../../node/config";

// From the build (dist/bench/lib) or the sources (bench/lib).
const BIN = [path.join(__dirname, "..", "..", "..", "bin", "tangle.js"), path.join(__dirname, "..", "..", "bin", "tangle.js")].find((p) => fs.existsSync(p))!;

/** A running `tangle node` process. */
export interface NodeProcess {
  child: ChildProcess;
  port: number;
  url: string;
  /** What the node wrote: stdout line by line, stderr as it came (at most `maxLogLines`). */
  logs: string[];
  /** The node's own account of opening its database (ms, from its log), and spawn → listening (ms). */
  startupMs: number;
  readyMs: number;
  /** Sends `signal` (default SIGTERM) unless the process already ended; resolves with its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface LaunchOptions {
  /** Node.js flags before the script (default none: `tangle node` then bounds its heap in a worker thread). */
  nodeFlags?: readonly string[];
  /** Reject when the node is not listening after this long (default 20 s). */
  timeoutMs?: number;
  /** Lines kept in `logs` (default: all). */
  maxLogLines?: number;
  /** Called with each stdout line (e.g. to pick out warnings). */
  onLine?: (line: string) => void;
  /** Called right after the spawn (e.g. to move the process into a cgroup). */
  onSpawn?: (child: ChildProcess) => void;
}

// Node processes still running when this process exits (it failed, or was interrupted) are killed
// with it, never left holding their data directories.
const running = new Set<ChildProcess>();
/** Kills (SIGKILL) every node process started here that is still running. */
export function killRunningNodes(): void {
  running.forEach((c) => c.kill("SIGKILL"));
}
process.once("exit", killRunningNodes);

/** A `tangle node` process just spawned: `listening` resolves once it logs "listening". */
export interface SpawnedNode {
  child: ChildProcess;
  /** As NodeProcess.logs, filled while it runs. */
  logs: string[];
  /** Rejects when the process ends first or does not listen within `timeoutMs` (then it is killed). */
  listening: Promise<NodeProcess>;
  exited: Promise<number | null>;
}

/** Spawns `tangle node --port 0 ARGS` (for tests of a node that should refuse to start, too). */
export function spawnNode(args: readonly string[], opts: LaunchOptions = {}): SpawnedNode {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...(opts.nodeFlags ?? []), BIN, "node", "--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CI: "1" } });
  opts.onSpawn?.(child);
  running.add(child);
  // "close", not "exit": the process may exit before its last output is read, and callers look
  // at `logs` once it has ended (a refusal's message must be there).
  const exited = new Promise<number | null>((r) => child.once("close", (code) => (running.delete(child), r(code))));
  const maxLogLines = opts.maxLogLines ?? Infinity;
  const logs: string[] = [];
  const keep = (line: string) => void (logs.length < maxLogLines && logs.push(line));
  let startupMs = NaN;
  const listening = new Promise<NodeProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`node did not start: ${logs.join("\n")}`));
    }, opts.timeoutMs ?? 20_000);
    child.stderr!.on("data", (d) => keep(String(d)));
    let buf = "";
    child.stdout!.on("data", (d) => {
      buf += String(d);
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        keep(line);
        opts.onLine?.(line);
        let j: { msg?: unknown; url?: unknown; startupMs?: unknown };
        try {
          j = JSON.parse(line);
        } catch {
          continue; // not JSON
        }
        if (typeof j.startupMs === "number") startupMs = j.startupMs;
        if (j.msg === "listening" && typeof j.url === "string") {
          clearTimeout(timer);
          const url = j.url;
          resolve({
            child,
            port: Number(new URL(url).port),
            url,
            logs,
            startupMs,
            readyMs: performance.now() - t0,
            stop: async (signal = "SIGTERM") => {
              if (child.exitCode === null && child.signalCode === null) child.kill(signal);
              return exited;
            },
          });
        }
      }
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code}: ${logs.join("\n")}`));
    });
  });
  listening.catch(() => undefined); // a caller that only waits for the exit is not an unhandled rejection
  return { child, logs, listening, exited };
}

/** Starts `tangle node --port 0 ARGS` and resolves once it logs "listening". */
export function launchNode(args: readonly string[], opts: LaunchOptions = {}): Promise<NodeProcess> {
  return spawnNode(args, opts).listening;
}

export interface BenchNode {
  child: ChildProcess;
  /** Warnings and errors the node logged (pino levels 40+). */
  warnings: string[];
  url: string;
  port: number;
  dir: string;
  /**
   * The library's client, as an app would use it, without reconnection: a benchmark that loses its
   * node should fail, not wait. The load itself comes from gateway-worker.ts, with its own sockets.
   */
  client: ApiClient;
  /** The node's own account of opening its database (ms), and spawn → listening (ms). */
  startupMs: number;
  readyMs: number;
  /** The memory cgroup the node runs in, when one was asked for and could be made. */
  cgroup?: MemoryCgroup;
  stop(): Promise<void>;
}

export interface BenchNodeOptions {
  /** Data directory to use (default: a fresh temporary one). */
  dir?: string;
  /** Keep the data directory when stopping (default: delete it). */
  keep?: boolean;
  /** Run the node under a memory limit (bytes), in a cgroup, where this machine allows it. */
  memoryLimitBytes?: number;
}

/** A cgroup (v1 memory controller or v2) holding the node process, with its memory limit. */
export class MemoryCgroup {
  private constructor(
    readonly path: string,
    readonly v2: boolean,
  ) {}

  /** Makes a cgroup limited to `bytes`, or returns undefined where that is not allowed. */
  static create(bytes: number): MemoryCgroup | undefined {
    const name = `tangle-bench-${process.pid}-${Date.now()}`;
    for (const [root, v2] of [["/sys/fs/cgroup/memory", false], ["/sys/fs/cgroup", true]] as const) {
      const dir = path.join(root, name);
      try {
        if (v2 && !fs.existsSync(path.join(root, "cgroup.controllers"))) continue;
        fs.mkdirSync(dir);
        if (v2) fs.writeFileSync(path.join(dir, "memory.max"), String(bytes));
        else fs.writeFileSync(path.join(dir, "memory.limit_in_bytes"), String(bytes));
        return new MemoryCgroup(dir, v2);
      } catch {
        try {
          fs.rmdirSync(dir);
        } catch {
          // not made
        }
      }
    }
    return undefined;
  }

  add(pid: number): void {
    fs.writeFileSync(path.join(this.path, "cgroup.procs"), String(pid));
  }

  private read(v1: string, v2: string): number {
    try {
      return Number(fs.readFileSync(path.join(this.path, this.v2 ? v2 : v1), "utf8").trim().split("\n")[0].split(" ").pop());
    } catch {
      return NaN;
    }
  }

  /** Peak memory charged to the group (v1; v2 kernels from 5.19), and times the limit was hit. */
  peakBytes(): number {
    return this.read("memory.max_usage_in_bytes", "memory.peak");
  }
  limitHits(): number {
    if (!this.v2) return this.read("memory.failcnt", "");
    try {
      const m = /^max (\d+)/m.exec(fs.readFileSync(path.join(this.path, "memory.events"), "utf8"));
      return m ? Number(m[1]) : NaN;
    } catch {
      return NaN;
    }
  }
  /** Processes killed for running out of memory inside the group. */
  oomKills(): number {
    try {
      const text = fs.readFileSync(path.join(this.path, this.v2 ? "memory.events" : "memory.oom_control"), "utf8");
      const m = /oom_kill (\d+)/.exec(text);
      return m ? Number(m[1]) : 0;
    } catch {
      return 0;
    }
  }
  remove(): void {
    try {
      fs.rmdirSync(this.path);
    } catch {
      // still in use or gone
    }
  }
}

export async function startBenchNode(args: string[], opts: BenchNodeOptions = {}): Promise<BenchNode> {
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "tangle-bench-"));
  const cgroup = opts.memoryLimitBytes ? MemoryCgroup.create(opts.memoryLimitBytes) : undefined;
  const warnings: string[] = [];
  const logFile = process.env.BENCH_NODE_LOGS ? path.join(process.env.BENCH_NODE_LOGS, `${path.basename(dir)}.log`) : undefined;
  // Node processes run as `npm start` runs them (NODE_RUNTIME_FLAGS); BENCH_NODE_FLAGS adds flags,
  // e.g. "--cpu-prof --cpu-prof-dir=prof", and later flags win.
  const nodeFlags = [...NODE_RUNTIME_FLAGS, ...(process.env.BENCH_NODE_FLAGS ?? "").split(/\s+/).filter(Boolean)];
  const proc = await launchNode(["--data", dir, "--log-level", "info", ...args], {
    nodeFlags,
    timeoutMs: 120_000,
    maxLogLines: 200, // the start, for the error when it fails; warnings are kept apart
    onSpawn: (child) => cgroup?.add(child.pid!),
    onLine: (line) => {
      if (/"level":(4|5|6)0/.test(line) && warnings.length < 200) warnings.push(line);
      // BENCH_NODE_LOGS=DIR keeps every node's whole log there (one file per data directory), for a run that went wrong.
      if (logFile) fs.appendFileSync(logFile, line + "\n");
    },
  });
  // Requests wait as long as the node takes: the old raw client had no timeout either.
  const client = await ApiClient.connect(proc.url, { reconnect: false, requestTimeoutMs: 600_000 });
  return {
    child: proc.child,
    warnings,
    url: proc.url,
    port: proc.port,
    dir,
    client,
    startupMs: proc.startupMs,
    readyMs: proc.readyMs,
    cgroup,
    async stop() {
      client.close();
      await proc.stop("SIGTERM");
      if (!opts.keep) fs.rmSync(dir, { recursive: true, force: true });
      cgroup?.remove();
    },
  };
}
