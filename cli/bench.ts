/**
 * `tangle bench <suite>|all [--json FILE] [--quick] [--threads N] [--memory-limit MiB]`. A suite is
 * one entry in SUITES (name → lazy loader); the command's choices and help follow from it.
 */
import { BenchReport, BenchResult, makeReport, SuiteOptions, writeReport } from "../bench/lib/report";
import { writeCharts } from "../bench/lib/chart";
import { benchRequirementsMessage } from "../bench/lib/requirements";
import { Argument } from "commander";
import { intOption, Opts, str, TangleCommand } from "./args";
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
  stream: () => require("../bench/stream/suite").runStreamSuite,
  fairness: () => require("../bench/fairness/suite").runFairnessSuite,
  confirmation: () => require("../bench/confirmation/suite").runConfirmationSuite,
  "ledger-root": () => require("../bench/ledger-root/suite").runLedgerRootSuite,
};

export function benchCommand(): TangleCommand {
  return new TangleCommand("bench")
    .description("run benchmark suites; print a table; --json FILE writes the results (and SVG charts next to it)")
    .addArgument(new Argument("<SUITE>", "which suite").choices([...Object.keys(SUITES), "all"]))
    .option("--json <FILE>", "write the results file (several suites: FILE-<suite>.json)")
    .option("--quick", "shorter runs (smoke test)")
    .option("--threads <N>", "worker threads for the suites that use them")
    .option("--memory-limit <MiB>", "memory limit for node processes the suites start (cgroup)")
    .action(bench);
}

async function bench(which: string, opts: Opts): Promise<number> {
  const threads = opts.threads === undefined ? undefined : intOption("threads", opts.threads, 1, 256);
  const memoryLimitMiB = opts.memoryLimit === undefined ? undefined : intOption("memory-limit", opts.memoryLimit, 0, 1 << 20);
  const names = which === "all" ? Object.keys(SUITES) : [which];
  // An installed package lacks the peers some suites compare against: say so before starting.
  const missing = benchRequirementsMessage(names, str(opts.json) !== undefined);
  if (missing) {
    process.stderr.write(`tangle bench: ${missing}\n`);
    return 1;
  }
  const reports: BenchReport[] = [];
  for (const name of names) {
    const bar = new ProgressBar(`bench ${name}`.padEnd(12));
    const results = await SUITES[name]()({
      quick: opts.quick === true,
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
  const json = str(opts.json);
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
