/**
 * The free-space reserve (node/storage/space.ts) over an injected statfs and clock: entering and
 * leaving the full state, the hysteresis margin, the default reserve, failed writes and their
 * retry, and the reading forced by large writes.
 */
import { defaultReserveBytes, resumeMarginBytes, SpaceState, SpaceWatcher, StatFsLike } from "../../../node/storage/space";

const MiB = 2 ** 20;

/** A filesystem of `totalMiB` whose free space the test sets. */
function disk(totalMiB: number, freeMiB: number) {
  const d = { free: freeMiB * MiB, reads: 0 };
  const statfs = (): StatFsLike => {
    d.reads++;
    return { bsize: 4096, blocks: (totalMiB * MiB) / 4096, bavail: Math.floor(d.free / 4096) };
  };
  return { d, statfs };
}

test("default reserve: 2 % of the filesystem, at least 64 MiB, at most 1 GiB", () => {
  expect(defaultReserveBytes(1024 * MiB)).toBe(64 * MiB);
  expect(defaultReserveBytes(10_000 * MiB)).toBe(200 * MiB);
  expect(defaultReserveBytes(1_000_000 * MiB)).toBe(1024 * MiB);
  expect(resumeMarginBytes(0)).toBe(MiB);
  expect(resumeMarginBytes(64 * MiB)).toBe(8 * MiB);
});

test("enters the full state below the reserve and leaves it only above reserve + margin (hysteresis), telling listeners once each way", () => {
  const { d, statfs } = disk(1000, 100);
  const w = new SpaceWatcher({ dir: "/x", reserveBytes: 16 * MiB, statfs, intervalMs: 0 });
  const changes: SpaceState[] = [];
  w.onChange((s) => changes.push(s));
  expect(w.full).toBe(false);
  d.free = 16 * MiB; // at the reserve: still writable
  expect(w.check().full).toBe(false);
  d.free = 16 * MiB - 4096;
  const s = w.check();
  expect(s).toEqual({ full: true, noSpace: true, freeBytes: 16 * MiB - 4096, reserveBytes: 16 * MiB, reason: "storage full: 15 MiB free, reserve 16 MiB" });
  // Back above the reserve but within the margin (2 MiB for a 16 MiB reserve): still full.
  d.free = 17 * MiB;
  expect(w.check().full).toBe(true);
  d.free = 18 * MiB - 4096;
  expect(w.check().full).toBe(true);
  d.free = 18 * MiB;
  expect(w.check()).toEqual({ full: false, noSpace: false, freeBytes: 18 * MiB, reserveBytes: 16 * MiB });
  expect(changes.map((c) => c.full)).toEqual([true, false]);
  // Dropping below the reserve again is a new entry, and only below the reserve itself.
  d.free = 17 * MiB;
  expect(w.check().full).toBe(false);
  d.free = 1 * MiB;
  w.check();
  w.check();
  expect(changes.map((c) => c.full)).toEqual([true, false, true]);
});

test("the default reserve follows the filesystem's size; a reserve of 0 never refuses for space", () => {
  const small = disk(1000, 63);
  const w = new SpaceWatcher({ dir: "/x", statfs: small.statfs, intervalMs: 0 });
  expect(w.reserveBytes).toBe(64 * MiB);
  expect(w.full).toBe(true);
  const none = disk(1000, 0);
  expect(new SpaceWatcher({ dir: "/x", reserveBytes: 0, statfs: none.statfs, intervalMs: 0 }).full).toBe(false);
});

test("a failed write refuses writes for retryMs, then free space decides again; ERR_STORAGE_FULL only for want of space", () => {
  const { statfs } = disk(1000, 500);
  let now = 1000;
  const w = new SpaceWatcher({ dir: "/x", reserveBytes: 16 * MiB, statfs, intervalMs: 0, retryMs: 5000, now: () => now });
  const changes: boolean[] = [];
  w.onChange((s) => changes.push(s.full));
  w.writeFailed("storage write failed: No space left on device", true);
  expect(w.state).toMatchObject({ full: true, noSpace: true, reason: "storage full: a write failed (storage write failed: No space left on device); writes refused, retried within 5 s" });
  now += 4999;
  expect(w.check().full).toBe(true);
  now += 1;
  expect(w.check().full).toBe(false);
  w.writeFailed("storage write failed: Input/output error", false);
  expect(w.state).toMatchObject({ full: true, noSpace: false, reason: "storage write failed (storage write failed: Input/output error); writes refused, retried within 5 s" });
  expect(changes).toEqual([true, false, true]);
});

test("large writes read statfs again once an eighth of the reserve was written since the last reading", () => {
  const { d, statfs } = disk(1000, 100);
  const w = new SpaceWatcher({ dir: "/x", reserveBytes: 16 * MiB, statfs, intervalMs: 0 });
  const reads = d.reads;
  expect(w.wrote(MiB)).toBe(false);
  expect(d.reads).toBe(reads); // 1 MiB of a 2 MiB margin: no new reading
  d.free = 10 * MiB;
  expect(w.wrote(MiB + 1)).toBe(true); // past 2 MiB: read, and below the reserve
  expect(d.reads).toBe(reads + 1);
});

test("an unreadable statfs leaves the state to failed writes alone", () => {
  const w = new SpaceWatcher({
    dir: "/x",
    reserveBytes: 16 * MiB,
    statfs: () => {
      throw new Error("ENOSYS");
    },
    intervalMs: 0,
  });
  expect(w.full).toBe(false);
  w.writeFailed("x", true);
  expect(w.full).toBe(true);
});

test("the timer reads statfs every intervalMs and stops", async () => {
  const { d, statfs } = disk(1000, 100);
  const w = new SpaceWatcher({ dir: "/x", reserveBytes: 16 * MiB, statfs, intervalMs: 20 });
  const reads = d.reads;
  d.free = MiB;
  await new Promise((r) => setTimeout(r, 120));
  expect(d.reads).toBeGreaterThan(reads);
  expect(w.full).toBe(true);
  w.stop();
  const after = d.reads;
  await new Promise((r) => setTimeout(r, 60));
  expect(d.reads).toBe(after);
});
