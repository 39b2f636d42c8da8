/**
 * A node in this process, for tests: `startTestNode` runs the composition root (node/main.ts,
 * startNode) exactly as `tangle node` does, on 127.0.0.1 with a free port and a fresh temporary
 * data directory: the dev network, its coordinator, milestones every 100 ms unless told otherwise.
 * Its log lines are kept (parsed JSON) for tests that read them. `close()` stops the node in the
 * shutdown order of node/main.ts and removes the directory it made.
 *
 * Tests where the process boundary is the point (crash, signals, exit codes, the installed
 * command) start a real process instead: test/node/api/_process.ts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import pino from "pino";
import { ApiClient, ApiClientOptions } from "../../client/node";
import { NodeConfig, resolveConfig } from "../../node/config";
import { startNode, StartedNode, StartNodeOptions } from "../../node/main";
import type { TangleNode } from "../../node/tangle-node";

export interface TestNodeOptions extends Partial<NodeConfig> {
  /** Issue milestones with the dev coordinator key (default true; dev network only). */
  coordinator?: boolean;
  /** Also connect an ApiClient (default false), with these options when an object. */
  client?: boolean | ApiClientOptions;
  /** TangleNode options beyond the configuration (startNode's `node`: solidification timeout, clock). */
  node?: StartNodeOptions["node"];
}

export interface TestNode {
  url: string;
  port: number;
  node: TangleNode;
  /** Everything startNode returned: api, peering, coordinator. */
  started: StartedNode;
  client?: ApiClient;
  /** The data directory (made here unless `data` was given). */
  dataDir: string;
  /** The node's log lines, parsed. */
  logs: Record<string, unknown>[];
  /** Stops the client and the node, then removes the data directory if it was made here. */
  close(): Promise<void>;
}

export async function startTestNode(opts: TestNodeOptions = {}): Promise<TestNode> {
  const { coordinator = true, client, node: nodeOptions, ...overrides } = opts;
  const madeDir = overrides.data === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), "tangle-test-node-")) : undefined;
  const defaults: Partial<NodeConfig> = { network: "dev", host: "127.0.0.1", port: 0, milestoneIntervalMs: 100 };
  if (coordinator && (overrides.network ?? "dev") === "dev") defaults.coordinatorKey = "dev";
  const config: NodeConfig = { ...resolveConfig(), ...defaults, ...(madeDir ? { data: madeDir } : {}), ...overrides };
  const logs: Record<string, unknown>[] = [];
  const log = pino({ level: config.logLevel, base: undefined }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  let started: StartedNode;
  try {
    started = await startNode(config, { log, node: nodeOptions });
  } catch (err) {
    if (madeDir) fs.rmSync(madeDir, { recursive: true, force: true });
    throw err;
  }
  let api: ApiClient | undefined;
  try {
    if (client) api = await ApiClient.connect(started.url, typeof client === "object" ? client : {});
  } catch (err) {
    await started.close();
    if (madeDir) fs.rmSync(madeDir, { recursive: true, force: true });
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    url: started.url,
    port: started.port,
    node: started.node,
    started,
    client: api,
    dataDir: config.data,
    logs,
    close: () =>
      (closing ??= (async () => {
        api?.close();
        await started.close();
        if (madeDir) fs.rmSync(madeDir, { recursive: true, force: true });
      })()),
  };
}
