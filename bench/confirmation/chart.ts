/**
 * The confirmation suite's chart: per traffic pattern, the share of acknowledged transactions
 * confirmed within two milestone intervals and never, beside the confirmation latency p50 and p99.
 * Rendered by bench/lib/chart.ts.
 */
import type { BenchReport } from "../lib/report";

/** "one coordinator", or "committee of N, k = K" from the results' params. */
function committeeLabel(r: BenchReport): string {
  const p = r.results.find((x) => x.name === "confirmation-share")?.params;
  const n = Number(p?.committee ?? 1);
  return n > 1 ? `committee of ${n}, k = ${Number(p?.threshold)}` : "one coordinator";
}

/** The milestone interval of the run (250 ms unless the results say otherwise). */
function intervalLabel(r: BenchReport): number {
  return Number(r.results.find((x) => x.name === "confirmation-share")?.params.milestoneIntervalMs ?? 250);
}

export function confirmationCharts(r: BenchReport): [string, Record<string, unknown>][] {
  const shareLabel: Record<string, string> = { "within-2-intervals": "within 2 intervals", never: "never" };
  const shares = r.results
    .filter((x) => x.name === "confirmation-share" && shareLabel[x.metric])
    .map((x) => ({ pattern: String(x.params.pattern), metric: shareLabel[x.metric], percent: x.value * 100, text: `${(x.value * 100).toFixed(1)} %` }));
  const latency = r.results
    .filter((x) => x.name === "confirmation-latency")
    .map((x) => ({ pattern: String(x.params.pattern), metric: x.metric === "latency-p50" ? "p50" : "p99", ms: x.value, text: `${Math.round(x.value)} ms` }));
  const panel = (values: unknown[], field: string, title: string, domain?: number[]) => ({
    width: 260,
    height: { step: 14 },
    data: { values },
    encoding: { y: { field: "pattern", type: "nominal", title: null, axis: { labelLimit: 200 } }, yOffset: { field: "metric" } },
    layer: [
      {
        mark: { type: "bar", tooltip: true },
        encoding: {
          x: { field, type: "quantitative", title, ...(domain ? { scale: { domain } } : {}) },
          color: { field: "metric", type: "nominal", title: null, legend: { orient: "bottom" } },
        },
      },
      { mark: { type: "text", align: "left", dx: 3, fontSize: 10 }, encoding: { x: { field, type: "quantitative" }, text: { field: "text" } } },
    ],
    resolve: { scale: { color: "independent" } },
  });
  return [
    [
      "confirmation-share",
      {
        $schema: "https://vega.github.io/schema/vega-lite/v5.json",
        background: "white",
        config: { font: "sans-serif", axis: { labelFontSize: 11, titleFontSize: 12 } },
        title: { text: `Acknowledged transactions confirmed, by traffic pattern (milestone every ${intervalLabel(r)} ms, ${committeeLabel(r)})`, subtitle: `${r.machine.cpuModel}, ${r.cpus} cores, Node ${r.node}, ${r.date.slice(0, 10)}` },
        hconcat: [panel(shares, "percent", "% of acknowledged", [0, 100]), panel(latency, "ms", "ack to confirming milestone, ms")],
        resolve: { scale: { color: "independent" } },
      },
    ],
  ];
}
