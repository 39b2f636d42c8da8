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
  const pruned = flatness(figures, 50);
  expect(pruned.map((x) => [x.metric, x.value])).toEqual([
    ["throughput", 1.25],
    ["pages-in-use", 1.25],
    ["file-bytes", 1.25],
    ["rss", 1.25],
    ["heap", 1.25],
    ["restart", 1.25],
  ]);
  for (const x of pruned) expect(x.params).toEqual({ pruning: 50, from: 300, to: 400 });
  const archive = flatness(figures, "off");
  for (const x of archive) expect([x.params.from, x.params.to, x.value]).toEqual([100, 400, 5]);
  // No base, or the base is the last checkpoint: no summary.
  expect(flatness(figures.slice(0, 2), 50)).toEqual([]);
  expect(flatness(figures.slice(0, 3), 50)).toEqual([]);
  expect(flatness(figures.slice(0, 1), "off")).toEqual([]);
});
