/**
 * `tangle bench storage` (the built command against a real node process): its run options are
 * checked as usage errors, a short archive run writes the shared report with every figure the
 * suite promises per checkpoint, its flatness summary and its charts, and its own checks passed
 * (every sampled acknowledged record stored after each restart, nothing moved back, the transfer
 * chains confirmed: the suite throws otherwise). The flatness summary's choice of base is checked
 * directly. Pruned runs need more than the node's recent window (65,536 arrivals) to prune at all,
 * too long for a test: bench/README.md reports them.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Figures, flatness } from "../../bench/storage/suite";
import { DB } from "../../node/storage/schema";
import { start, tangle } from "../cli/_run";

jest.setTimeout(90_000);

test.each([
  [["--transactions", "5"], /--transactions must be an integer from 1000 to 1000000000, got '5'/],
  [["--rate", "9000"], /--rate must be an integer from 100 to 6000, got '9000'/],
  [["--transactions", "20000", "--checkpoints", "30"], /--checkpoints 30 is more than one every 1000 of --transactions 20000/],
  [["--pruning", "off", "--pruning-depth", "10"], /--pruning-depth has no meaning with --pruning off/],
  [["--pruning", "maybe"], /argument 'maybe' is invalid. Allowed choices are on, off/],
])("tangle bench storage %j: exit 2, the option named, nothing run", async (args, message) => {
  const r = await tangle(["bench", "storage", ...(args as string[])]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message as RegExp);
  expect(r.stdout).toBe("");
});

test("the storage options belong to the storage suite: tangle bench pow --transactions is a usage error", async () => {
  const r = await tangle(["bench", "pow", "--transactions", "1000"]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/--transactions is an option of 'tangle bench storage' only/);
});

test("tangle bench storage --pruning off, a short run: per-checkpoint figures, samples stored, the flatness summary, both charts", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-storage-"));
  try {
    const file = path.join(dir, "storage-archive.json");
    const r = await tangle(["bench", "storage", "--pruning", "off", "--transactions", "6000", "--checkpoints", "2", "--rate", "1000", "--json", file]);
    expect(r.stderr.replace(/.*\r/g, "")).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    // Progress lines for people watching a long run: one per load chunk and per checkpoint.
    expect(r.stderr).toMatch(/storage: checkpoint 1 of 2 at [\d,]+: /);
    expect(r.stderr).toMatch(/storage: checkpoint 2 of 2 at [\d,]+: /);
    const report = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(report.suite).toBe("storage");
    const rows = (name: string, metric: string) => report.results.filter((x: any) => x.name === name && x.metric === metric);
    const checkpoints = rows("storage-throughput", "acknowledged");
    expect(checkpoints).toHaveLength(2);
    expect(checkpoints[0].params.storedTransactions).toBeGreaterThanOrEqual(3000);
    expect(checkpoints[1].params.storedTransactions).toBeGreaterThanOrEqual(6000);
    for (const [name, metric] of [
      ["storage-throughput", "acknowledged"],
      ["database", "pages-in-use"],
      ["database", "file"],
      ["node-memory", "rss"],
      ["node-memory", "heap-used"],
      ["restart", "until-answering"],
      ["pruning", "ledger-index"],
    ]) {
      const found = rows(name, metric);
      expect(found).toHaveLength(2);
      for (const x of found) {
        expect(x.params.pruning).toBe("off");
        expect(x.value).toBeGreaterThan(0);
      }
    }
    expect(rows("pruning", "pruning-index").map((x: any) => x.value)).toEqual([0, 0]);
    // The same 200 sensors for the whole run, each going on with its stream from chunk to chunk.
    const streams = rows("sensors", "streams");
    expect(streams.map((x: any) => x.value)).toEqual([200, 200]);
    const perStream = rows("sensors", "records-per-stream-max").map((x: any) => x.value);
    expect(perStream[0]).toBeGreaterThan(0);
    expect(perStream[1]).toBeGreaterThan(perStream[0]);
    // Pages in use by table at each checkpoint (getNodeInfo.database.tables): the 13 of the schema,
    // adding up to less than all pages in use; the records went into tx, ids and streams.
    const tables = rows("database-table", "pages-in-use");
    expect(tables).toHaveLength(2 * 13);
    for (const cp of checkpoints) {
      const mine = tables.filter((x: any) => x.params.storedTransactions === cp.params.storedTransactions);
      expect(mine.map((x: any) => x.params.table).sort()).toEqual(Object.values(DB).sort());
      const total = rows("database", "pages-in-use").find((x: any) => x.params.storedTransactions === cp.params.storedTransactions).value;
      expect(mine.reduce((a: number, x: any) => a + x.value, 0)).toBeLessThan(total);
      for (const t of ["tx", "ids", "streams"]) expect(mine.find((x: any) => x.params.table === t).value).toBeGreaterThan(10);
    }
    // An archive keeps everything: every sampled record stored, none answered ERR_PRUNED.
    for (const x of [...rows("sample-newest", "stored"), ...rows("sample-first", "stored")]) expect(x.value).toBe(x.params.sampled);
    for (const x of [...rows("sample-newest", "pruned"), ...rows("sample-first", "pruned")]) expect(x.value).toBe(0);
    const summary = report.results.filter((x: any) => x.name === "storage-flatness");
    expect(summary.map((x: any) => x.metric).sort()).toEqual(["file-bytes", "heap", "pages-in-use", "restart", "rss", "throughput"]);
    for (const x of summary) {
      expect(x.params).toEqual({ pruning: "off", from: checkpoints[0].params.storedTransactions, to: checkpoints[1].params.storedTransactions });
      expect(x.value).toBeGreaterThan(0);
    }
    // The run's chart beside the JSON, under its name; the memory detail of archive runs as before.
    expect(fs.readFileSync(path.join(dir, "storage-archive.svg"), "utf8")).toMatch(/Storage against transactions stored: archive node \(pruning off\)/);
    expect(fs.existsSync(path.join(dir, "storage-memory.svg"))).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Processes whose command line names `text` (the node of a data directory). */
function processesNaming(text: string): number[] {
  const pids: number[] = [];
  for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text)) pids.push(Number(pid));
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}

test("a run stopped by SIGTERM stops its node and deletes its data directory, and keeps the figures written at the checkpoints before", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-storage-stop-"));
  try {
    const file = path.join(dir, "storage.json");
    const run = start(["bench", "storage", "--pruning", "off", "--transactions", "40000", "--checkpoints", "8", "--rate", "1000", "--json", file]);
    const data = (await run.waitStderr(/data in (\S+)\n/))[1];
    await run.waitStderr(/storage: checkpoint 1 of 8 at/, 60_000);
    expect(processesNaming(data).length).toBeGreaterThan(0);
    run.child.kill("SIGTERM");
    const r = await run.done;
    expect(r.code).toBe(143);
    for (let k = 0; k < 50 && processesNaming(data).length; k++) await new Promise((res) => setTimeout(res, 100));
    expect(processesNaming(data)).toEqual([]);
    expect(fs.existsSync(data)).toBe(false);
    const report = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(report.results.filter((x: any) => x.name === "storage-throughput").length).toBeGreaterThanOrEqual(1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("flatness: pruned, from the first checkpoint after the first prune to the last; archive, from the first", () => {
  const at = (stored: number, pruningIndex: number, scale: number): Figures => ({
    stored,
    pruningIndex,
    throughput: 3000 * scale,
    pagesInUse: 10_000 * scale,
    fileBytes: 2 ** 26 * scale,
    rss: 2 ** 27 * scale,
    heap: 2 ** 25 * scale,
    restartMs: 2000 * scale,
  });
  const figures = [at(100, 0, 1), at(200, 0, 2), at(300, 40, 4), at(400, 80, 5)];
  const pruned = flatness(figures, 50).filter((x) => x.name === "storage-flatness");
  expect(pruned.map((x) => [x.metric, x.value])).toEqual([
    ["throughput", 1.25],
    ["pages-in-use", 1.25],
    ["file-bytes", 1.25],
    ["rss", 1.25],
    ["heap", 1.25],
    ["restart", 1.25],
  ]);
  for (const x of pruned) expect(x.params).toEqual({ pruning: 50, from: 300, to: 400 });
  const archive = flatness(figures, "off").filter((x) => x.name === "storage-flatness");
  expect(archive).toHaveLength(6);
  for (const x of archive) expect([x.params.from, x.params.to, x.value]).toEqual([100, 400, 5]);
  // No base, or the base is the last checkpoint: no summary.
  expect(flatness(figures.slice(0, 2), 50)).toEqual([]);
  expect(flatness(figures.slice(0, 3), 50)).toEqual([]);
  expect(flatness(figures.slice(0, 1), "off")).toEqual([]);
});

test("growth after the first prune: bytes of pages in use per transaction and per milestone, and the tables that grew, largest first", () => {
  const at = (stored: number, pruningIndex: number, ledgerIndex: number, tables: Record<string, number>): Figures => ({
    stored,
    pruningIndex,
    ledgerIndex,
    tables,
    pageSize: 4096,
    pagesInUse: Object.values(tables).reduce((a, b) => a + b, 0) + 5,
    throughput: 3000,
    fileBytes: 2 ** 26,
    rss: 2 ** 27,
    heap: 2 ** 25,
    restartMs: 2000,
  });
  const figures = [at(1000, 0, 10, { tx: 500, milestones: 10, streams: 40 }), at(3000, 20, 110, { tx: 900, milestones: 60, streams: 40 }), at(5000, 120, 210, { tx: 880, milestones: 110, streams: 50 })];
  const g = flatness(figures, 50).filter((x) => x.name === "storage-growth");
  // From the second checkpoint (the first pruned) to the third: 2,000 stored, 100 milestones,
  // pages 1,005 → 1,045: 40 pages of 4,096 bytes.
  expect(g.map((x) => [x.metric, x.params.table, x.value])).toEqual([
    ["bytes-per-transaction", undefined, Math.round((40 * 4096) / 2000)],
    ["bytes-per-milestone", undefined, Math.round((40 * 4096) / 100)],
    ["table-pages", "milestones", 50],
    ["table-pages", "streams", 10],
    ["table-pages", "tx", -20],
  ]);
  // A node that reports no tables (an older build): the totals only.
  const bare = figures.map(({ tables: _t, ...f }) => f);
  expect(flatness(bare, 50).filter((x) => x.name === "storage-growth").map((x) => x.metric)).toEqual(["bytes-per-transaction", "bytes-per-milestone"]);
});
