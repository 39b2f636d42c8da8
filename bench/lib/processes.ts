/**
 * Real node processes for benchmarks: start `tangle node` on 127.0.0.1 with a random port, and a
 * minimal msgpack WebSocket client (requests and pushes). Bench code does not import test helpers.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Packr } from "msgpackr";
import WebSocket from "ws";
import { NODE_RUNTIME_FLAGS } from "../../node/config";

const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: "number" } as ConstructorParameters<typeof Packr>[0]);
// From the build (dist/bench/lib) or the sources (bench/lib).
const BIN = [path.join(__dirname, "..", "..", "..", "bin", "tangle.js"), path.join(__dirname, "..", "..", "bin", "tangle.js")].find((p) => fs.existsSync(p))!;

export interface BenchNode {
  child: ChildProcess;
  /** Warnings and errors the node logged (pino levels 40+). */
  warnings: string[];
  url: string;
  port: number;
  dir: string;
  client: BenchClient;
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

// Node processes still running when the benchmark process exits (it failed, or was interrupted)
// are killed with it, never left holding their data directories.
const running = new Set<ChildProcess>();
process.once("exit", () => running.forEach((c) => c.kill("SIGKILL")));

export async function startBenchNode(args: string[], opts: BenchNodeOptions = {}): Promise<BenchNode> {
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "tangle-bench-"));
  const cgroup = opts.memoryLimitBytes ? MemoryCgroup.create(opts.memoryLimitBytes) : undefined;
  const t0 = performance.now();
  // Node processes run as `npm start` runs them (NODE_RUNTIME_FLAGS); BENCH_NODE_FLAGS adds flags,
  // e.g. "--cpu-prof --cpu-prof-dir=prof", and later flags win.
  const flags = [...NODE_RUNTIME_FLAGS, ...(process.env.BENCH_NODE_FLAGS ?? "").split(/\s+/).filter(Boolean)];
  const child = spawn(process.execPath, [...flags, BIN, "node", "--port", "0", "--data", dir, "--log-level", "info", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CI: "1" },
  });
  if (cgroup) cgroup.add(child.pid!);
  running.add(child);
  child.once("exit", () => running.delete(child));
  const warnings: string[] = [];
  let lineBuf = "";
  let startupMs = NaN;
  child.stdout!.on("data", (d) => {
    lineBuf += String(d);
    let nl: number;
    while ((nl = lineBuf.indexOf("\n")) >= 0) {
      const line = lineBuf.slice(0, nl);
      lineBuf = lineBuf.slice(nl + 1);
      if (/"level":(4|5|6)0/.test(line) && warnings.length < 200) warnings.push(line);
      const m = /"startupMs":(\d+)/.exec(line);
      if (m) startupMs = Number(m[1]);
    }
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = "";
    const t = setTimeout(() => reject(new Error("node did not start")), 120_000);
    child.stdout!.on("data", (d) => {
      buf += String(d);
      const m = /"url":"(ws:\/\/[^"]+)"/.exec(buf);
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`node exited with ${code}`)));
  });
  const readyMs = performance.now() - t0;
  const client = await BenchClient.connect(url);
  return {
    child,
    warnings,
    url,
    port: Number(new URL(url).port),
    dir,
    client,
    startupMs,
    readyMs,
    cgroup,
    async stop() {
      client.close();
      if (child.exitCode === null && child.signalCode === null) {
        const done = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await done;
      }
      if (!opts.keep) fs.rmSync(dir, { recursive: true, force: true });
      cgroup?.remove();
    },
  };
}

export class BenchClient {
  private next = 1;
  private readonly pending = new Map<number, (m: any) => void>();
  private readonly listeners: ((topic: string, data: any) => void)[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on("message", (d: Buffer) => {
      const m = packr.unpack(d);
      if (m && "topic" in m) {
        for (const l of this.listeners) l(m.topic, m.data);
        return;
      }
      const cb = this.pending.get(m?.id);
      if (cb) {
        this.pending.delete(m.id);
        cb(m);
      }
    });
  }
  static connect(url: string): Promise<BenchClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once("open", () => resolve(new BenchClient(ws)));
      ws.once("error", reject);
    });
  }
  call(method: string, params?: unknown): Promise<any> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, (m) => (m.error ? reject(Object.assign(new Error(m.error.message), { code: m.error.code })) : resolve(m.result)));
      this.ws.send(packr.pack({ id, method, params }));
    });
  }
  onPush(fn: (topic: string, data: any) => void): void {
    this.listeners.push(fn);
  }
  close(): void {
    this.ws.close();
  }
}
