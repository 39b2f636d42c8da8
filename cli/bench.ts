/** `tangle bench <suite>|all [--json FILE] [--quick] [--threads N] [--memory-limit MiB]` */
import { BenchReport, BenchResult, makeReport, SuiteOptions, writeReport } from "../bench/lib/report";
import { writeCharts } from "../bench/lib/chart";
import { intOption, parse, str, UsageError } from "./args";
import { formatTable, ProgressBar, si } from "./progress";

type Suite = (opts: SuiteOptions) => Promise<BenchResult[]>;

const SUITES: Record<string, () => Suite> = {
  pow: () => require("../bench/pow/suite").runPowSuite,
  tips: () => require("../bench/tips/suite").runTipsSuite,
  network: () => require("../bench/network/suite").runNetworkSuite,
  "verify-bound": () => require("../bench/verify/suite").runVerifySuite,
  node: () => require("../bench/node/suite").runNodeSuite,
  "node-network": () => require("../bench/node/suite").runNodeNetworkSuite,
  storage: () => require("../bench/storage/suite").runStorageSuite,
};

export async function benchCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      json: { type: "string" },
      quick: { type: "boolean", default: false },
      threads: { type: "string" },
      "memory-limit": { type: "string" },
    },
    true,
  );
  const which = positionals[0];
  if (positionals.length !== 1 || (which !== "all" && !(which in SUITES))) {
    throw new UsageError(`bench takes one suite: ${Object.keys(SUITES).join(", ")} or all`);
  }
  const threads = values.threads === undefined ? undefined : intOption("threads", values.threads, 1, 256);
  const memoryLimitMiB = values["memory-limit"] === undefined ? undefined : intOption("memory-limit", values["memory-limit"] as string, 0, 1 << 20);
  const names = which === "all" ? Object.keys(SUITES) : [which];
  const reports: BenchReport[] = [];
  for (const name of names) {
    const bar = new ProgressBar(`bench ${name}`.padEnd(12));
    const results = await SUITES[name]()({
      quick: values.quick === true,
      threads,
      memoryLimitMiB,
      progress: (done, total, label) => bar.update(done / Math.max(total, 1), label),
    });
    bar.done();
    const report = makeReport(name, results);
    reports.push(report);
    // Per-second timelines stay in the JSON and the charts; the table keeps the summary rows.
    const summary = results.filter((r) => !r.name.endsWith("-timeline"));
    process.stdout.write(`\n${name}\n${formatTable(["name", "params", "metric", "value"], summary.map(row))}\n`);
  }
  const json = str(values.json);
  if (json) {
    // One suite: its report. Several: each to FILE with the suite name inserted before the extension.
    // Charts (SVG) go next to the JSON.
    for (const r of reports) {
      const file = reports.length === 1 ? json : json.replace(/(\.json)?$/, `-${r.suite}.json`);
      writeReport(file, r);
      const charts = await writeCharts(r, file);
      process.stdout.write(`wrote ${[file, ...charts].join(", ")}\n`);
    }
  }
  return 0;
}

function row(r: BenchResult): string[] {
  const params = Object.entries(r.params)
    .filter(([k]) => !["samples", "sampleMs", "computesWork"].includes(k))
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  const value = r.unit === "x" ? `${r.value.toFixed(2)} x` : `${r.value >= 1000 ? si(r.value) : String(Number(r.value.toPrecision(4)))} ${r.unit}`;
  return [r.name, params, r.metric, value];
}
