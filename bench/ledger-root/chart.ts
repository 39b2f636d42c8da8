/**
 * The ledger-root suite's chart: time per milestone to bring the ledger root up to date, kept
 * incrementally (C = 100 and 1,000 changed entries) against recomputing the tree from all entries,
 * by ledger size (log scales: the two differ by two to three orders of magnitude). Rendered by
 * bench/lib/chart.ts.
 */
import type { BenchReport } from "../lib/report";

export function ledgerRootCharts(r: BenchReport): [string, Record<string, unknown>][] {
  const rows = r.results
    .filter((x) => (x.name === "milestone-incremental" || x.name === "milestone-full-recompute") && x.metric === "us-median")
    .map((x) => ({
      entries: Number(x.params.entries),
      ms: x.value / 1000,
      series: x.name === "milestone-full-recompute" ? "recomputed from all entries" : `incremental, ${Number(x.params.changed).toLocaleString("en-US")} changed entries`,
    }));
  return [
    [
      "ledger-root-milestone",
      {
        $schema: "https://vega.github.io/schema/vega-lite/v5.json",
        background: "white",
        config: { font: "sans-serif", axis: { labelFontSize: 11, titleFontSize: 12 } },
        title: { text: "Ledger root: time per milestone (median)", subtitle: `${r.machine.cpuModel}, ${r.cpus} cores, Node ${r.node}, ${r.date.slice(0, 10)}` },
        width: 420,
        height: 260,
        data: { values: rows },
        mark: { type: "line", point: true, tooltip: true },
        encoding: {
          x: { field: "entries", type: "quantitative", scale: { type: "log" }, title: "unspent outputs in the ledger (log scale)" },
          y: { field: "ms", type: "quantitative", scale: { type: "log" }, title: "ms per milestone (log scale)" },
          color: { field: "series", type: "nominal", title: null, legend: { orient: "bottom", columns: 1, labelLimit: 300 } },
        },
      },
    ],
  ];
}
