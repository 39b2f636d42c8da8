/** Starts a real `tangle node` process on 127.0.0.1 with a random port, and a raw API client. */
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { Packr } from "msgpackr";
import WebSocket from "ws";

export const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: "number" } as ConstructorParameters<typeof Packr>[0]);
const BIN = path.join(__dirname, "..", "..", "..", "bin", "tangle.js");

export interface NodeProcess {
  child: ChildProcess;
  port: number;
  url: string;
  logs: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startNode(args: string[]): Promise<NodeProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "node", "--port", "0", "--log-level", "debug", ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CI: "1" } });
    const logs: string[] = [];
    let buf = "";
    const timer = setTimeout(() => reject(new Error(`node did not start: ${logs.join("\n")}`)), 20_000);
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    child.stderr!.on("data", (d) => logs.push(String(d)));
    child.stdout!.on("data", (d) => {
      buf += String(d);
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        logs.push(line);
        try {
          const j = JSON.parse(line);
          if (j.msg === "listening") {
            clearTimeout(timer);
            const port = Number(new URL(j.url).port);
            resolve({
              child,
              port,
              url: j.url,
              logs,
              stop: async (signal = "SIGTERM") => {
                child.kill(signal);
                return exited;
              },
            });
          }
        } catch {
          /* not JSON */
        }
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code}: ${logs.join("\n")}`));
    });
  });
}

export class RawClient {
  private nextId = 1;
  private readonly pending = new Map<number | string, (msg: any) => void>();
  readonly pushes: { topic: string; data: any }[] = [];
  /** Every frame received, as sent by the node (for tests of the encoding itself). */
  readonly frames: Buffer[] = [];
  private pushWaiters: { match: (p: { topic: string; data: any }) => boolean; resolve: (p: any) => void }[] = [];
  others: any[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data: Buffer) => {
      this.frames.push(data);
      const msg = packr.unpack(data);
      if (msg && typeof msg === "object" && "topic" in msg) {
        this.pushes.push(msg);
        this.pushWaiters = this.pushWaiters.filter((w) => {
          if (w.match(msg)) {
            w.resolve(msg);
            return false;
          }
          return true;
        });
        return;
      }
      const cb = this.pending.get(msg?.id);
      if (cb) {
        this.pending.delete(msg.id);
        cb(msg);
      } else this.others.push(msg);
    });
  }

  static connect(url: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once("open", () => resolve(new RawClient(ws)));
      ws.once("error", reject);
    });
  }

  /** Sends a request and resolves with the whole response ({id, result} or {id, error}). */
  raw(method: string, params?: unknown): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.ws.send(packr.pack({ id, method, params }));
    });
  }

  async call(method: string, params?: unknown): Promise<any> {
    const r = await this.raw(method, params);
    if (r.error) throw Object.assign(new Error(r.error.message), { code: r.error.code });
    return r.result;
  }

  waitPush(match: (p: { topic: string; data: any }) => boolean, timeoutMs = 10_000): Promise<{ topic: string; data: any }> {
    const seen = this.pushes.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("push not received")), timeoutMs);
      this.pushWaiters.push({ match, resolve: (p) => (clearTimeout(t), resolve(p)) });
    });
  }

  close(): void {
    this.ws.close();
  }
}
