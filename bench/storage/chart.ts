/**
 * The storage suite's flatness chart (bench/storage/suite.ts): against transactions stored, the
 * database's pages in use (as MiB) and its file, the node's resident set and heap; the throughput
 * over each interval; the restart time. One figure per run, written beside the report as its own
 * name with .svg (storage-pruned.json → storage-pruned.svg). Rendered by bench/lib/chart.ts.
 */
import type { BenchReport } from "../lib/report";

type Spec = Record<string, unknown>;

/** The run's pruning setting (a depth, or "off"); reports from before it was recorded were archives. */
export function storagePruning(r: BenchReport): number | "off" {
  const p = r.results.find((x) => x.params.pruning !== undefined)?.params.pruning;
  return typeof p === "number" ? p : "off";
}

export function storageRunChart(r: BenchReport, base: Spec, subtitle: string): [string, Spec] | undefined {
  const pruning = storagePruning(r);
  const at = (name: string, metric: string, series: string, scale = 1) =>
    r.results.filter((x) => x.name === name && x.metric === metric && typeof x.params.storedTransactions === "number").map((x) => ({ stored: Number(x.params.storedTransactions), value: x.value * scale, series }));
  const memory = [...at("database", "in-use", "database pages in use"), ...at("database", "file", "database file"), ...at("node-memory", "rss", "resident set (RSS)"), ...at("node-memory", "heap-used", "V8 heap used")];
  const throughput = at("storage-throughput", "acknowledged", "acknowledged tx/s");
  const restart = at("restart", "until-answering", "restart", 1 / 1000);
  if (!throughput.length) return undefined; // a report from before the checkpoints recorded these
  const x = { field: "stored", type: "quantitative", title: "transactions stored" };
  const panel = (values: unknown[], title: string, color: boolean) => ({
    width: 480,
    height: 160,
    data: { values },
    mark: { type: "line", point: true, tooltip: true },
    encoding: {
      x,
      y: { field: "value", type: "quantitative", title, scale: { zero: true } },
      ...(color ? { color: { field: "series", type: "nominal", title: null, legend: { orient: "right", labelLimit: 200 } } } : {}),
    },
  });
  const what = pruning === "off" ? "archive node (pruning off)" : `pruned at depth ${pruning} (milestones)`;
  return [
    "",
    {
      ...base,
      title: { text: `Storage against transactions stored: ${what}`, subtitle },
      vconcat: [panel(memory, "MiB", true), panel(throughput, "acknowledged tx/s", false), panel(restart, "restart until answering (s)", false)],
    },
  ];
}
