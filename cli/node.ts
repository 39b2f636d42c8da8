/**
 * `tangle node`: runs a tangle node. Options come from defaults, `--config FILE`, `TANGLE_*`
 * environment variables and flags (node/config.ts). SIGINT/SIGTERM stop it cleanly: no new
 * requests, in-flight writes committed, sockets closed, exit 0.
 *
 * This file parses, runs the node in a heap-bounded worker thread when the runtime flags are
 * missing, waits for a signal and prints; the node itself is wired in node/main.ts (startNode),
 * which also holds the start and shutdown orders.
 */
import * as fs from "node:fs";
import * as v8 from "node:v8";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { Option } from "commander";
import { ConfigError, HEAP_HINT_MIB, NODE_OPTIONS, NODE_RUNTIME_FLAGS, NodeConfig, resolveConfig } from "../node/config";
import { loadNetwork, startNode } from "../node/main";
import { createLogger } from "../node/logger";
import { collect, Opts, str, TangleCommand, UsageError } from "./args";
import { compactCommand } from "./compact";

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

/** The command, its options generated from the NODE_OPTIONS table (node/config.ts). */
export function nodeCommand(): TangleCommand {
  const cmd = new TangleCommand("node")
    .description("run a tangle node")
    .option("--config <FILE>", "JSON file of options (keys as below, camelCase)");
  for (const [name, spec] of Object.entries(NODE_OPTIONS)) {
    const dflt = spec.default === undefined || (Array.isArray(spec.default) && spec.default.length === 0) ? "" : `; default ${JSON.stringify(spec.default)}`;
    const help = `${spec.usage} (env TANGLE_${snake(name)}${dflt})`;
    if (spec.kind === "boolean") {
      cmd.addOption(new Option(`--${kebab(name)}`, help));
      cmd.addOption(new Option(`--no-${kebab(name)}`, `turn --${kebab(name)} off`));
    } else if (spec.kind === "list") cmd.addOption(new Option(`--${kebab(name)} <URL>`, `${help}`).argParser(collect));
    else cmd.addOption(new Option(`--${kebab(name)} <${spec.kind === "number" ? "N" : spec.choices ? spec.choices.join("|") : "VALUE"}>`, help));
  }
  cmd.addHelpText(
    "after",
    `
Later sources win: defaults, --config FILE, environment variables, flags. Started without
${NODE_RUNTIME_FLAGS.join(" ")} (as \`npx tangle node\` or \`node bin/tangle.js node\` are), the node
runs in a worker thread with the same heap bounds (docs/operations.md, Memory).`,
  );
  cmd.addCommand(compactCommand());
  return cmd.action(runNodeCommand);
}

/** The flags' heap bounds as worker resource limits: old space, and young = 3 semi-spaces (V8). */
export function runtimeHeapLimits(flags: readonly string[] = NODE_RUNTIME_FLAGS): { maxOldGenerationSizeMb: number; maxYoungGenerationSizeMb: number } {
  const flag = (name: string) => Number(flags.find((f) => f.startsWith(`--${name}=`))?.split("=")[1]);
  return { maxOldGenerationSizeMb: flag("max-old-space-size"), maxYoungGenerationSizeMb: 3 * flag("max-semi-space-size") };
}

/** The genesis and coordinator seed `config` names (node/main.ts); a UsageError naming the problem. */
function prepare(config: NodeConfig): void {
  try {
    loadNetwork(config);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

const heapLimitMiB = () => Math.round(v8.getHeapStatistics().heap_size_limit / 2 ** 20);

async function runNodeCommand(opts: Opts): Promise<number> {
  const cli: Record<string, unknown> = {};
  for (const name of Object.keys(NODE_OPTIONS)) if (opts[name] !== undefined) cli[name] = opts[name];
  let config: NodeConfig;
  try {
    const configFile = str(opts.config);
    const file = configFile ? (JSON.parse(fs.readFileSync(configFile, "utf8")) as Record<string, unknown>) : {};
    config = resolveConfig(file, process.env, cli);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof SyntaxError || (err as NodeJS.ErrnoException).code === "ENOENT") throw new UsageError((err as Error).message);
    throw err;
  }
  prepare(config);
  // Started without the runtime flags (npx tangle node, node bin/tangle.js node): run the node in a
  // worker thread whose heap has the same bounds. Same process, so its pid, signals, exit codes,
  // stdio and kill -9 behave as if the flags had been given.
  if (isMainThread && heapLimitMiB() > HEAP_HINT_MIB) return runInWorker(config);
  return serve(config, waitForSignal());
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return; // a second Ctrl-C while stopping: keep stopping cleanly
      stopping = true;
      resolve(signal);
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
  });
}

interface WorkerResult {
  code?: number;
  error?: { message: string; code?: unknown; usage?: boolean };
}

async function runInWorker(config: NodeConfig): Promise<number> {
  const worker = new Worker(__filename, {
    workerData: { tangleNode: { config, stdoutIsTTY: Boolean(process.stdout.isTTY) } },
    resourceLimits: runtimeHeapLimits(),
    stdout: false,
    stderr: false,
  });
  const signal = waitForSignal();
  void signal.then((s) => worker.postMessage({ stop: s }));
  // The worker's result message ends the run (and the worker, whatever timers it still holds,
  // as process.exit would); an exit without one is a crash (out of memory, uncaught error).
  const outcome = await new Promise<WorkerResult & { crash?: Error; exitCode?: number }>((resolve) => {
    let error: Error | undefined;
    worker.on("message", (m: WorkerResult) => resolve(m));
    worker.on("error", (err) => (error = err));
    worker.on("exit", (code) => resolve({ crash: error, exitCode: code }));
  });
  await worker.terminate();
  if (outcome.error) {
    if (outcome.error.usage) throw new UsageError(outcome.error.message);
    throw Object.assign(new Error(outcome.error.message), { code: outcome.error.code });
  }
  if (outcome.crash) throw outcome.crash;
  return outcome.code ?? outcome.exitCode ?? 1;
}

/** Worker side: run the node, report its exit code or error to the main thread. */
if (!isMainThread && (workerData as { tangleNode?: unknown } | null)?.tangleNode) {
  const { config, stdoutIsTTY } = (workerData as { tangleNode: { config: NodeConfig; stdoutIsTTY: boolean } }).tangleNode;
  const stop = new Promise<string>((resolve) => parentPort!.on("message", (m: { stop?: string }) => m.stop && resolve(m.stop)));
  serve(config, stop, stdoutIsTTY).then(
    (code) => {
      parentPort!.postMessage({ code } satisfies WorkerResult);
    },
    (err: unknown) => {
      const e = err as { message?: unknown; code?: unknown } | null;
      parentPort!.postMessage({ error: { message: String(e?.message ?? err), code: e?.code, usage: err instanceof UsageError } } satisfies WorkerResult);
    },
  );
}

/** Runs the node (node/main.ts) until `stop` resolves (with the signal's name); returns the exit code. */
async function serve(config: NodeConfig, stop: Promise<string>, pretty = Boolean(process.stdout.isTTY)): Promise<number> {
  const log = createLogger(config.logLevel, pretty);
  prepare(config);
  const started = await startNode(config, { log });
  await started.close(await stop);
  log.flush?.();
  return 0;
}
