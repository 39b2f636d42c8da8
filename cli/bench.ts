/**
 * `tangle bench <suite>|all [--json FILE] [--quick] [--threads N] [--memory-limit MiB]`, and for
 * the storage suite `--transactions N --checkpoints K --rate TPS --pruning on|off --pruning-depth D`.
 * A suite is one entry in SUITES (name → lazy loader); the command's choices and help follow from it.
 */
import { BenchReport, BenchResult, makeReport, StorageRunOptions, SuiteOptions, writeReport } from "../bench/lib/report";
import { writeCharts } from "../bench/lib/chart";
import { benchRequirementsMessage } from "../bench/lib/requirements";
import { Argument, Option } from "commander";
import { EXIT_INTERRUPTED, intOption, Opts, str, TangleCommand, UsageError } from "./args";
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
    .option("--transactions <N>", "storage: transactions stored by the end (default 1000000; --quick 20000)")
    .option("--checkpoints <K>", "storage: evenly spaced checkpoints, each with a restart (default 10; --quick 2)")
    .option("--rate <TPS>", `storage: offered transactions per second (default 3000; --quick 2000; at most ${MAX_STORAGE_RATE})`)
    .addOption(new Option("--pruning <MODE>", "storage: 'on' prunes at --pruning-depth, 'off' is an archive node (default on)").choices(["on", "off"]))
    .option("--pruning-depth <MILESTONES>", "storage: milestones kept whole below the confirmed one (default 50: 12.5 s at 250 ms milestones)")
    .action(bench);
}

/**
 * Four gateway connections share the offered rate, and each also asks for tips 40 times a second:
 * above this a connection nears the node's 2,000 requests a second and is closed for flooding.
 */
const MAX_STORAGE_RATE = 6000;
const STORAGE_FLAGS = ["transactions", "checkpoints", "rate", "pruning", "pruningDepth"] as const;

/** The storage suite's options, checked; a usage error when given to another suite. */
function storageOptions(which: string, opts: Opts): StorageRunOptions | undefined {
  const given = STORAGE_FLAGS.filter((k) => opts[k] !== undefined);
  if (!given.length) return undefined;
  const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  if (which !== "storage") throw new UsageError(`${flag(given[0])} is an option of 'tangle bench storage' only`);
  const transactions = opts.transactions === undefined ? undefined : intOption("transactions", opts.transactions, 1000, 1_000_000_000);
  const checkpoints = opts.checkpoints === undefined ? undefined : intOption("checkpoints", opts.checkpoints, 1, 1000);
  if (checkpoints !== undefined && transactions !== undefined && checkpoints > transactions / 1000) {
    throw new UsageError(`--checkpoints ${checkpoints} is more than one every 1000 of --transactions ${transactions}`);
  }
  const rate = opts.rate === undefined ? undefined : intOption("rate", opts.rate, 100, MAX_STORAGE_RATE);
  const pruning = str(opts.pruning) as "on" | "off" | undefined;
  const pruningDepth = opts.pruningDepth === undefined ? undefined : intOption("pruning-depth", opts.pruningDepth, 2, 4_294_967_295);
  if (pruning === "off" && pruningDepth !== undefined) throw new UsageError("--pruning-depth has no meaning with --pruning off");
  return { transactions, checkpoints, rate, pruning, pruningDepth };
}

/** The report file of suite `suite` for `--json FILE` (several suites: FILE-<suite>.json). */
function reportFile(json: string, suite: string, several: boolean): string {
  return several ? json.replace(/(\.json)?$/, `-${suite}.json`) : json;
}

async function bench(which: string, opts: Opts): Promise<number> {
  const threads = opts.threads === undefined ? undefined : intOption("threads", opts.threads, 1, 256);
  const memoryLimitMiB = opts.memoryLimit === undefined ? undefined : intOption("memory-limit", opts.memoryLimit, 0, 1 << 20);
  const storage = storageOptions(which, opts);
  const names = which === "all" ? Object.keys(SUITES) : [which];
  const json = str(opts.json);
  // An installed package lacks the peers some suites compare against: say so before starting.
  const missing = benchRequirementsMessage(names, json !== undefined);
  if (missing) {
    process.stderr.write(`tangle bench: ${missing}\n`);
    return 1;
  }
  // Stopped by Ctrl-C or SIGTERM (a long run given up): the node processes the suites started are
  // killed and the suites' exit hooks remove their data; the JSON keeps what the checkpoints wrote.
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\ntangle bench: stopped by ${signal}\n`);
    // Loaded only by the suites that start nodes: nothing to kill when it was not.
    if (require.cache[require.resolve("../bench/lib/processes")]) require("../bench/lib/processes").killRunningNodes();
    process.exit(signal === "SIGINT" ? EXIT_INTERRUPTED : 128 + 15);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await runSuites(names, opts, { threads, memoryLimitMiB, storage, json });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

async function runSuites(names: string[], opts: Opts, o: { threads?: number; memoryLimitMiB?: number; storage?: StorageRunOptions; json?: string }): Promise<number> {
  const { threads, memoryLimitMiB, storage, json } = o;
  const reports: BenchReport[] = [];
  for (const name of names) {
    const bar = new ProgressBar(`bench ${name}`.padEnd(12));
    const results = await SUITES[name]()({
      quick: opts.quick === true,
      threads,
      memoryLimitMiB,
      storage,
      progress: (done, total, label) => bar.update(done / Math.max(total, 1), label),
      // Lines for a long run (on a terminal, over the bar: it is drawn again at the next update).
      log: (line) => process.stderr.write(`${process.stderr.isTTY && !process.env.CI ? "\r\x1b[K" : ""}${line}\n`),
      // The figures so far, rewritten after each checkpoint: an interrupted run keeps them.
      partial: json
        ? async (soFar) => {
            const file = reportFile(json, name, names.length > 1);
            const report = makeReport(name, soFar);
            writeReport(file, report);
            await writeCharts(report, file);
          }
        : undefined,
    });
    bar.done();
    const report = makeReport(name, results);
    reports.push(report);
    // Per-second timelines stay in the JSON and the charts; the table keeps the summary rows.
    const summary = results.filter((r) => !r.name.endsWith("-timeline"));
    process.stdout.write(`\n${name}\n${formatTable(["name", "params", "metric", "value"], summary.map(row))}\n`);
  }
  if (json) {
    // One suite: its report. Several: each to FILE with the suite name inserted before the extension.
    // Charts (SVG) go next to the JSON.
    for (const r of reports) {
      const file = reportFile(json, r.suite, reports.length > 1);
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
