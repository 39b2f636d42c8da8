/**
 * Proves the import structure stays a house a newcomer can walk through in one direction:
 *
 *   1. No import cycle, type-only imports included, in core-wasm/assembly/ (AssemblyScript),
 *      core-wasm/src/, client/, node/, cli/ and bench/ (one graph, so cycles across folders count
 *      too). Checked twice: by our own reading of the imports (the only one that sees the
 *      AssemblyScript files) and by madge over the TypeScript folders.
 *   2. Layers, top to bottom: cli → bench → node → client → core-wasm. A file imports only its own
 *      layer or the ones below it (client/ never imports node/, node/ never imports bench/ or cli/).
 *      core-wasm/assembly/ (compiled by asc into WASM) imports only core-wasm/assembly/, and
 *      nothing compiled by tsc imports core-wasm/assembly/.
 *   3. Inside node/, the API (node/api/) sits on top of the node's components: a file under node/
 *      outside node/api/ never imports node/api/. The exceptions are the files whose job is to
 *      wire or list everything: the composition root (node/main.ts) and the package's re-exports
 *      (node/index.ts).
 */
import { cycles, Edge, File, importGraph, ROOT, sourceFiles } from "./_imports";

const TS_DIRS = ["core-wasm/src", "client", "node", "cli", "bench"];
const AS_DIR = "core-wasm/assembly";

const LAYERS = ["core-wasm", "client", "node", "bench", "cli"]; // bottom to top
const NODE_WIRING = new Set(["node/main.ts", "node/index.ts"]);

const files = [...TS_DIRS, AS_DIR].flatMap(sourceFiles);
const { edges, unresolved } = importGraph(files);
const allEdges: Edge[] = [...edges].flatMap(([from, tos]) => tos.map((to) => ({ from, to })));
const show = (e: Edge) => `${e.from} → ${e.to}`;

const layerOf = (f: File) => LAYERS.indexOf(f.split("/")[0]);
const isAssembly = (f: File) => f.startsWith(`${AS_DIR}/`);

describe("the checker", () => {
  test("finds a cycle, its length, and nothing in a graph without one", () => {
    const g = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts", "d.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", ["d.ts"]],
      ["e.ts", ["a.ts"]],
    ]);
    expect(cycles(g)).toEqual(["a.ts > b.ts > c.ts > a.ts", "d.ts > d.ts"]);
    expect(cycles(new Map([["a.ts", ["b.ts"]], ["b.ts", []], ["c.ts", ["a.ts", "b.ts"]]]))).toEqual([]);
  });

  test("reads the whole tree, AssemblyScript included, and resolves every relative import", () => {
    expect(files).toContain("core-wasm/assembly/index.ts");
    expect(files).toContain("node/tangle-node.ts");
    expect(files.length).toBeGreaterThanOrEqual(100);
    expect(edges.get("core-wasm/assembly/index.ts")).toContain("core-wasm/assembly/graph.ts");
    expect(unresolved).toEqual([]);
  });
});

describe("imports", () => {
  test("no import cycle in core-wasm (assembly and src), client, node, cli, bench", () => {
    expect(cycles(edges)).toEqual([]);
  });

  test("madge finds no import cycle in the TypeScript folders either", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const madge = require("madge") as (paths: string[], cfg: object) => Promise<{ circular(): string[][]; obj(): Record<string, string[]> }>;
    const res = await madge(TS_DIRS, { baseDir: ROOT, fileExtensions: ["ts"] });
    expect(Object.keys(res.obj()).length).toBeGreaterThanOrEqual(100); // it read the tree
    expect(res.circular().map((c) => c.join(" > "))).toEqual([]);
  });

  test("layers: cli → bench → node → client → core-wasm, never upwards", () => {
    const upward = allEdges.filter((e) => layerOf(e.to) > layerOf(e.from));
    expect(upward.map(show)).toEqual([]);
  });

  test("core-wasm/assembly/ and the TypeScript folders do not import each other", () => {
    const crossing = allEdges.filter((e) => isAssembly(e.from) !== isAssembly(e.to));
    expect(crossing.map(show)).toEqual([]);
  });

  test("inside node/, only the composition root and the re-exports import node/api/", () => {
    const intoApi = allEdges.filter(
      (e) => e.from.startsWith("node/") && !e.from.startsWith("node/api/") && e.to.startsWith("node/api/") && !NODE_WIRING.has(e.from),
    );
    expect(intoApi.map(show)).toEqual([]);
  });
});
