/**
 * Chaos: a full disk (issue 15, defect 3). A real node process on a 64 MiB tmpfs (mounted here;
 * root only: the scenario fails, never skips, where it cannot mount one), three writers submitting
 * records of random sizes while a filler file takes the disk down to the reserve and gives the
 * space back, cycle after cycle; then the disk fills once more, the node is killed with -9 and
 * started again on a bigger disk (the tmpfs remounted larger). Never a death, refusals only
 * ERR_STORAGE_FULL, every acknowledged record readable with its bytes, and confirmed in the end.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { transactionId } from "../../client/protocol/codec";
import { toHex } from "../../client/protocol/bytes";
import { keyPairFromSeed } from "../../client/protocol/keys";
import { startNodeProcess, RawClient, NodeProcess } from "../node/api/_process";
import { buildVia } from "../node/api/_tx";
import { paced, report, scale, seeded, sleep, tempDir, until, within } from "./_chaos";

const CYCLES = scale(2, 6);
jest.setTimeout(scale(120_000, 400_000));

const MiB = 2 ** 20;
const RESERVE_MIB = 8;
let mnt = "";
let mounted = false;
let proc: NodeProcess | undefined;

beforeAll(() => {
  mnt = tempDir("disk-full");
  if (process.getuid?.() !== 0) throw new Error("the disk-full scenario mounts a 64 MiB tmpfs and needs root for it; run it as root (CI does)");
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64m", "tmpfs", mnt], { stdio: "pipe" });
  } catch (err) {
    throw new Error(`the disk-full scenario could not mount a tmpfs on ${mnt}: ${String((err as { stderr?: unknown }).stderr ?? err)}`);
  }
  mounted = true;
});

afterAll(async () => {
  await proc?.stop("SIGKILL");
  if (mounted) execFileSync("umount", [mnt]);
  fs.rmSync(mnt, { recursive: true, force: true });
});

const freeBytes = () => {
  const s = fs.statfsSync(mnt);
  return s.bavail * s.bsize;
};

function fill(file: string, leaveBytes: number): void {
  const fd = fs.openSync(file, "a");
  const chunk = Buffer.alloc(128 * 1024, 7);
  try {
    while (freeBytes() - chunk.length > leaveBytes) fs.writeSync(fd, chunk);
  } finally {
    fs.closeSync(fd);
  }
}

const issuers = Array.from({ length: 9 }, (_, i) => keyPairFromSeed(new Uint8Array(32).fill(0x60 + i)));

test(`a disk filled and freed ${CYCLES} times under three writers, then a kill -9 while full and a restart on a bigger disk: no death, nothing acknowledged lost, all confirmed`, async () => {
  const rnd = seeded("disk-full");
  const data = path.join(mnt, "data");
  const filler = path.join(mnt, "filler");
  const args = ["--network", "dev", "--coordinator-key", "dev", "--data", data, "--milestone-interval-ms", "200", "--storage-reserve-mib", String(RESERVE_MIB)];
  proc = await startNodeProcess(args);
  const c = await RawClient.connect(proc.url);
  const call = (m: string, p?: unknown) => within(c.call(m, p), 10_000, m);
  const acked: string[] = [];
  const refusals: Record<string, number> = {};
  let stop = false;
  let n = 0;
  const writers = [0, 1, 2].map(async (w) => {
    while (!stop) {
      const i = n++;
      const size = 256 + Math.floor(rnd.next() * 4 * 1024);
      const streamId = new Uint8Array(32);
      streamId[0] = w;
      new DataView(streamId.buffer).setUint32(1, i);
      const bytes = await buildVia(call, issuers[(w * 3 + i) % issuers.length], { type: "data", streamId, sequence: 0, prevRecordId: new Uint8Array(32), contentType: "application/octet-stream", data: new Uint8Array(size).fill(i & 0xff) });
      const r = await within(c.raw("submitTransaction", { bytes }), 10_000, "submitTransaction");
      if (r.error) {
        refusals[r.error.code] = (refusals[r.error.code] ?? 0) + 1;
        await sleep(50);
      } else {
        expect(r.result.id).toBe(toHex(transactionId(bytes)));
        acked.push(r.result.id);
      }
    }
  });
  let lastHealth = "";
  const health = async () => {
    const r = await fetch(`http://127.0.0.1:${proc!.port}/health`);
    lastHealth = `${r.status} ${await r.text()}; ${Math.floor(freeBytes() / MiB)} MiB free`;
    return r.status;
  };
  // Until the node says it is full: the writers fill the last megabytes (and the node's headroom)
  // at the speed of the machine, so the wait goes on while acknowledgements still come, and fails
  // once 20 s pass with neither a new one nor a 503 (or after 120 s in all), naming what it saw.
  const untilFull = async (what: string) => {
    const t0 = Date.now();
    let seen = acked.length;
    let progressAt = t0;
    for (;;) {
      if ((await health()) === 503) return;
      if (acked.length > seen) [seen, progressAt] = [acked.length, Date.now()];
      if (Date.now() - progressAt > 20_000 || Date.now() - t0 > 120_000) {
        throw new Error(`${what}: no 503 after ${Date.now() - t0} ms (${acked.length} acknowledged, the last ${Date.now() - progressAt} ms ago; refusals ${JSON.stringify(refusals)}; health ${lastHealth})`);
      }
      await sleep(100);
    }
  };
  let fullSeen = 0;
  // A failure below stops the writers and waits for their last calls while the node still
  // answers, so none of them rejects later in whatever suite this worker runs next.
  const stopWritersOnFailure = async (err: unknown) => {
    stop = true;
    await Promise.allSettled(writers);
    throw err;
  };
  await (async () => {
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      fill(filler, (RESERVE_MIB + 1 + rnd.next() * 2) * MiB);
      await untilFull(rnd.why(`cycle ${cycle}: the node refusing writes`));
      fullSeen++;
      await sleep(300 + rnd.next() * 700);
      expect({ exitCode: proc.child.exitCode, signal: proc.child.signalCode }).toEqual({ exitCode: null, signal: null });
      fs.rmSync(filler);
      await until(rnd.why(`cycle ${cycle}: writes resumed`), async () => (await health()) === 200, 20_000, 100).catch((err: Error) => {
        throw new Error(`${err.message}; last /health: ${lastHealth}`);
      });
      await sleep(300 + rnd.next() * 700);
    }
    // Once more full, then killed there, and restarted on a bigger disk.
    fill(filler, (RESERVE_MIB + 1) * MiB);
    await untilFull(rnd.why("the node refusing writes before the kill"));
  })().catch(stopWritersOnFailure);
  stop = true;
  await Promise.all(writers);
  await proc.stop("SIGKILL");
  c.ws.terminate();
  execFileSync("mount", ["-o", "remount,size=128m", mnt]);
  proc = await startNodeProcess(args);
  const c2 = await RawClient.connect(proc.url);
  try {
    for (const id of acked) {
      const r = await paced(c2, "getTransaction", { id });
      expect(r.error).toBeUndefined();
      expect(toHex(transactionId(new Uint8Array(r.result.bytes)))).toBe(id);
    }
    let left = acked;
    await until(rnd.why("every acknowledged record confirmed after the restart"), async () => {
      const next: string[] = [];
      for (const id of left) if (!(await paced(c2, "getTransactionMetadata", { id })).result?.confirmed) next.push(id);
      left = next;
      return left.length === 0;
    }, 30_000, 300).catch(async (err: Error) => {
      // What the node says of itself and of one record left, for the failure message.
      const info = await c2.call("getNodeInfo");
      const meta = await paced(c2, "getTransactionMetadata", { id: left[0] });
      throw new Error(`${err.message}: ${left.length} of ${acked.length} left; /health ${await health()} (${lastHealth}); node ${JSON.stringify(info)}; ${JSON.stringify(meta)}; log tail:\n${proc!.logs.slice(-20).join("\n")}`);
    });
    expect(Object.keys(refusals).filter((code) => code !== "ERR_STORAGE_FULL")).toEqual([]);
    expect(fullSeen).toBe(CYCLES);
    report("disk-full", { cycles: CYCLES, reserveMiB: RESERVE_MIB, acknowledged: acked.length, refusedFull: refusals.ERR_STORAGE_FULL ?? 0, confirmedAfterRestart: acked.length - left.length });
  } finally {
    c2.ws.terminate();
  }
});
