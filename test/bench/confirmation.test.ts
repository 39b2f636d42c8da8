/**
 * `tangle bench confirmation --quick --json FILE` (the built command against real node processes),
 * on the two burst patterns (BENCH_CONFIRMATION_PATTERNS, to keep it short): it runs, writes the
 * shared report format with the figures the suite promises, and its checks passed (every
 * acknowledged record stored, the node's metadata agreeing with the confirmed topic; the suite
 * throws otherwise). The shares are the suite's business, not asserted here beyond their range.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tangle } from "../cli/_run";

jest.setTimeout(90_000);

test("tangle bench confirmation --quick --json writes the shares, latencies and checkpoint figures per pattern", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-confirmation-"));
  try {
    const file = path.join(dir, "confirmation.json");
    const r = await tangle(["bench", "confirmation", "--quick", "--json", file], { BENCH_CONFIRMATION_PATTERNS: "burst,non-member" });
    expect(r.stderr.replace(/.*\r/g, "")).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const report = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(report.suite).toBe("confirmation");
    const find = (name: string, metric: string, pattern?: string) => report.results.filter((x: any) => x.name === name && x.metric === metric && (pattern === undefined || x.params.pattern === pattern));
    for (const pattern of ["burst", "non-member"]) {
      const shares = ["within-2-intervals", "within-10s", "never"].map((m) => find("confirmation-share", m, pattern));
      for (const s of shares) {
        expect(s).toHaveLength(1);
        expect(s[0].value).toBeGreaterThanOrEqual(0);
        expect(s[0].value).toBeLessThanOrEqual(1);
        expect(s[0].params.acknowledged).toBe(520);
      }
      // Within two intervals is within 10 s; within 10 s and never do not overlap.
      expect(shares[0][0].value).toBeLessThanOrEqual(shares[1][0].value);
      expect(shares[1][0].value + shares[2][0].value).toBeLessThanOrEqual(1.0001);
      expect(find("confirmation-count", "never", pattern)[0].value).toBe(Math.round(shares[2][0].value * 520));
      expect(find("confirmation-latency", "latency-p50", pattern)).toHaveLength(1);
      expect(find("confirmation-checkpoints", "per-milestone-mean", pattern)).toHaveLength(1);
    }
    expect(find("checkpoint-pow", "mean")[0].value).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(dir, "confirmation-share.svg"))).toBe(true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("an unknown pattern is refused by name", async () => {
  const r = await tangle(["bench", "confirmation", "--quick"], { BENCH_CONFIRMATION_PATTERNS: "bursts" });
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/BENCH_CONFIRMATION_PATTERNS: unknown pattern bursts/);
});

test("with BENCH_CONFIRMATION_COMMITTEE=4 the network is a committee of four (k = 3) and every result says so; a size outside 2..10 is refused", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-confirmation-committee-"));
  try {
    const file = path.join(dir, "confirmation.json");
    const r = await tangle(["bench", "confirmation", "--quick", "--json", file], { BENCH_CONFIRMATION_PATTERNS: "burst", BENCH_CONFIRMATION_COMMITTEE: "4" });
    expect(r.stderr.replace(/.*\r/g, "")).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const report = JSON.parse(fs.readFileSync(file, "utf8"));
    const shares = report.results.filter((x: any) => x.name === "confirmation-share");
    expect(shares.map((x: any) => x.metric).sort()).toEqual(["never", "within-10s", "within-2-intervals"]);
    for (const s of shares) expect(s.params).toMatchObject({ pattern: "burst", committee: 4, threshold: 3, acknowledged: 520 });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  for (const bad of ["1", "11", "four"]) {
    const refused = await tangle(["bench", "confirmation", "--quick"], { BENCH_CONFIRMATION_COMMITTEE: bad });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`BENCH_CONFIRMATION_COMMITTEE: ${bad} is not a committee size of 2..10`));
  }
});
