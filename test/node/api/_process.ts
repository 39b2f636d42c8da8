/**
 * Real `tangle node` processes for the tests where the process boundary is the point (signals,
 * exit codes, crash, the command's own output, networks of nodes), through the one launcher the
 * benchmarks use too (bench/lib/processes.ts); and a raw API client that sees every frame.
 * Tests that need no process start the node in-process: test/support/node.ts.
 */
import WebSocket from "ws";
import { packFrame, unpackFrame } from "../../../client/protocol/frame";
import { launchNode, NodeProcess } from "../../../bench/lib/processes";

export type { NodeProcess };

/** The API's frame codec (client/protocol/frame.ts), with Buffers out for `ws.send`. */
export const packr = {
  pack: (value: unknown): Buffer => Buffer.from(packFrame(value)),
  unpack: (bytes: Uint8Array): any => unpackFrame(bytes),
};

/** `tangle node --port 0 --log-level debug ARGS` in a real process, on 127.0.0.1 (the default host). */
export function startNodeProcess(args: string[]): Promise<NodeProcess> {
  return launchNode(["--log-level", "debug", ...args]);
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
      this.ws.send(packr.pack(params === undefined ? { id, method } : { id, method, params }));
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
