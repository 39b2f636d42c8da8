/**
 * Restart after kill -9 (issue 15, defect 7): every transaction the node acknowledged before it
 * was killed mid-burst is confirmed by the coordinator's milestones after the restart.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startNodeProcess, RawClient, NodeProcess } from "../api/_process";
import { buildVia, record } from "../api/_tx";
import { alice, bob } from "../_helpers";

jest.setTimeout(90_000);

let tmp: string;
let proc: NodeProcess | undefined;
beforeAll(() => void (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-restart-kill-"))));
afterAll(async () => {
  await proc?.stop("SIGKILL");
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A call that gives up when the node is gone (RawClient waits forever on a closed socket). */
function callOrGone(c: RawClient): (method: string, params?: unknown) => Promise<any> {
  return (method, params) =>
    Promise.race([c.call(method, params), new Promise((_, reject) => setTimeout(() => reject(new Error("gone")), 2000).unref())]);
}

const args = () => ["--network", "dev", "--coordinator-key", "dev", "--data", tmp, "--milestone-interval-ms", "300"];

test("after kill -9 cycles under load, every acknowledged transaction is confirmed after the last restart", async () => {
  const acked: string[] = [];
  for (let cycle = 0; cycle < 3; cycle++) {
    proc = await startNodeProcess(args());
    const c = await RawClient.connect(proc.url);
    const t0 = Date.now();
    let i = 0;
    const workers = [alice, bob].map(async (key, k) => {
      while (Date.now() - t0 < 1500) {
        const stream = new Uint8Array(32);
        stream[0] = cycle;
        stream[1] = k;
        stream[2] = i & 0xff;
        stream[3] = i++ >> 8;
        try {
          const call = callOrGone(c);
          const bytes = await buildVia(call, key, record(stream, 0));
          const r = await call("submitTransaction", { bytes });
          acked.push(r.id);
        } catch {
          return;
        }
      }
    });
    setTimeout(() => void proc!.stop("SIGKILL"), 1200);
    await Promise.all(workers);
    await proc.stop("SIGKILL");
    c.ws.terminate();
  }
  proc = await startNodeProcess(args());
  const c = await RawClient.connect(proc.url);
  const t0 = Date.now();
  let left = acked;
  while (left.length > 0 && Date.now() - t0 < 8000) {
    const next: string[] = [];
    for (const id of left) if (!(await c.call("getTransactionMetadata", { id })).confirmed) next.push(id);
    left = next;
    if (left.length) await new Promise((r) => setTimeout(r, 300));
  }
  const metas = await Promise.all(left.slice(0, 5).map((id) => c.call("getTransactionMetadata", { id })));
  c.ws.terminate();
  expect(acked.length).toBeGreaterThan(20);
  expect({ acked: acked.length, unconfirmed: left.length, sample: metas }).toEqual({ acked: acked.length, unconfirmed: 0, sample: [] });
});
