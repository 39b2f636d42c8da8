/**
 * Headroom (node/storage/headroom.ts): blocks held for a file past its end, on a real filesystem
 * that fills. A 16 MiB tmpfs is mounted here (root only: the test fails, never skips, where it
 * cannot mount one). With the headroom in place, a file grows by 3 MiB on a disk that another file
 * has filled to the last block, where a write to any other file fails with ENOSPC: the writes LMDB
 * makes past the end of its file find their blocks already allocated.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { canPreallocate, Headroom, headroomBytes } from "../../../node/storage/headroom";

const MiB = 2 ** 20;
let mnt = "";
let mounted = false;

beforeAll(() => {
  mnt = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-headroom-"));
  if (process.getuid?.() !== 0) throw new Error("the headroom test mounts a 16 MiB tmpfs and needs root for it; run it as root (CI does)");
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", mnt], { stdio: "pipe" });
  mounted = true;
});

afterAll(() => {
  if (mounted) execFileSync("umount", [mnt]);
  fs.rmSync(mnt, { recursive: true, force: true });
});

async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(ok()).toBe(true);
}

/** Writes `bytes` at `offset` of `file`; the error code, or "ok". */
function writeAt(file: string, offset: number, bytes: number): string {
  const fd = fs.openSync(file, "r+");
  try {
    fs.writeSync(fd, Buffer.alloc(bytes, 9), 0, bytes, offset);
    fs.fsyncSync(fd);
    return "ok";
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  } finally {
    fs.closeSync(fd);
  }
}

test("the headroom is half the reserve, 4 MiB to 64 MiB", () => {
  expect(headroomBytes(0)).toBe(4 * MiB);
  expect(headroomBytes(20 * MiB)).toBe(10 * MiB);
  expect(headroomBytes(1024 * MiB)).toBe(64 * MiB);
});

test("a file with headroom grows on a full disk; another file cannot; a top-up on the full disk fails quietly", async () => {
  expect(canPreallocate(mnt)).toBe(true);
  const file = path.join(mnt, "data.mdb");
  fs.writeFileSync(file, Buffer.alloc(MiB, 1));
  const h = new Headroom(file, () => 4 * MiB);
  expect(h.allocatedPastEnd()).toBe(0);
  h.top();
  await until(() => h.allocations === 1);
  expect(h.allocatedPastEnd()).toBeGreaterThanOrEqual(4 * MiB);
  expect(fs.statSync(file).size).toBe(MiB); // size and content unchanged
  expect(fs.readFileSync(file).every((b) => b === 1)).toBe(true);
  h.top(); // more than half left: nothing to do
  expect(h.allocations).toBe(1);

  // Another program takes every block that is left.
  const filler = path.join(mnt, "filler");
  const fd = fs.openSync(filler, "w");
  const chunk = Buffer.alloc(64 * 1024, 7);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (err) {
    expect((err as NodeJS.ErrnoException).code).toBe("ENOSPC");
  } finally {
    fs.closeSync(fd);
  }
  fs.writeFileSync(path.join(mnt, "other"), "");
  expect(writeAt(path.join(mnt, "other"), 0, 4096)).toBe("ENOSPC");

  // The file grows by 3 MiB past its end, page by page, as LMDB would write.
  for (let off = MiB; off < 4 * MiB; off += 8192) expect(writeAt(file, off, 8192)).toBe("ok");
  expect(fs.statSync(file).size).toBe(4 * MiB);

  // Less than half left, and no space for more: the top-up fails, is recorded, throws nothing.
  h.top();
  await until(() => h.lastError !== undefined);
  expect(h.lastError).toMatch(/No space left on device/);
  expect(h.allocations).toBe(1);

  // Space back: the next top-up succeeds and clears the error.
  fs.rmSync(filler);
  h.top();
  await until(() => h.allocations === 2);
  expect(h.lastError).toBeUndefined();
  expect(h.allocatedPastEnd()).toBeGreaterThanOrEqual(4 * MiB);
});
