/**
 * The confirmation suite's chart: per traffic pattern, the share of acknowledged transactions
 * confirmed within two milestone intervals, within 10 s, and never. Rendered by bench/lib/chart.ts.
 */
import type { BenchReport } from "../lib/report";

export function confirmationCharts(r: BenchReport): [string, Record<string, unknown>][] {
  const label: Record<string, string> = { "within-2-intervals": "within 2 milestone intervals", "within-10s": "within 10 s", never: "never" };
  const rows = r.results
    .filter((x) => x.name === "confirmation-share")
    .map((x) => ({ pattern: String(x.params.pattern), metric: label[x.metric] ?? x.metric, percent: x.value * 100, text: `${(x.value * 100).toFixed(1)} %` }));
  return [
    [
      "confirmation-share",
      {
        $schema: "https://vega.github.io/schema/vega-lite/v5.json",
        background: "white",
        config: { font: "sans-serif", axis: { labelFontSize: 11, titleFontSize: 12 } },
        title: { text: "Acknowledged transactions confirmed, by traffic pattern (milestone every 250 ms)", subtitle: `${r.machine.cpuModel}, ${r.cpus} cores, Node ${r.node}, ${r.date.slice(0, 10)}` },
        data: { values: rows },
        facet: { row: { field: "pattern", type: "nominal", title: null, header: { labelAngle: 0, labelAlign: "left", labelAnchor: "start", labelOrient: "top" } } },
        spec: {
          width: 420,
          height: 60,
          encoding: { y: { field: "metric", type: "nominal", title: null, sort: ["within 2 milestone intervals", "within 10 s", "never"] } },
          layer: [
            { mark: { type: "bar", tooltip: true }, encoding: { x: { field: "percent", type: "quantitative", title: "% of acknowledged", scale: { domain: [0, 100] } }, color: { field: "metric", type: "nominal", legend: null } } },
            { mark: { type: "text", align: "left", dx: 4 }, encoding: { x: { field: "percent", type: "quantitative" }, text: { field: "text" } } },
          ],
        },
      },
    ],
  ];
}
