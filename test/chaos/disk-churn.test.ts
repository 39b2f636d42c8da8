/**
 * Chaos: a disk that fills and frees, again and again (issue 15); test/chaos/disk-full.test.ts fills
 * to the reserve only, this one also lets another program take the whole disk at once (LMDB then
 * writes into its headroom, node/storage/headroom.ts) and restarts on a disk still full. A small tmpfs is mounted for the
 * scenario (as root; where it cannot be mounted the scenario fails with the reason, it never
 * skips). A coordinator on it takes readings from several gateways without pause while a filler
 * file takes the free space away; each cycle, in a seeded way, down to the reserve or all of it
 * at once, and with or without a kill -9 and a restart while the disk is full. What must hold:
 * the process never dies by itself (no signal, no exit), every refusal is ERR_STORAGE_FULL (never
 * a write that met the full disk, never ERR_INTERNAL), /health answers 503 while writes are refused, reads keep
 * working, writes resume by themselves when the filler goes, and in the end everything
 * acknowledged is stored, intact and confirmed, and `tangle check` finds the database whole.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { toHex } from "../../client/protocol/bytes";
import { transactionId } from "../../client/protocol/codec";
import { keyPairFromSeed } from "../../client/protocol/keys";
import { NodeProcess, RawClient, startNodeProcess } from "../node/api/_process";
import { buildVia } from "../node/api/_tx";
import { paced, report, scale, seeded, sleep, tangle, tempDir, until, within } from "./_chaos";

const CYCLES = scale(2, 6);
const MiB = 2 ** 20;
jest.setTimeout(60_000 + CYCLES * 40_000);

const rng = seeded("disk-churn");
let mnt = "";
let mounted = false;
let proc: NodeProcess | undefined;

beforeAll(() => {
  mnt = tempDir("disk-churn");
  if (process.getuid?.() !== 0) throw new Error("the disk-full scenario mounts a 32 MiB tmpfs and needs root for it; run it as root (CI does)");
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=32m", "tmpfs", mnt], { stdio: "pipe" });
  } catch (err) {
    throw new Error(`the disk-full scenario could not mount a tmpfs: ${String((err as { stderr?: unknown }).stderr ?? err)}`);
  }
  mounted = true;
});

afterAll(async () => {
  await proc?.stop("SIGKILL");
  if (mounted) execFileSync("umount", [mnt]);
  fs.rmSync(mnt, { recursive: true, force: true });
});

const data = () => path.join(mnt, "node");
const filler = () => path.join(mnt, "filler");
const issuers = Array.from({ length: 6 }, () => keyPairFromSeed(rng.bytes(32)));

function freeBytes(): number {
  const s = fs.statfsSync(mnt);
  return s.bavail * s.bsize;
}

/** The filler takes every block that is left, to ENOSPC. */
function takeTheRest(): void {
  const fd = fs.openSync(filler(), "a");
  try {
    for (;;) fs.writeSync(fd, Buffer.alloc(4096, 7));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    fs.closeSync(fd);
  }
}

/** Fills the disk with the filler file until `leave` bytes are free. */
function fill(leave: number): void {
  const fd = fs.openSync(filler(), "a");
  const chunk = Buffer.alloc(128 * 1024, 7);
  try {
    while (freeBytes() - chunk.length > leave) fs.writeSync(fd, chunk);
  } finally {
    fs.closeSync(fd);
  }
}

/** /health's status, or what kept it from answering (the process's state is checked apart). */
async function health(p: NodeProcess): Promise<number | string> {
  try {
    const r = await fetch(`http://127.0.0.1:${p.port}/health`);
    await r.arrayBuffer();
    return r.status;
  } catch (err) {
    return `no answer: ${String((err as { cause?: unknown }).cause ?? err)}; process ${JSON.stringify(alive(p))}; log tail:\n${p.logs.slice(-15).join("\n")}`;
  }
}

const alive = (p: NodeProcess) => ({ exit: p.child.exitCode, signal: p.child.signalCode });

test(`${CYCLES} fill and free cycles under load, to the reserve or all at once, with kill -9 while full: never a crash, nothing acknowledged lost`, async () => {
  const acked = new Set<string>();
  const refusals: Record<string, number> = {};
  const cycles: { takeAll: boolean; killedWhileFull: boolean; restartedWhileFull?: boolean; refusedWhileFull: boolean; unhealthyWhileFull: boolean; resumedMs: number }[] = [];
  let serial = 0;

  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const reserveMib = 8;
    // Half the cycles, another program takes the whole disk at once, between two of the node's checks.
    const takeAll = rng.chance(0.5);
    const args = () => ["--network", "dev", "--coordinator-key", "dev", "--data", data(), "--milestone-interval-ms", "300", "--storage-reserve-mib", String(reserveMib)];
    proc = await startNodeProcess(args());
    let c = await RawClient.connect(proc.url);
    let stop = false;
    let lastRefusal = "";
    // Gateways submitting readings of 2-8 KiB as fast as the node takes them.
    const load = (async () => {
      while (!stop) {
        const key = issuers[serial++ % issuers.length];
        const size = 2048 + rng.int(6144);
        const payload = { type: "data" as const, streamId: rng.bytes(32), sequence: 0, prevRecordId: new Uint8Array(32), contentType: "application/octet-stream", data: rng.bytes(size) };
        try {
          const call = (m: string, p?: unknown) => within(c.call(m, p), 3000, m);
          const bytes = await buildVia(call, key, payload);
          const r = await within(c.raw("submitTransaction", { bytes }), 3000, "submitTransaction");
          if (r.error) {
            refusals[r.error.code] = (refusals[r.error.code] ?? 0) + 1;
            lastRefusal = r.error.code;
            await sleep(50);
          } else {
            expect(r.result.id).toBe(toHex(transactionId(bytes)));
            acked.add(r.result.id);
            lastRefusal = "";
          }
        } catch {
          await sleep(50); // the node is being restarted, or a call of the build was refused
        }
      }
    })();
    await sleep(300);
    fill(takeAll ? 0 : (reserveMib - 1) * MiB);
    if (takeAll) takeTheRest();
    let refusedWhileFull = false;
    await until("writes refused on the full disk", () => (refusedWhileFull = ["ERR_STORAGE_FULL", "ERR_STORAGE"].includes(lastRefusal)), 15_000).catch(() => undefined);
    const unhealthyWhileFull = (await health(proc)) === 503;
    expect(alive(proc)).toEqual({ exit: null, signal: null });

    const killedWhileFull = rng.chance(0.5);
    let restartedWhileFull: boolean | undefined;
    if (killedWhileFull) {
      await proc.stop("SIGKILL");
      // A node restarted on a full disk comes up (reads work) or refuses to start with a clear message; never a crash by signal.
      const again = await startNodeProcess(args()).catch((err: Error) => err);
      restartedWhileFull = !(again instanceof Error);
      if (again instanceof Error) {
        expect(again.message).not.toMatch(/SIG(SEGV|BUS|ABRT)|Segmentation|Aborted/);
        fs.rmSync(filler());
        proc = await startNodeProcess(args());
      } else proc = again;
      c.ws.terminate();
      c = await RawClient.connect(proc.url);
    }
    // Reads work, full or not: a sample of what was acknowledged.
    for (const id of [...acked].slice(-20)) {
      const r = await paced(c, "getTransaction", { id });
      expect(r.error ?? toHex(transactionId(new Uint8Array(r.result.bytes)))).toBe(id);
    }
    fs.rmSync(filler(), { force: true });
    const t0 = Date.now();
    const before = acked.size;
    let lastHealth: number | string = 0;
    await until("writes resume by themselves", async () => acked.size > before + 5 && (lastHealth = await health(proc!)) === 200, 20_000, 100).catch((err: Error) => {
      throw new Error(`${rng.why(err.message)}; /health: ${lastHealth}`);
    });
    const resumedMs = Date.now() - t0;
    stop = true;
    await load;
    expect(alive(proc)).toEqual({ exit: null, signal: null });
    cycles.push({ takeAll, killedWhileFull, restartedWhileFull, refusedWhileFull, unhealthyWhileFull, resumedMs });
    c.ws.terminate();
    if (rng.chance(0.5)) await proc.stop("SIGKILL");
    else expect(await proc.stop("SIGTERM")).toBe(0);
  }

  // In the end, with space: everything acknowledged is stored, intact and confirmed.
  // (The default reserve, 64 MiB at least, is more than this whole disk: name one.)
  proc = await startNodeProcess(["--network", "dev", "--coordinator-key", "dev", "--data", data(), "--milestone-interval-ms", "300", "--storage-reserve-mib", "8"]);
  const c = await RawClient.connect(proc.url);
  let left = [...acked];
  const missing: string[] = [];
  await until(
    "everything acknowledged confirmed",
    async () => {
      const next: string[] = [];
      for (const id of left) {
        const r = await paced(c, "getTransactionMetadata", { id });
        if (r.error?.code === "ERR_NOT_FOUND") missing.push(id);
        else if (r.error) throw new Error(`${id}: ${r.error.code}`);
        else if (!r.result.confirmed) next.push(id);
      }
      left = next;
      return left.length === 0 || missing.length > 0;
    },
    20_000,
    300,
  ).catch((err: Error) => {
    if (!err.message.startsWith("timed out")) throw err;
  });
  c.ws.terminate();
  expect(await proc.stop("SIGTERM")).toBe(0);
  proc = undefined;
  const check = tangle(["check", "--data", data(), "--json"]);
  report("disk-churn", { cycles, acknowledged: acked.size, missing: missing.length, unconfirmed: left.length, refusals, checkExit: check.status });

  // Never a write that met the full disk (ERR_STORAGE): the reserve refuses first, and LMDB writes into its headroom.
  expect(Object.keys(refusals).filter((code) => code !== "ERR_STORAGE_FULL")).toEqual([]);
  expect(cycles.map((x) => [x.refusedWhileFull, x.unhealthyWhileFull])).toEqual(cycles.map(() => [true, true]));
  expect({ missing, unconfirmed: left.slice(0, 5) }).toEqual({ missing: [], unconfirmed: [] });
  expect({ status: check.status, signal: check.signal }).toEqual({ status: 0, signal: null });
});
