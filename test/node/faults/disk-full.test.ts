/**
 * A full disk (issue 15, defect 3), on a real filesystem that fills: a tmpfs of 24 MiB mounted for
 * the test (root only: the test fails, never skips, where it cannot mount one) and a real node
 * process on it. The node stops taking writes at its reserve, before LMDB meets ENOSPC; and when
 * another program takes the whole disk between two of its checks, LMDB writes into the headroom
 * the node holds for its file (node/storage/headroom.ts) and still never meets ENOSPC. Either
 * way: submissions get ERR_STORAGE_FULL, the process lives, /health says why, everything acknowledged is readable
 * (and confirmed in the end), and writes resume by themselves once the space is back.
 */
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { transactionId } from "../../../client/protocol/codec";
import { toHex } from "../../../client/protocol/bytes";
import { keyPairFromSeed } from "../../../client/protocol/keys";
import type { Payload } from "../../../client/protocol/codec";
import { startNodeProcess, RawClient, NodeProcess } from "../api/_process";
import { buildVia } from "../api/_tx";

jest.setTimeout(120_000);

const MiB = 2 ** 20;
let mnt = "";
let mounted = false;
let proc: NodeProcess | undefined;
let client: RawClient | undefined;

beforeAll(() => {
  mnt = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-disk-full-"));
  if (process.getuid?.() !== 0) throw new Error("the disk-full test mounts a 24 MiB tmpfs and needs root for it; run it as root (CI does)");
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=24m", "tmpfs", mnt], { stdio: "pipe" });
  } catch (err) {
    throw new Error(`the disk-full test could not mount a tmpfs on ${mnt}: ${String((err as { stderr?: unknown }).stderr ?? err)}`);
  }
  mounted = true;
});

afterAll(async () => {
  client?.ws.terminate();
  await proc?.stop("SIGKILL");
  if (mounted) execFileSync("umount", [mnt]);
  fs.rmSync(mnt, { recursive: true, force: true });
});

// Several issuers, so that adaptive PoW does not slow one flooding issuer down.
const issuers = Array.from({ length: 8 }, (_, i) => keyPairFromSeed(new Uint8Array(32).fill(0x40 + i)));
let serial = 0;

/** A data record of `size` random bytes on a stream of its own. */
function bigRecord(size: number): Payload {
  const streamId = crypto.randomBytes(32);
  return { type: "data", streamId, sequence: 0, prevRecordId: new Uint8Array(32), contentType: "application/octet-stream", data: crypto.randomBytes(size) };
}

const freeBytes = () => {
  const s = fs.statfsSync(mnt);
  return s.bavail * s.bsize;
};

/** Fills the tmpfs with a file until `leaveBytes` are free. */
function fill(file: string, leaveBytes: number): void {
  const fd = fs.openSync(file, "w");
  const chunk = Buffer.alloc(256 * 1024, 7);
  try {
    while (freeBytes() - chunk.length > leaveBytes) fs.writeSync(fd, chunk);
  } finally {
    fs.closeSync(fd);
  }
}

const health = async (p: NodeProcess) => {
  const r = await fetch(`http://127.0.0.1:${p.port}/health`);
  return { status: r.status, body: (await r.json()) as { status: string; reason?: string } };
};

const alive = (p: NodeProcess) => ({ exitCode: p.child.exitCode, signal: p.child.signalCode });

/** Submits records of `size` bytes until one is refused (at most `max`); the acknowledged ids and the refusal. */
async function submitUntilRefused(c: RawClient, size: number, max: number): Promise<{ acked: string[]; refusal?: { code: string; message: string } }> {
  const acked: string[] = [];
  const call = (m: string, p?: unknown) => c.call(m, p);
  for (let i = 0; i < max; i++) {
    const bytes = await buildVia(call, issuers[serial++ % issuers.length], bigRecord(size));
    const r = await c.raw("submitTransaction", { bytes });
    if (r.error) return { acked, refusal: r.error };
    expect(r.result.id).toBe(toHex(transactionId(bytes)));
    acked.push(r.result.id);
  }
  return { acked };
}

async function waitFor(what: string, timeoutMs: number, ok: () => Promise<boolean>): Promise<void> {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Every id is readable (its bytes hash to it) and, in the end, confirmed by a milestone. */
async function allReadableAndConfirmed(c: RawClient, ids: string[]): Promise<void> {
  for (const id of ids) {
    const t = await c.call("getTransaction", { id });
    expect(toHex(transactionId(new Uint8Array(t.bytes)))).toBe(id);
  }
  let left = ids;
  await waitFor("every acknowledged transaction confirmed", 20_000, async () => {
    const next: string[] = [];
    for (const id of left) if (!(await c.call("getTransactionMetadata", { id })).confirmed) next.push(id);
    left = next;
    return left.length === 0;
  });
}

/** After the space is back: a new record is acknowledged and confirmed, without a restart. */
async function writesResume(p: NodeProcess, c: RawClient): Promise<void> {
  await waitFor("/health 200 again", 15_000, async () => (await health(p)).status === 200);
  const { acked, refusal } = await submitUntilRefused(c, 1024, 1);
  expect(refusal).toBeUndefined();
  await allReadableAndConfirmed(c, acked);
}

test("with a reserve: writes stop before the disk is full (ERR_STORAGE_FULL, /health 503), reads work, and resume when space returns", async () => {
  const data = path.join(mnt, "reserve");
  proc = await startNodeProcess(["--network", "dev", "--coordinator-key", "dev", "--data", data, "--milestone-interval-ms", "300", "--storage-reserve-mib", "8"]);
  client = await RawClient.connect(proc.url);
  const before = await submitUntilRefused(client, 4096, 5);
  expect(before.refusal).toBeUndefined();

  // Free space 3 MiB above the reserve; records of 12 KiB then fill it.
  const filler = path.join(mnt, "filler");
  fill(filler, 11 * MiB);
  const { acked, refusal } = await submitUntilRefused(client, 12 * 1024, 2000);
  expect(refusal?.code).toBe("ERR_STORAGE_FULL");
  expect(refusal?.message).toMatch(/storage full: \d+ MiB free, reserve 8 MiB/);
  expect(freeBytes()).toBeGreaterThan(4 * MiB); // stopped before the disk filled: LMDB never met ENOSPC

  // Still refusing, alive, unhealthy with the reason, and the coordinator issues nothing.
  const index = (await client.call("getNodeInfo")).latestMilestoneIndex;
  const again = await submitUntilRefused(client, 1024, 1);
  expect(again.refusal?.code).toBe("ERR_STORAGE_FULL");
  await new Promise((r) => setTimeout(r, 1000));
  expect((await client.call("getNodeInfo")).latestMilestoneIndex).toBe(index);
  expect(alive(proc)).toEqual({ exitCode: null, signal: null });
  const h = await health(proc);
  expect(h.status).toBe(503);
  expect(h.body.reason).toMatch(/^storage full: \d+ MiB free, reserve 8 MiB$/);
  const metrics = await (await fetch(`http://127.0.0.1:${proc.port}/metrics`)).text();
  expect(metrics).toMatch(/^tangle_storage_full 1$/m);
  // Reads keep working: every acknowledged record is there, with its bytes.
  for (const id of [...before.acked, ...acked]) {
    const t = await client.call("getTransaction", { id });
    expect(toHex(transactionId(new Uint8Array(t.bytes)))).toBe(id);
  }
  expect(proc.logs.filter((l) => l.includes("writes refused until space returns"))).toHaveLength(1);

  fs.rmSync(filler);
  await writesResume(proc, client);
  await allReadableAndConfirmed(client, [...before.acked, ...acked]);
  expect(proc.logs.filter((l) => l.includes("storage writable again"))).toHaveLength(1);
  expect(alive(proc)).toEqual({ exitCode: null, signal: null });
  client.ws.terminate();
  expect(await proc.stop("SIGTERM")).toBe(0);
  proc = undefined;
  fs.rmSync(data, { recursive: true, force: true });
});

test("another program takes the whole disk at once: LMDB writes into its headroom and never meets ENOSPC; the reserve stops the writes; they resume", async () => {
  const data = path.join(mnt, "whole");
  proc = await startNodeProcess(["--network", "dev", "--coordinator-key", "dev", "--data", data, "--milestone-interval-ms", "300", "--storage-reserve-mib", "8"]);
  client = await RawClient.connect(proc.url);
  // Writers keep submitting while the filler takes every free block in one go (between two of
  // the node's checks). Before the headroom, LMDB's next commit met ENOSPC and lmdb-js corrupted
  // its heap on the failure (SIGABRT) in about one run in four.
  let stop = false;
  const acked: string[] = [];
  const refusals: string[] = [];
  const writers = [0, 1, 2].map(async () => {
    while (!stop) {
      const { acked: a, refusal } = await submitUntilRefused(client!, 8 * 1024, 1);
      acked.push(...a);
      if (refusal) {
        refusals.push(refusal.code);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  });
  await new Promise((r) => setTimeout(r, 300));
  const filler = path.join(mnt, "filler");
  fill(filler, 0);
  const fd = fs.openSync(filler, "a");
  try {
    for (;;) fs.writeSync(fd, Buffer.alloc(4096, 7));
  } catch (err) {
    expect((err as NodeJS.ErrnoException).code).toBe("ENOSPC");
  } finally {
    fs.closeSync(fd);
  }
  await waitFor("writes refused", 10_000, async () => refusals.length > 0);
  await new Promise((r) => setTimeout(r, 1000));
  stop = true;
  await Promise.all(writers);
  expect(alive(proc)).toEqual({ exitCode: null, signal: null });
  expect(new Set(refusals)).toEqual(new Set(["ERR_STORAGE_FULL"]));
  expect(proc.logs.filter((l) => /Write error|No space left on device|storage write failed/.test(l))).toEqual([]);
  const h = await health(proc);
  expect(h.status).toBe(503);
  expect(h.body.reason).toMatch(/^storage full: 0 MiB free, reserve 8 MiB$/);
  for (const id of acked) {
    const t = await client.call("getTransaction", { id });
    expect(toHex(transactionId(new Uint8Array(t.bytes)))).toBe(id);
  }

  fs.rmSync(filler);
  await writesResume(proc, client);
  await allReadableAndConfirmed(client, acked);
  expect(alive(proc)).toEqual({ exitCode: null, signal: null });
  client.ws.terminate();
  expect(await proc.stop("SIGTERM")).toBe(0);
  proc = undefined;
});
