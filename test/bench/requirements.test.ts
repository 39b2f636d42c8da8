/** bench/lib/requirements.ts: which packages a benchmark run lacks, and the command that adds them. */
import { benchRequirementsMessage, missingBenchPackages } from "../../bench/lib/requirements";

test("each suite's extra packages, charts only with a report, nothing when everything is there", () => {
  const none = () => false;
  expect(missingBenchPackages(["pow"], false, none)).toEqual(["nanocurrency", "hash-wasm", "blakejs"]);
  expect(missingBenchPackages(["tips", "node"], false, none)).toEqual([]);
  expect(missingBenchPackages(["tips"], true, none)).toEqual(["vega", "vega-lite"]);
  expect(missingBenchPackages(["pow", "pow"], true, (n) => n === "hash-wasm")).toEqual(["nanocurrency", "blakejs", "vega", "vega-lite"]);
  expect(benchRequirementsMessage(["pow"], true, () => true)).toBeUndefined();
  expect(benchRequirementsMessage(["pow"], false, (n) => n !== "blakejs")).toContain("npm install --no-save blakejs");
});

test("in this repository every benchmark package is installed (they are dev dependencies)", () => {
  expect(missingBenchPackages(["pow", "tips", "network", "node", "storage", "verify-bound"], true)).toEqual([]);
});
