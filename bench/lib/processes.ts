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
  stop(): Promise<void>;
}

export async function startBenchNode(args: string[]): Promise<BenchNode> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-bench-"));
  // BENCH_NODE_FLAGS passes Node flags to the node processes, e.g. "--cpu-prof --cpu-prof-dir=prof".
  const flags = (process.env.BENCH_NODE_FLAGS ?? "").split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...flags, BIN, "node", "--port", "0", "--data", dir, "--log-level", "info", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CI: "1" },
  });
  const warnings: string[] = [];
  let lineBuf = "";
  child.stdout!.on("data", (d) => {
    lineBuf += String(d);
    let nl: number;
    while ((nl = lineBuf.indexOf("\n")) >= 0) {
      const line = lineBuf.slice(0, nl);
      lineBuf = lineBuf.slice(nl + 1);
      if (/"level":(4|5|6)0/.test(line) && warnings.length < 200) warnings.push(line);
    }
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = "";
    const t = setTimeout(() => reject(new Error("node did not start")), 20_000);
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
  const client = await BenchClient.connect(url);
  return {
    child,
    warnings,
    url,
    port: Number(new URL(url).port),
    dir,
    client,
    async stop() {
      client.close();
      const done = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await done;
      fs.rmSync(dir, { recursive: true, force: true });
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
