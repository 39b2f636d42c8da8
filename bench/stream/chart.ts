/**
 * The stream suite's chart: records verified per second by `verifyStream` with each verifier
 * (log scale: tweetnacl is two orders of magnitude below libsodium). Rendered by bench/lib/chart.ts.
 */
import type { BenchReport } from "../lib/report";

export function streamCharts(r: BenchReport): [string, Record<string, unknown>][] {
  const rows = r.results
    .filter((x) => x.name === "stream-verify" && x.metric === "records-per-second-median")
    .map((x) => ({
      verifier: `${x.params.verifier}${x.params.pagesInFlight === 1 ? ", 1 page at a time" : ""}${x.params.records === 10_000 ? "" : ` (${x.params.records} records)`}`,
      rate: x.value,
      label: `${Math.round(x.value).toLocaleString("en-US")}/s`,
    }));
  return [
    [
      "stream-verify",
      {
        $schema: "https://vega.github.io/schema/vega-lite/v5.json",
        background: "white",
        config: { font: "sans-serif", axis: { labelFontSize: 11, titleFontSize: 12 } },
        title: { text: "verifyStream from a local node: records per second", subtitle: `${r.machine.cpuModel}, ${r.cpus} cores, Node ${r.node}, ${r.date.slice(0, 10)}` },
        width: 480,
        height: 26 * rows.length,
        data: { values: rows },
        encoding: { y: { field: "verifier", type: "nominal", sort: "-x", title: null, axis: { labelLimit: 260 } } },
        layer: [
          { mark: { type: "bar", tooltip: true }, encoding: { x: { field: "rate", type: "quantitative", scale: { type: "log", domainMin: 10, nice: true }, title: "records/s (log scale)" }, x2: { datum: 10 } } },
          { mark: { type: "text", align: "left", dx: 4 }, encoding: { x: { field: "rate", type: "quantitative" }, text: { field: "label" } } },
        ],
      },
    ],
  ];
}
