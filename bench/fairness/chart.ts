/**
 * The fairness suite's chart: the honest gateway's acknowledgement latency (p50, p99) alone and
 * while another gateway floods the node. Rendered by bench/lib/chart.ts.
 */
import type { BenchReport } from "../lib/report";

export function fairnessCharts(r: BenchReport): [string, Record<string, unknown>][] {
  const accepted = (phase: unknown) => r.results.find((x) => x.name === "fairness-flooder-accepted" && x.params.phase === phase)?.value;
  const label = (phase: unknown) => {
    if (phase === "quiet") return "alone";
    const n = accepted(phase);
    const rate = n === undefined ? "?" : Math.round(n).toLocaleString("en-US");
    const who = phase === "flood-paced" ? "4 connections, 200 keys, paced at 660 tx/s" : phase === "flood" ? "4 connections, 200 keys flooding" : "4 connections, one key flooding";
    return `${who}: ${rate} tx/s of it accepted`;
  };
  const rows = r.results
    .filter((x) => x.name === "fairness-honest-ack-latency")
    .map((x) => ({
      phase: label(x.params.phase),
      metric: x.metric === "latency-p50" ? "p50" : "p99",
      ms: x.value,
      label: `${x.value.toFixed(1)} ms`,
    }));
  return [
    [
      "fairness-honest-latency",
      {
        $schema: "https://vega.github.io/schema/vega-lite/v5.json",
        background: "white",
        config: { font: "sans-serif", axis: { labelFontSize: 11, titleFontSize: 12 } },
        title: { text: "Honest gateway (20 tx/s, one connection): ack latency", subtitle: `${r.machine.cpuModel}, ${r.cpus} cores, Node ${r.node}, ${r.date.slice(0, 10)}` },
        data: { values: rows },
        facet: { row: { field: "phase", type: "nominal", title: null, header: { labelAngle: 0, labelAlign: "left", labelAnchor: "start", labelOrient: "top" } } },
        spec: {
          width: 420,
          height: 50,
          encoding: { y: { field: "metric", type: "nominal", title: null } },
          layer: [
            { mark: { type: "bar", tooltip: true }, encoding: { x: { field: "ms", type: "quantitative", title: "ms" }, color: { field: "metric", type: "nominal", legend: null } } },
            { mark: { type: "text", align: "left", dx: 4 }, encoding: { x: { field: "ms", type: "quantitative" }, text: { field: "label" } } },
          ],
        },
      },
    ],
  ];
}
