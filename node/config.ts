/**
 * Node configuration: every option with its type, default and a one-line description, in one
 * table. Values come from (later wins): defaults → config file (JSON, `--config FILE`) →
 * environment (`TANGLE_<NAME>` in upper snake case) → command line (`--kebab-name`).
 */
import { Code, CodedError } from "../client/protocol/codes";

export interface NodeConfig {
  port: number;
  host: string;
  data: string;
  network: string;
  coordinatorKey?: string;
  peer: string[];
  maxPeers: number;
  adminToken?: string;
  milestoneIntervalMs?: number;
  remotePow?: boolean;
  verifyThreads?: number;
  mappedBudgetMib: number;
  storageReserveMib?: number;
  snapshotInterval: number;
  snapshotDeltaInterval: number;
  pruning: string;
  pruningDepth?: number;
  pruningTargetMib?: number;
  bootstrap: string;
  logLevel: string;
}

type Kind = "number" | "string" | "boolean" | "list";

interface OptionSpec {
  kind: Kind;
  default?: unknown;
  usage: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
}

export const NODE_OPTIONS: Readonly<Record<keyof NodeConfig, OptionSpec>> = {
  port: { kind: "number", default: 14265, min: 0, max: 65535, usage: "TCP port for the WebSocket API and HTTP (/health, /metrics)" },
  host: { kind: "string", default: "127.0.0.1", usage: "address to listen on (0.0.0.0 for all interfaces)" },
  data: { kind: "string", default: "./data", usage: "directory of the node's LMDB database" },
  network: { kind: "string", default: "dev", usage: "'dev' for the built-in dev network, or the path of a genesis JSON file" },
  coordinatorKey: { kind: "string", usage: "file holding the coordinator's 32-byte seed in hex (makes this node issue milestones)" },
  peer: { kind: "list", default: [], usage: "WebSocket URL of a peer node (repeatable)" },
  maxPeers: { kind: "number", default: 16, min: 0, max: 256, usage: "most peers connected at once (both directions)" },
  adminToken: { kind: "string", usage: "token for the admin API methods addPeer, removePeer, queueCommitteeChange and cancelCommitteeChange (unset: disabled)" },
  milestoneIntervalMs: { kind: "number", min: 1, max: 3_600_000, usage: "milestone interval in ms when coordinating (default: the genesis value)" },
  remotePow: { kind: "boolean", usage: "do proof of work for clients that ask (default: on for dev, off otherwise)" },
  verifyThreads: { kind: "number", min: 0, max: 64, usage: "worker threads verifying signatures (default: CPU cores - 1, at most 4; 0: the main thread)" },
  mappedBudgetMib: { kind: "number", default: 8, min: 0, max: 1_048_576, usage: "release mapped database pages once they grow the resident set by this many MiB (0: never; Linux)" },
  storageReserveMib: {
    kind: "number",
    min: 8,
    max: 1_048_576,
    usage: "free space (MiB) kept on the data directory's disk: below it the node takes no writes (ERR_STORAGE_FULL) until space returns (default: 2 % of the disk, at least 64, at most 1024; at least 8)",
  },
  snapshotInterval: { kind: "number", default: 0, min: 0, max: 4_294_967_295, usage: "write a full ledger snapshot to <data>/snapshots every this many milestones, keeping the newest two (0: never; docs/storage.md)" },
  snapshotDeltaInterval: {
    kind: "number",
    default: 0,
    min: 0,
    max: 4_294_967_295,
    usage: "also write a delta snapshot (the changes since the newest full file) to <data>/snapshots every this many milestones, keeping the newest two per full file; served with the full file (0: never; docs/storage.md)",
  },
  pruning: { kind: "string", default: "on", choices: ["on", "off"], usage: "'off' keeps every transaction (an archive node); 'on' deletes what milestones older than --pruning-depth confirmed (docs/storage.md, Pruning)" },
  pruningDepth: { kind: "number", min: 2, max: 4_294_967_295, usage: "milestones whose transactions are kept whole below the confirmed one (default: a week at the milestone interval)" },
  pruningTargetMib: { kind: "number", min: 1, max: 1_048_576, usage: "also prune deeper (down to 2 milestones) while the database's pages in use take more than this many MiB (default: no target)" },
  bootstrap: {
    kind: "string",
    default: "none",
    choices: ["none", "snapshot"],
    usage: "'snapshot': on an empty data directory, first download the newest snapshot a --peer serves, verify it against the genesis and import it (not empty: skipped; docs/storage.md)",
  },
  logLevel: { kind: "string", default: "info", choices: ["debug", "info", "warn", "error"], usage: "least severe log level printed" },
};

/**
 * Node.js flags the node process is meant to run with (`npm start` and the benchmarks use them).
 * V8 otherwise sizes its old generation for the machine's whole memory and lets garbage grow the
 * committed heap to several times the live data (about 40 MB with the default window); a young
 * generation of 8 MiB semi-spaces instead of 16 saves another 16–22 MiB at the same throughput
 * (measured in bench/README.md).
 */
export const NODE_RUNTIME_FLAGS: readonly string[] = ["--max-old-space-size=256", "--max-semi-space-size=8"];
/** Above this V8 heap limit (MiB) the node warns that it was started without those flags. */
export const HEAP_HINT_MIB = 1024;

export class ConfigError extends CodedError<typeof Code.ERR_CONFIG> {
  constructor(message: string) {
    super(Code.ERR_CONFIG, message);
    this.name = "ConfigError";
  }
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

function coerce(name: string, spec: OptionSpec, raw: unknown, source: string): unknown {
  const where = `${source} ${name}`;
  switch (spec.kind) {
    case "number": {
      const n = typeof raw === "number" ? raw : typeof raw === "string" && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isInteger(n) || (spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        throw new ConfigError(`${where} must be an integer in [${spec.min}, ${spec.max}], got '${String(raw)}'`);
      }
      return n;
    }
    case "boolean": {
      if (typeof raw === "boolean") return raw;
      if (raw === "true" || raw === "1" || raw === "") return true;
      if (raw === "false" || raw === "0") return false;
      throw new ConfigError(`${where} must be true or false, got '${String(raw)}'`);
    }
    case "list": {
      if (Array.isArray(raw) && raw.every((x) => typeof x === "string")) return raw;
      if (typeof raw === "string") return raw.split(",").map((x) => x.trim()).filter(Boolean);
      throw new ConfigError(`${where} must be a list of strings`);
    }
    default: {
      if (typeof raw !== "string" || raw.length === 0) throw new ConfigError(`${where} must be a non-empty string`);
      if (spec.choices && !spec.choices.includes(raw)) throw new ConfigError(`${where} must be one of ${spec.choices.join(", ")}, got '${raw}'`);
      return raw;
    }
  }
}

/**
 * Resolves the configuration. `file` is the parsed config file (an object), `env` the environment,
 * `cli` the parsed command line (camelCase keys; lists as arrays).
 */
export function resolveConfig(
  file: Record<string, unknown> = {},
  env: Record<string, string | undefined> = {},
  cli: Record<string, unknown> = {},
): NodeConfig {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(NODE_OPTIONS)) if (spec.default !== undefined) out[name] = spec.default;
  for (const key of Object.keys(file)) {
    if (!(key in NODE_OPTIONS)) throw new ConfigError(`config file: unknown option '${key}'`);
  }
  for (const [name, spec] of Object.entries(NODE_OPTIONS)) {
    if (file[name] !== undefined) out[name] = coerce(name, spec, file[name], "config file:");
    const e = env[`TANGLE_${snake(name)}`];
    if (e !== undefined) out[name] = coerce(name, spec, e, `environment TANGLE_${snake(name)}:`);
    if (cli[name] !== undefined) out[name] = coerce(name, spec, cli[name], `--${kebab(name)}:`);
  }
  return out as unknown as NodeConfig;
}

/** Help text: one line per option with its default. */
export function configUsage(): string {
  return Object.entries(NODE_OPTIONS)
    .map(([name, spec]) => {
      const flag = spec.kind === "boolean" ? `--[no-]${kebab(name)}` : `--${kebab(name)}${spec.kind === "list" ? " URL" : " VALUE"}`;
      const dflt = spec.default === undefined || (Array.isArray(spec.default) && spec.default.length === 0) ? "" : ` (default ${JSON.stringify(spec.default)})`;
      return `  ${flag.padEnd(28)} ${spec.usage}${dflt}\n  ${"".padEnd(28)} env TANGLE_${snake(name)}`;
    })
    .join("\n");
}
