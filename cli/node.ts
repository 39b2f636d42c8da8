/**
 * `tangle node`: runs a tangle node. Options come from defaults, `--config FILE`, `TANGLE_*`
 * environment variables and flags (node/config.ts). SIGINT/SIGTERM stop it cleanly: no new
 * requests, in-flight writes committed, sockets closed, exit 0.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as v8 from "node:v8";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { Option } from "commander";
import { toHex, fromHex } from "../client/protocol/bytes";
import { addressOf, keyPairFromSeed } from "../client/protocol/keys";
import { encodeAddress, hrpForNetwork } from "../client/wallet/address";
import { PowPool } from "../client/pow";
import { ConfigError, HEAP_HINT_MIB, NODE_OPTIONS, NODE_RUNTIME_FLAGS, NodeConfig, resolveConfig } from "../node/config";
import { Coordinator } from "../node/coordinator";
import { devCoordinatorSeed, devGenesis, devWalletSeed } from "../node/networks/dev";
import { Genesis, parseGenesis } from "../node/ledger/genesis";
import { TangleNode, VERSION } from "../node/tangle-node";
import { ApiServer } from "../node/api/server";
import { PeerManager } from "../node/peering/peers";
import { createLogger } from "../node/logger";
import { pagesAddon } from "../node/storage/mapped-pages";
import { collect, Opts, str, TangleCommand, UsageError } from "./args";

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
  return cmd.action(runNodeCommand);
}

/** The flags' heap bounds as worker resource limits: old space, and young = 3 semi-spaces (V8). */
export function runtimeHeapLimits(flags: readonly string[] = NODE_RUNTIME_FLAGS): { maxOldGenerationSizeMb: number; maxYoungGenerationSizeMb: number } {
  const flag = (name: string) => Number(flags.find((f) => f.startsWith(`--${name}=`))?.split("=")[1]);
  return { maxOldGenerationSizeMb: flag("max-old-space-size"), maxYoungGenerationSizeMb: 3 * flag("max-semi-space-size") };
}

function loadGenesis(network: string): Genesis {
  if (network === "dev") return devGenesis();
  try {
    return parseGenesis(fs.readFileSync(network, "utf8"));
  } catch (err) {
    throw new ConfigError(`--network ${network}: ${(err as Error).message}`);
  }
}

function loadCoordinatorSeed(spec: string | undefined, network: string): Uint8Array | undefined {
  if (!spec) return undefined;
  if (spec === "dev") {
    if (network !== "dev") throw new ConfigError("--coordinator-key dev only works with --network dev");
    return devCoordinatorSeed();
  }
  const text = fs.readFileSync(spec, "utf8").trim();
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new ConfigError(`--coordinator-key ${spec}: the file must hold a 32-byte seed as 64 hex characters`);
  return fromHex(text);
}

/** The genesis and coordinator seed for `config`; a UsageError naming the problem. */
function prepare(config: NodeConfig): { genesis: Genesis; coordinatorSeed?: Uint8Array } {
  let genesis: Genesis;
  let coordinatorSeed: Uint8Array | undefined;
  try {
    genesis = loadGenesis(config.network);
    coordinatorSeed = loadCoordinatorSeed(config.coordinatorKey, config.network);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (coordinatorSeed) {
    const mine = toHex(keyPairFromSeed(coordinatorSeed).publicKey);
    if (!genesis.coordinatorPublicKeys.includes(mine)) {
      throw new UsageError(
        `--coordinator-key ${config.coordinatorKey}: public key ${mine} is not a coordinator of network '${genesis.networkName}'; ` +
          `its genesis names ${genesis.coordinatorPublicKeys.length === 1 ? "" : "one of "}${genesis.coordinatorPublicKeys.join(", ")}`,
      );
    }
  }
  return { genesis, coordinatorSeed };
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

/** Runs the node until `stop` resolves (with the signal's name); returns the exit code. */
async function serve(config: NodeConfig, stop: Promise<string>, pretty = Boolean(process.stdout.isTTY)): Promise<number> {
  const log = createLogger(config.logLevel, pretty);
  const { genesis, coordinatorSeed } = prepare(config);
  const dataDir = path.resolve(config.data);
  const verifyThreads = config.verifyThreads ?? Math.min(4, Math.max(0, os.availableParallelism() - 1));
  const node = await TangleNode.open({ dataDir, genesis, verifyThreads, mappedBudgetBytes: config.mappedBudgetMib * 2 ** 20 });
  const mappedRelease = !config.mappedBudgetMib ? "off" : pagesAddon() ? `${config.mappedBudgetMib} MiB` : "unavailable (native helper not built)";
  log.info({ dataDir, network: genesis.networkName, ledgerIndex: node.ledgerIndex, stored: node.storedTransactions, verifyThreads, mappedRelease, startupMs: Math.round(node.startupMs) }, "database opened");
  const heapMiB = heapLimitMiB();
  if (heapMiB > HEAP_HINT_MIB) log.warn({ heapLimitMiB: heapMiB }, `V8 heap not bounded; start node with ${NODE_RUNTIME_FLAGS.join(" ")} to keep memory small (docs/operations.md, Memory)`);
  node.on("diverged", (d) => log.error(d, "milestone refused: this node's ledger differs; confirmation stopped"));
  const remotePow = config.remotePow ?? config.network === "dev";
  const powPool = remotePow ? new PowPool() : undefined;
  const peering = new PeerManager({ node, log, maxPeers: config.maxPeers });
  const api = new ApiServer({ node, port: config.port, host: config.host, log, version: VERSION, powPool, peering, adminToken: config.adminToken });
  const port = await api.listen();
  const intervalMs = config.milestoneIntervalMs ?? genesis.milestoneIntervalMs;
  if (coordinatorSeed) node.milestoneIntervalMs = intervalMs;
  const coordinator = coordinatorSeed ? new Coordinator(node, coordinatorSeed, { intervalMs, onError: (err) => log.warn({ err: err.message }, "milestone not issued") }) : undefined;
  coordinator?.start();
  for (const url of config.peer) peering.addPeer(url);
  log.info({ url: `ws://${config.host}:${port}`, health: `http://${config.host}:${port}/health`, coordinator: Boolean(coordinator), intervalMs, remotePow, heapLimitMiB: heapMiB }, "listening");
  if (config.network === "dev") {
    const devAddress = addressOf(keyPairFromSeed(devWalletSeed()).publicKey);
    log.info({ devAddress: encodeAddress(devAddress, hrpForNetwork(genesis.networkName)), devAddressHex: toHex(devAddress), devSeed: toHex(devWalletSeed()) }, "dev funds: the whole supply belongs to the documented dev wallet seed (public; dev network only)");
  }

  log.info({ signal: await stop }, "stopping");
  // Shutdown order: stop issuing milestones, drop peers, stop taking requests, finish writes,
  // close storage.
  await coordinator?.stop();
  await peering.close();
  await api.close();
  await node.close();
  await powPool?.close();
  log.info("stopped");
  log.flush?.();
  return 0;
}
