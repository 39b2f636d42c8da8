/**
 * `tangle node`: runs a tangle node. Options come from defaults, `--config FILE`, `TANGLE_*`
 * environment variables and flags (node/config.ts). SIGINT/SIGTERM stop it cleanly: no new
 * requests, in-flight writes committed, sockets closed, exit 0.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import * as v8 from "node:v8";
import { toHex, fromHex } from "../client/protocol/bytes";
import { addressOf, keyPairFromSeed } from "../client/protocol/keys";
import { encodeAddress, hrpForNetwork } from "../client/wallet/address";
import { PowPool } from "../client/pow";
import { configUsage, ConfigError, HEAP_HINT_MIB, NODE_OPTIONS, NODE_RUNTIME_FLAGS, NodeConfig, resolveConfig } from "../node/config";
import { Coordinator } from "../node/coordinator";
import { devCoordinatorSeed, devGenesis, devWalletSeed } from "../node/networks/dev";
import { Genesis, parseGenesis } from "../node/ledger/genesis";
import { TangleNode, VERSION } from "../node/tangle-node";
import { ApiServer } from "../node/api/server";
import { PeerManager } from "../node/peering/peers";
import { createLogger } from "../node/logger";
import { pagesAddon } from "../node/storage/mapped-pages";
import { UsageError } from "./args";

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export const NODE_USAGE = `Usage: tangle node [options]

Options (each also settable as an environment variable or in a JSON file given with --config):
  --config FILE                JSON file of options (keys as below, camelCase)
${configUsage()}
`;

function parseNodeArgs(args: string[]): { cli: Record<string, unknown>; configFile?: string; help: boolean } {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = { config: { type: "string" }, help: { type: "boolean" } };
  for (const [name, spec] of Object.entries(NODE_OPTIONS)) {
    options[kebab(name)] = spec.kind === "boolean" ? { type: "boolean" } : spec.kind === "list" ? { type: "string", multiple: true } : { type: "string" };
    if (spec.kind === "boolean") options[`no-${kebab(name)}`] = { type: "boolean" };
  }
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args, options, strict: true, allowPositionals: false }).values as Record<string, unknown>;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const cli: Record<string, unknown> = {};
  for (const name of Object.keys(NODE_OPTIONS)) {
    if (values[kebab(name)] !== undefined) cli[name] = values[kebab(name)];
    if (values[`no-${kebab(name)}`] === true) cli[name] = false;
  }
  return { cli, configFile: values.config as string | undefined, help: values.help === true };
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

export async function nodeCommand(args: string[]): Promise<number> {
  const parsed = parseNodeArgs(args);
  if (parsed.help) {
    process.stdout.write(NODE_USAGE);
    return 0;
  }
  let config: NodeConfig;
  try {
    const file = parsed.configFile ? (JSON.parse(fs.readFileSync(parsed.configFile, "utf8")) as Record<string, unknown>) : {};
    config = resolveConfig(file, process.env, parsed.cli);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof SyntaxError || (err as NodeJS.ErrnoException).code === "ENOENT") throw new UsageError((err as Error).message);
    throw err;
  }
  const log = createLogger(config.logLevel);
  let genesis: Genesis;
  let coordinatorSeed: Uint8Array | undefined;
  try {
    genesis = loadGenesis(config.network);
    coordinatorSeed = loadCoordinatorSeed(config.coordinatorKey, config.network);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (coordinatorSeed && !genesis.coordinatorPublicKeys.includes(toHex(keyPairFromSeed(coordinatorSeed).publicKey))) {
    throw new UsageError("the coordinator key is not one of this network's coordinators");
  }
  const dataDir = path.resolve(config.data);
  const verifyThreads = config.verifyThreads ?? Math.min(4, Math.max(0, os.availableParallelism() - 1));
  const node = await TangleNode.open({ dataDir, genesis, verifyThreads, mappedBudgetBytes: config.mappedBudgetMib * 2 ** 20 });
  const mappedRelease = !config.mappedBudgetMib ? "off" : pagesAddon() ? `${config.mappedBudgetMib} MiB` : "unavailable (native helper not built)";
  log.info({ dataDir, network: genesis.networkName, ledgerIndex: node.ledgerIndex, stored: node.storedTransactions, verifyThreads, mappedRelease, startupMs: Math.round(node.startupMs) }, "database opened");
  const heapMiB = Math.round(v8.getHeapStatistics().heap_size_limit / 2 ** 20);
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
  log.info({ url: `ws://${config.host}:${port}`, health: `http://${config.host}:${port}/health`, coordinator: Boolean(coordinator), intervalMs, remotePow }, "listening");
  if (config.network === "dev") {
    const devAddress = addressOf(keyPairFromSeed(devWalletSeed()).publicKey);
    log.info({ devAddress: encodeAddress(devAddress, hrpForNetwork(genesis.networkName)), devAddressHex: toHex(devAddress), devSeed: toHex(devWalletSeed()) }, "dev funds: the whole supply belongs to the documented dev wallet seed (public; dev network only)");
  }

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, "stopping");
      resolve();
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
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
