/**
 * Releasing mapped LMDB pages (the native madvise helper, Linux only): the helper is built where it
 * should be and refuses bad ranges with an errno; a release shrinks the resident set and every byte
 * still reads back; the watcher thread releases while the event loop is blocked; a node with a
 * budget releases by itself; npm start's runtime flags are the documented ones.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { Store } from "../../../node/storage/store";
import { mappingsOf, pagesAddon, residentFileBytes } from "../../../node/storage/mapped-pages";
import { TangleNode } from "../../../node/tangle-node";
import { NODE_RUNTIME_FLAGS } from "../../../node/config";
import { testGenesis, tmpDir } from "../_helpers";

const MiB = 2 ** 20;
const linux = process.platform === "linux";

/** Writes 24,000 random 1,000-byte values into `store.tx`; returns them in key order. */
async function fill24MB(store: Store): Promise<Buffer[]> {
  const values: Buffer[] = [];
  for (let i = 0; i < 24_000; i++) values.push(randomBytes(1000));
  await store.root.transaction(() => {
    values.forEach((v, i) => store.tx.put(Buffer.from(i.toString(16).padStart(8, "0")), v));
  });
  return values;
}

// The helper is Linux-only; CI builds it at install (npm ci runs the build), so there it must exist.
test("the native helper is built on Linux (only there) and refuses bad ranges with an errno", () => {
  const addon = pagesAddon();
  if (!linux) {
    expect(addon).toBeNull();
    expect(residentFileBytes()).toBeUndefined();
    return;
  }
  expect(addon).not.toBeNull();
  expect(addon!.release(0, 4096)).toBe(22); // EINVAL: no start
  expect(addon!.release(4096, 0)).toBe(22); // EINVAL: no length
  expect(addon!.release(4096, 4096)).toBe(12); // ENOMEM: nothing mapped at page 1
  expect(mappingsOf(path.join(tmpDir(), "absent.mdb"))).toEqual([]);
  expect(addon!.watch("", 4096, 10)).toBe(-22); // no file
  expect(addon!.watch("/x", -1, 10)).toBe(-22); // negative budget
  expect(addon!.watch("/x", 4096, 0)).toBe(-22); // no period
  expect(addon!.releases(9999)).toBe(-1);
  expect(addon!.check(9999)).toBe(-1);
  expect(addon!.unwatch(9999)).toBe(-1);
  const h = addon!.watch(path.join(tmpDir(), "absent.mdb"), 4096, 5);
  expect(h).toBeGreaterThan(0);
  expect(addon!.releases(h)).toBe(0);
  expect(addon!.check(h)).toBe(0); // nothing of that file mapped, nothing grew past 4 KiB... or if it did, nothing to release
  expect(addon!.unwatch(h)).toBe(0);
  expect(addon!.unwatch(h)).toBe(-1); // already stopped
});

test("releasing the database mapping shrinks the resident set and every byte still reads back", async () => {
  if (!linux) return; // covered by the test above: no helper, nothing released
  const dir = tmpDir();
  const store = await Store.open(dir);
  try {
    // 24 MB of values, written through LMDB (pwrite), then read through its map.
    const values = await fill24MB(store);
    const digest = () => {
      const h = createHash("sha256");
      for (const { value } of store.tx.getRange({})) h.update(value);
      return h.digest("hex");
    };
    const expected = createHash("sha256");
    values.forEach((v) => expected.update(v));
    store.releaseMappedPages();
    const before = residentFileBytes()!;
    expect(digest()).toBe(expected.digest("hex"));
    const mapped = residentFileBytes()!;
    expect(mapped - before).toBeGreaterThan(16 * MiB);

    const ranges = mappingsOf(path.join(dir, "data.mdb"));
    expect(ranges.length).toBeGreaterThan(0);
    expect(store.releaseMappedPages()).toBe(ranges.reduce((n, r) => n + r.end - r.start, 0));
    const after = residentFileBytes()!;
    expect(mapped - after).toBeGreaterThan(16 * MiB);

    // The pages come back from the page cache with the same bytes.
    const again = createHash("sha256");
    values.forEach((v) => again.update(v));
    expect(digest()).toBe(again.digest("hex"));
  } finally {
    await store.close();
  }
});

test("the watcher thread releases while the event loop is held by a synchronous read", async () => {
  if (!linux) return; // covered above
  const dir = tmpDir();
  const store = await Store.open(dir);
  try {
    const values = await fill24MB(store);
    store.releaseMappedPages();
    expect(store.watchMappedPages(4 * MiB)).toBe(true);
    // Read everything again and again without yielding, until the thread has released twice.
    const deadline = Date.now() + 10_000;
    let passes = 0;
    while (store.mappedReleases < 2 && Date.now() < deadline) {
      let i = 0;
      for (const { value } of store.tx.getRange({})) {
        if (!value.equals(values[i++])) throw new Error(`value ${i - 1} differs`);
      }
      expect(i).toBe(values.length);
      passes++;
    }
    expect(store.mappedReleases).toBeGreaterThanOrEqual(2);
    expect(passes).toBeGreaterThan(0);
  } finally {
    await store.close();
  }
  expect(store.mappedReleases).toBeGreaterThanOrEqual(2); // kept after the watcher stopped
});

test("a node with a budget releases the mapping by itself", async () => {
  if (!linux) return; // covered above
  const node = await TangleNode.open({ dataDir: tmpDir(), genesis: testGenesis(), mappedBudgetBytes: 4 * MiB });
  try {
    const store = node.store;
    await store.root.transaction(() => {
      for (let i = 0; i < 16_000; i++) store.approvers.put(Buffer.from(`k${i}`.padEnd(16, "-")), randomBytes(1000));
    });
    let n = 0;
    for (const { value } of store.approvers.getRange({})) n += value.length;
    expect(n).toBe(16_000_000);
    const deadline = Date.now() + 5000;
    while (node.store.mappedReleases === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(node.store.mappedReleases).toBeGreaterThan(0);
  } finally {
    await node.close();
  }
});

test("the runtime flags in package.json's start script are the ones the node documents", () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "../../../package.json"), "utf8")) as { scripts: Record<string, string> };
  expect(pkg.scripts.start).toMatch(/^node (.*) bin\/tangle\.js node /);
  expect(/^node (.*) bin\/tangle\.js node /.exec(pkg.scripts.start)![1].split(" ")).toEqual(NODE_RUNTIME_FLAGS);
});
