/**
 * The composition root (node/main.ts): startNode runs the start order and `close()` the shutdown
 * order, logged as such; close is idempotent and frees the port and the data directory; a start
 * that fails at listening releases what it opened; loadNetwork takes a coordinator key the genesis
 * does not name, marked as such (a committee change may name it). Real LMDB in temp folders, real
 * sockets on 127.0.0.1.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import pino from "pino";
import { toHex } from "../../client/protocol/bytes";
import { keyPairFromSeed } from "../../client/protocol/keys";
import { ConfigError, NodeConfig, resolveConfig } from "../../node/config";
import { devCoordinatorSeed } from "../../node/networks/dev";
import { loadNetwork, startNode } from "../../node/main";
import { cleanupDirs, coordinatorSeed, testGenesis, tmpDir } from "./_helpers";

afterAll(cleanupDirs);

function capture(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: pino({ level: "info", base: undefined }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) }) };
}

const config = (over: Partial<NodeConfig>): NodeConfig => ({ ...resolveConfig(), host: "127.0.0.1", port: 0, data: tmpDir(), verifyThreads: 0, ...over });

/** Resolves true when something accepts a TCP connection on `port`, false when refused. */
const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });

test("start and shutdown in the written order; close is idempotent and frees the port and the directory", async () => {
  const { log, lines } = capture();
  const cfg = config({ network: "dev", coordinatorKey: "dev", milestoneIntervalMs: 50 });
  const started = await startNode(cfg, { log });
  expect(started.url).toBe(`ws://127.0.0.1:${started.port}`);
  expect(started.coordinator).toBeDefined();
  expect(started.node.milestoneIntervalMs).toBe(50);
  expect(await accepts(started.port)).toBe(true);

  const closing = started.close("SIGTERM");
  expect(started.close()).toBe(closing);
  await closing;
  expect(started.node.closed).toBe(true);
  expect(await accepts(started.port)).toBe(false);
  const msgs = lines.map((l) => l.msg).filter((m) => ["database opened", "listening", "stopping", "stopped"].includes(m as string));
  expect(msgs).toEqual(["database opened", "listening", "stopping", "stopped"]);
  expect(lines.find((l) => l.msg === "stopping")).toMatchObject({ signal: "SIGTERM" });

  // The directory is free again: the same data opens in a new node, at the same ledger.
  const again = await startNode({ ...cfg, coordinatorKey: undefined }, { log: capture().log });
  expect(again.coordinator).toBeUndefined();
  expect(again.node.ledgerIndex).toBe(started.node.ledgerIndex);
  await again.close();
});

test("a port already taken: startNode rejects and releases the data directory", async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
  const port = (blocker.address() as net.AddressInfo).port;
  const cfg = config({ network: "dev", port });
  try {
    await expect(startNode(cfg, { log: capture().log })).rejects.toMatchObject({ code: "EADDRINUSE" });
  } finally {
    await new Promise((r) => blocker.close(r));
  }
  // Nothing was left open: the same directory starts (the data-directory lock would refuse it).
  const started = await startNode({ ...cfg, port: 0 }, { log: capture().log });
  await started.close();
});

test("loadNetwork: the dev key only on the dev network; a key file must hold a seed; a key the genesis does not name is taken, marked (a committee change may name it)", () => {
  expect(toHex(loadNetwork({ network: "dev", coordinatorKey: "dev" }).coordinatorSeed!)).toBe(toHex(devCoordinatorSeed()));
  const dir = tmpDir();
  const genesisFile = path.join(dir, "genesis.json");
  fs.writeFileSync(genesisFile, JSON.stringify(testGenesis()));
  expect(() => loadNetwork({ network: genesisFile, coordinatorKey: "dev" })).toThrow(new ConfigError("--coordinator-key dev only works with --network dev"));

  const own = path.join(dir, "own.key");
  fs.writeFileSync(own, toHex(coordinatorSeed));
  expect(loadNetwork({ network: genesisFile, coordinatorKey: own })).toMatchObject({ genesis: { networkName: "test" }, keyInGenesis: true });

  const stranger = path.join(dir, "stranger.key");
  fs.writeFileSync(stranger, "ab".repeat(32));
  const pub = toHex(keyPairFromSeed(new Uint8Array(32).fill(0xab)).publicKey);
  const rotatedIn = loadNetwork({ network: genesisFile, coordinatorKey: stranger });
  expect([toHex(keyPairFromSeed(rotatedIn.coordinatorSeed!).publicKey), rotatedIn.keyInGenesis]).toEqual([pub, false]);

  fs.writeFileSync(stranger, "not hex");
  expect(() => loadNetwork({ network: genesisFile, coordinatorKey: stranger })).toThrow("the file must hold a 32-byte seed as 64 hex characters");
  expect(() => loadNetwork({ network: path.join(dir, "missing.json") })).toThrow(ConfigError);
});
