/**
 * `tangle bench ledger-root --quick --json FILE` (the built command): it runs, its own checks pass
 * (the incremental root equals the root recomputed from all entries, the restored ledger's root
 * equals the tree's, every sampled proof verifies: the suite throws otherwise), and it writes the
 * shared report format with every figure the suite promises, and its chart.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tangle } from "../cli/_run";

jest.setTimeout(90_000);

test("tangle bench ledger-root --quick --json writes the per-milestone costs, the baseline, memory, open time and proof figures", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-ledger-root-"));
  try {
    const file = path.join(dir, "ledger-root.json");
    const r = await tangle(["bench", "ledger-root", "--quick", "--json", file]);
    expect(r.stderr.replace(/.*\r/g, "")).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const report = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(report.suite).toBe("ledger-root");
    expect(typeof report.machine.cpuModel).toBe("string");
    const rows = (name: string, metric: string, entries: number, changed?: number) =>
      report.results.filter((x: any) => x.name === name && x.metric === metric && x.params.entries === entries && (changed === undefined || x.params.changed === changed));
    for (const entries of [10_000, 100_000]) {
      for (const changed of [100, 1_000]) expect(rows("milestone-incremental", "us-median", entries, changed)).toHaveLength(1);
      for (const [name, metric] of [
        ["milestone-full-recompute", "us-median"],
        ["open-tree-build", "ms"],
        ["open-restore", "ms"],
        ["memory", "tree-bytes-per-entry"],
        ["proof", "bytes-median"],
        ["proof-verify", "us-median"],
      ]) {
        const found = rows(name, metric, entries);
        expect(found).toHaveLength(1);
        expect(found[0].value).toBeGreaterThan(0);
      }
    }
    expect(fs.existsSync(path.join(dir, "ledger-root-milestone.svg"))).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
