/**
 * The project's import graph, read from the sources with the TypeScript scanner
 * (`ts.preProcessFile`: static `import`/`export … from`, `import type`, `require(…)` and dynamic
 * `import(…)`), so it sees AssemblyScript files (core-wasm/assembly/) as well as TypeScript.
 * Type-only imports count: a cycle of types is still a cycle a reader has to untangle.
 * Only relative specifiers are edges; packages (`ws`, `lmdb`, …) are outside the graph.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

export const ROOT = path.join(__dirname, "..", "..");

/** Project-relative path with forward slashes, e.g. `node/ledger/ledger.ts`. */
export type File = string;

/** Every .ts file under `dir` (project-relative), skipping declaration files. */
export function sourceFiles(dir: string): File[] {
  const out: File[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== "node_modules" && e.name !== "build") walk(r);
      } else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(r);
    }
  };
  walk(dir);
  return out.sort();
}

/** The project file a relative specifier names (`./x` → `x.ts` or `x/index.ts`), if any. */
function resolve(from: File, spec: string): File | undefined {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  const stem = base.replace(/\.js$/, "");
  for (const cand of [stem + ".ts", stem + "/index.ts", base]) {
    if (cand.endsWith(".ts") && fs.existsSync(path.join(ROOT, cand))) return cand;
  }
  return undefined;
}

export interface Edge {
  from: File;
  to: File;
}

/** The relative imports of `files`, resolved to project files (unresolvable ones are reported). */
export function importGraph(files: readonly File[]): { edges: Map<File, File[]>; unresolved: string[] } {
  const edges = new Map<File, File[]>();
  const unresolved: string[] = [];
  for (const f of files) {
    const info = ts.preProcessFile(fs.readFileSync(path.join(ROOT, f), "utf8"), true, true);
    const targets = new Set<File>();
    for (const imp of info.importedFiles) {
      if (!imp.fileName.startsWith(".")) continue;
      const to = resolve(f, imp.fileName);
      if (to) targets.add(to);
      else if (!/\.(json|wasm|js)$/.test(imp.fileName)) unresolved.push(`${f} → ${imp.fileName}`);
    }
    edges.set(f, [...targets].sort());
  }
  return { edges, unresolved };
}

/**
 * Every cycle, one entry per strongly connected component (Tarjan): a shortest closed path
 * `a > b > … > a` inside it, then the component's other files, so a failure names every file to
 * untangle. Sorted.
 */
export function cycles(edges: Map<File, File[]>): string[] {
  let counter = 0;
  const index = new Map<File, number>();
  const low = new Map<File, number>();
  const stack: File[] = [];
  const onStack = new Set<File>();
  const sccs: File[][] = [];
  const visit = (v: File) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: File[] = [];
      let w: File;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (edges.get(v) ?? []).includes(v)) sccs.push(scc.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);
  return sccs
    .map((scc) => {
      const p = pathThrough(scc, edges);
      const rest = scc.filter((f) => !p.includes(f));
      return p.join(" > ") + (rest.length ? ` (the same cycle also takes in ${rest.join(", ")})` : "");
    })
    .sort();
}

/** A closed path through the first file of `scc` that stays inside it (breadth-first, shortest). */
function pathThrough(scc: File[], edges: Map<File, File[]>): File[] {
  const inside = new Set(scc);
  const start = scc[0];
  const prev = new Map<File, File>();
  const queue: File[] = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of edges.get(v) ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const p = [start];
        for (let x: File | undefined = v; x !== undefined && x !== start; x = prev.get(x)) p.splice(1, 0, x);
        return [...p, start];
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...scc, start];
}
