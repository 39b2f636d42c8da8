/**
 * Charts of benchmark reports: vega-lite specifications rendered to SVG by vega in Node (no canvas,
 * no browser). One small spec per figure people want to look at; `chartsFor` picks them per suite.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { BenchReport, BenchResult } from "./report";
import { storagePruning, storageRunChart } from "../storage/chart";

type Spec = Record<string, unknown>;

// vega and vega-lite are ES modules; keep a real dynamic import in the CommonJS build.
const importEsm = new Function("m", "return import(m)") as (m: string) => Promise<any>;

export async function renderSvg(spec: Spec): Promise<string> {
  const [vega, vl] = await Promise.all([importEsm("vega"), importEsm("vega-lite")]);
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
  const svg: string = await view.toSVG();
  view.finalize();
  return svg;
}

const BASE = {
  $schema: "https://vega.github.io/schema/vega-lite/v5.json",
  background: "white",
  config: { font: "sans-serif", axis: { labelFontSize: 11, titleFontSize: 12 } },
};

function subtitle(r: BenchReport): string {
  return `${r.machine.cpuModel}, ${r.cpus} cores, Node ${r.node}, ${r.date.slice(0, 10)}`;
}

function powCharts(r: BenchReport): [string, Spec][] {
  const single = r.results
    .filter((x) => x.name === "pow-1-thread")
    .map((x) => ({ impl: String(x.params.impl), rate: x.value / 1e6, usable: x.params.computesWork !== false }));
  const threads = r.results
    .filter((x) => x.name === "pow-threads")
    .map((x) => ({ threads: Number(x.params.threads), rate: x.value / 1e6 }));
  return [
    [
      "pow-implementations",
      {
        ...BASE,
        title: { text: "Proof of work, one thread: million trials per second", subtitle: subtitle(r) },
        width: 520,
        height: 24 * single.length,
        data: { values: single.map((x) => ({ ...x, label: x.rate.toPrecision(3) })) },
        encoding: {
          y: { field: "impl", type: "nominal", sort: "-x", title: null, axis: { labelLimit: 220 } },
        },
        layer: [
          {
            // Bars on a log axis need an explicit base: they start at 0.01 M trials/s.
            mark: { type: "bar", tooltip: true },
            encoding: {
              x: { field: "rate", type: "quantitative", scale: { type: "log", domainMin: 0.01, nice: true }, title: "M trials/s (log scale)" },
              x2: { datum: 0.01 },
              color: {
                field: "usable",
                type: "nominal",
                title: "computes this PoW",
                legend: { orient: "bottom" },
                scale: { domain: [true, false], range: ["#4c78a8", "#bab0ac"] },
              },
            },
          },
          {
            mark: { type: "text", align: "left", dx: 4 },
            encoding: { x: { field: "rate", type: "quantitative" }, text: { field: "label" } },
          },
        ],
      },
    ],
    [
      "pow-threads",
      {
        ...BASE,
        title: { text: "Proof of work on worker threads (ours)", subtitle: subtitle(r) },
        width: 320,
        height: 220,
        data: { values: threads },
        mark: { type: "bar", tooltip: true },
        encoding: {
          x: { field: "threads", type: "ordinal", title: "worker threads" },
          y: { field: "rate", type: "quantitative", title: "M trials/s" },
        },
      },
    ],
  ];
}

/**
 * Latency-against-window figures of the tips suite: one chart per benchmark (and per walk entry
 * point), one line per implementation and setting.
 */
function tipsCharts(r: BenchReport): [string, Spec][] {
  const groups = new Map<string, BenchResult[]>();
  for (const x of r.results) {
    if (x.params.window === undefined || x.metric !== "latency-median") continue;
    const key = x.params.entry ? `${x.name}-${x.params.entry}` : x.name;
    const list = groups.get(key) ?? [];
    list.push(x);
    groups.set(key, list);
  }
  const series = (x: BenchResult) =>
    Object.entries(x.params)
      .filter(([k]) => !["window", "alpha", "count", "pool", "entry"].includes(k))
      .map(([k, v]) => (k === "impl" ? String(v) : `${k} ${v}`))
      .join(", ");
  return [...groups.entries()].map(([key, xs]) => [
    `tips-${key}`,
    {
      ...BASE,
      title: { text: `${key}: median latency against window size`, subtitle: subtitle(r) },
      width: 420,
      height: 260,
      data: { values: xs.map((x) => ({ window: Number(x.params.window), series: series(x), value: x.value })) },
      mark: { type: "line", point: true, tooltip: true },
      encoding: {
        x: { field: "window", type: "quantitative", scale: { type: "log" }, title: "window (transactions)" },
        y: { field: "value", type: "quantitative", scale: { type: "log" }, title: `median (${xs[0].unit})` },
        color: { field: "series", type: "nominal", title: null, legend: { orient: "bottom", columns: 2 } },
      },
    },
  ]);
}

/** Node load test: throughput over time per run, and latency percentiles against offered load. */
function nodeCharts(r: BenchReport): [string, Spec][] {
  const timeline = r.results
    .filter((x) => x.name === "node-throughput-timeline")
    .map((x) => ({ second: Number(x.params.second), value: x.value, run: `offered ${x.params.offeredPerSecond}` }));
  const latency = r.results
    .filter((x) => (x.name === "node-ack-latency" || x.name === "node-confirmation-latency") && typeof x.params.offeredPerSecond === "number")
    .map((x) => ({ offered: Number(x.params.offeredPerSecond), value: x.value, series: `${x.name === "node-ack-latency" ? "ack" : "confirmation"} ${x.metric.replace("latency-", "")}` }));
  return [
    [
      "node-throughput",
      {
        ...BASE,
        title: { text: "Accepted transactions per second over each run", subtitle: subtitle(r) },
        width: 480,
        height: 260,
        data: { values: timeline },
        mark: { type: "line", point: true, tooltip: true },
        encoding: {
          x: { field: "second", type: "quantitative", title: "second of the run" },
          y: { field: "value", type: "quantitative", title: "acknowledged tx/s" },
          color: { field: "run", type: "nominal", title: null, legend: { orient: "bottom" } },
        },
      },
    ],
    [
      "node-latency",
      {
        ...BASE,
        title: { text: "Latency against offered load", subtitle: subtitle(r) },
        width: 420,
        height: 260,
        data: { values: latency },
        mark: { type: "line", point: true, tooltip: true },
        encoding: {
          x: { field: "offered", type: "quantitative", scale: { type: "log" }, title: "offered tx/s" },
          y: { field: "value", type: "quantitative", scale: { type: "log" }, title: "ms" },
          color: { field: "series", type: "nominal", title: null, legend: { orient: "bottom", columns: 2 } },
        },
      },
    ],
  ];
}

function storageCharts(r: BenchReport): [string, Spec][] {
  // Pages in use, memory, throughput and restart against stored transactions (storage-pruned or
  // storage-archive); the memory detail below for archive runs, as before pruning existed.
  const run = storageRunChart(r, BASE, subtitle(r));
  const charts: [string, Spec][] = run ? [run] : [];
  if (storagePruning(r) !== "off") return charts;
  const memory = r.results
    .filter((x) => x.name === "node-memory" && ["rss", "rss-peak-so-far", "rss-high-water-so-far", "anonymous", "file-backed"].includes(x.metric))
    .map((x) => ({ stored: Number(x.params.storedTransactions), value: x.value, series: x.metric }));
  return [
    ...charts,
    [
      "storage-memory",
      {
        ...BASE,
        title: { text: "Node memory against stored transactions", subtitle: subtitle(r) },
        width: 420,
        height: 260,
        data: { values: memory },
        mark: { type: "line", point: true, tooltip: true },
        encoding: {
          x: { field: "stored", type: "quantitative", title: "stored transactions" },
          y: { field: "value", type: "quantitative", title: "MiB" },
          color: { field: "series", type: "nominal", title: null, legend: { orient: "bottom", columns: 3, labelLimit: 240 } },
        },
      },
    ],
  ];
}

/** bench/snapshot/bootstrap.ts: a new node's time to synced, from genesis against from a snapshot. */
function bootstrapCharts(r: BenchReport): [string, Spec][] {
  const rows = r.results.filter((x) => x.name === "time-to-synced").map((x) => ({ from: `from ${x.params.from}`, seconds: x.value / 1000, label: `${(x.value / 1000).toFixed(1)} s` }));
  const records = r.results.find((x) => x.name === "time-to-synced")?.params.records;
  return [
    [
      "bootstrap-synced",
      {
        ...BASE,
        title: { text: `A new node's time to synced, ${Number(records).toLocaleString("en")} records of history`, subtitle: subtitle(r) },
        width: 420,
        height: 24 * Math.max(1, rows.length),
        data: { values: rows },
        encoding: { y: { field: "from", type: "nominal", title: null } },
        layer: [
          { mark: { type: "bar", tooltip: true }, encoding: { x: { field: "seconds", type: "quantitative", title: "spawn to synced (s)" } } },
          { mark: { type: "text", align: "left", dx: 4 }, encoding: { x: { field: "seconds", type: "quantitative" }, text: { field: "label" } } },
        ],
      },
    ],
  ];
}

export function chartsFor(report: BenchReport): [string, Spec][] {
  if (report.suite === "pow") return powCharts(report);
  if (report.suite === "tips") return tipsCharts(report);
  if (report.suite === "node") return nodeCharts(report);
  if (report.suite === "storage") return storageCharts(report);
  if (report.suite === "bootstrap") return bootstrapCharts(report);
  if (report.suite === "stream") return require("../stream/chart").streamCharts(report);
  if (report.suite === "fairness") return require("../fairness/chart").fairnessCharts(report);
  if (report.suite === "confirmation") return require("../confirmation/chart").confirmationCharts(report);
  if (report.suite === "ledger-root") return require("../ledger-root/chart").ledgerRootCharts(report);
  return [];
}

/**
 * Renders the suite's charts next to `jsonFile` as `<chart>.svg`, and a chart named "" (the report's
 * own figure) as `<base of jsonFile>.svg`; returns the files written.
 */
export async function writeCharts(report: BenchReport, jsonFile: string): Promise<string[]> {
  const base = jsonFile.replace(/\.json$/, "");
  const written: string[] = [];
  for (const [name, spec] of chartsFor(report)) {
    const file = name ? `${path.dirname(base)}/${name}.svg` : `${base}.svg`;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, await renderSvg(spec));
    written.push(file);
  }
  return written;
}
