/** Helpers for multi-process network tests: start real node processes (the shared launcher, via ../node/api/_process.ts), wait for conditions. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RawClient, startNodeProcess, NodeProcess } from "../node/api/_process";

export interface NetNode {
  proc: NodeProcess;
  client: RawClient;
  dir: string;
  args: string[];
}

const dirs: string[] = [];

export async function launch(extra: string[], dir?: string): Promise<NetNode> {
  const d = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "tangle-net-"));
  if (!dir) dirs.push(d);
  const args = ["--network", "dev", "--data", d, "--milestone-interval-ms", "150", "--admin-token", "secret", ...extra];
  const proc = await startNodeProcess(args);
  const client = await RawClient.connect(proc.url);
  return { proc, client, dir: d, args };
}

export async function stopAll(nodes: (NetNode | undefined)[]): Promise<void> {
  for (const n of nodes) {
    if (!n) continue;
    n.client.close();
    if (n.proc.child.exitCode === null) await n.proc.stop();
  }
}

export function cleanup(): void {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
