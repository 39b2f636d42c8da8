/**
 * `tangle bench fairness --quick --json FILE` (the built command against a real node process): it
 * runs and writes the shared report format with the figures the suite promises, and its checks
 * passed (every honest record acknowledged and stored; the suite throws otherwise).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tangle } from "../cli/_run";

jest.setTimeout(90_000);

test("tangle bench fairness --quick --json writes a valid report with the honest latencies, their ratio and the flooder's rate, paced and unpaced", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-fairness-"));
  try {
    const file = path.join(dir, "fairness.json");
    const r = await tangle(["bench", "fairness", "--quick", "--json", file]);
    expect(r.stderr.replace(/.*\r/g, "")).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const report = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(report.suite).toBe("fairness");
    expect(typeof report.machine.cpuModel).toBe("string");
    const find = (name: string, metric: string, phase?: string) =>
      report.results.filter((x: any) => x.name === name && x.metric === metric && (phase === undefined || x.params.phase === phase));
    for (const phase of ["quiet", "flood-paced", "flood", "flood-one-key"]) {
      for (const metric of ["latency-p50", "latency-p99"]) {
        const rows = find("fairness-honest-ack-latency", metric, phase);
        expect(rows).toHaveLength(1);
        expect(rows[0].value).toBeGreaterThan(0);
        expect(rows[0].unit).toBe("ms");
        expect(rows[0].params.samples).toBeGreaterThan(10);
      }
    }
    const p99 = (phase: string) => find("fairness-honest-ack-latency", "latency-p99", phase)[0].value;
    for (const phase of ["flood-paced", "flood", "flood-one-key"]) {
      const ratio = find("fairness-honest-p99-ratio", "flood-over-quiet", phase);
      expect(ratio).toHaveLength(1);
      expect(ratio[0].value).toBeCloseTo(p99(phase) / p99("quiet"), 1);
      expect(find("fairness-flooder-accepted", "transactions-per-second", phase)).toHaveLength(1);
    }
    expect(find("fairness-flooder-accepted", "transactions-per-second", "flood")[0].value).toBeGreaterThan(0);
    // The paced flood offers 660 records a second in all and never more: what the node accepted
    // of it is above zero and not above that rate (5 % for the rounding of the phase's length).
    const paced = find("fairness-flooder-accepted", "transactions-per-second", "flood-paced")[0];
    expect(paced.params.floodOffered).toBe(660);
    expect(paced.value).toBeGreaterThan(0);
    expect(paced.value).toBeLessThanOrEqual(660 * 1.05);
    expect(fs.existsSync(path.join(dir, "fairness-honest-latency.svg"))).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
