/**
 * What the benchmark suites need beyond the package's runtime dependencies. The peers we compare
 * against and the chart renderer are dev dependencies: a repository checkout has them, an installed
 * package does not. `tangle bench` asks here first and, when something is missing, says what to
 * install instead of failing half-way with a module error.
 */

/** Packages each suite needs that an installed package does not bring. */
export const SUITE_PACKAGES: Readonly<Record<string, readonly string[]>> = {
  pow: ["nanocurrency", "hash-wasm", "blakejs"],
};

/** Needed whenever a report is written with charts (`--json FILE`). */
export const CHART_PACKAGES: readonly string[] = ["vega", "vega-lite"];

function resolvable(name: string): boolean {
  try {
    require.resolve(`${name}/package.json`);
    return true;
  } catch (err) {
    // A package whose exports hide package.json is still installed.
    if ((err as NodeJS.ErrnoException).code === "ERR_PACKAGE_PATH_NOT_EXPORTED") return true;
    try {
      require.resolve(name);
      return true;
    } catch {
      return false;
    }
  }
}

/** The packages missing for running `suites` (and charts, when `charts`), in a stable order. */
export function missingBenchPackages(suites: readonly string[], charts: boolean, isInstalled: (name: string) => boolean = resolvable): string[] {
  const wanted = new Set<string>();
  for (const s of suites) for (const p of SUITE_PACKAGES[s] ?? []) wanted.add(p);
  if (charts) for (const p of CHART_PACKAGES) wanted.add(p);
  return [...wanted].filter((p) => !isInstalled(p));
}

/** The message for a person, or undefined when nothing is missing. */
export function benchRequirementsMessage(suites: readonly string[], charts: boolean, isInstalled?: (name: string) => boolean): string | undefined {
  const missing = missingBenchPackages(suites, charts, isInstalled);
  if (!missing.length) return undefined;
  return `the benchmark needs packages that are not installed: ${missing.join(", ")}\ninstall them next to tangle-ledger with:\n  npm install --no-save ${missing.join(" ")}`;
}
