/**
 * The composition root: `startNode` wires a node's components together from a resolved
 * configuration (node/config.ts) and returns them with one `close()`. `tangle node` (cli/node.ts),
 * the tests (test/support/node.ts) and any app embedding a node start it through here, so the
 * order below is the only one there is.
 *
 * Start order:
 *   1. network: the genesis and the coordinator key (checked against the genesis); with
 *      --bootstrap snapshot and an empty data directory, the newest snapshot a peer serves is
 *      downloaded, verified against the genesis and imported first (snapshot/bootstrap.ts)
 *   2. storage and the node: the database file checked before LMDB maps it (storage/preflight.ts,
 *      storage/page-walk.ts), open LMDB, replay the ledger, verify threads  → "database opened"
 *   3. the proof-of-work pool for clients (remote PoW; dev network by default)
 *   4. peering (takes `/peer` upgrades through the API server's port)
 *   5. the metrics, from the parts that own each figure (node, window, store, peering, API
 *      connections); the API server counts requests into them, renders them, and listens
 *      (WebSocket, /health, /metrics)
 *   6. the coordinator starts issuing milestones, or the committee driver takes part in rounds, when
 *      this node holds a key of the committee in force (switched at the milestone where a committee
 *      change makes it need one signature or more, or names or drops this node's key)
 *   7. outgoing peers from the configuration                              → "listening"
 *
 * Shutdown order (`close`), the reverse where it matters:
 *   1. the coordinator or the committee driver stops (waits for a milestone being issued)
 *   2. peers are dropped (no more gossip in or out)
 *   3. the API server stops taking requests and closes its sockets; the metrics stop listening
 *   4. the node finishes its writes and closes storage; the clean-shutdown mark is written
 *   5. the proof-of-work pool's threads end                               → "stopped"
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as v8 from "node:v8";
import { fromHex, toHex } from "../client/protocol/bytes";
import { addressOf, keyPairFromSeed } from "../client/protocol/keys";
import { encodeAddress, hrpForNetwork } from "../client/wallet/address";
import { PowPool } from "../client/pow";
import { ConfigError, HEAP_HINT_MIB, NODE_RUNTIME_FLAGS, NodeConfig } from "./config";
import { Coordinator } from "./coordinator";
import { CommitteeDriver } from "./committee/driver";
import { CommitteeWatch } from "./committee/watch";
import { ChangeQueue } from "./committee/change-queue";
import { defaultRoundTimeoutMs, reachableWindowMs } from "./committee/rounds";
import { devCoordinatorSeed, devGenesis, devWalletSeed } from "./networks/dev";
import { Genesis, parseGenesis } from "./ledger/genesis";
import { TangleNode, VERSION } from "./tangle-node";
import type { TangleNodeOptions } from "./tangle-node";
import { ApiServer } from "./api/server";
import { createNodeMetrics, NodeMetrics } from "./node-metrics";
import type { DamagedTransaction } from "./storage/store";
import { Code } from "../client/protocol/codes";
import { PeerManager } from "./peering/peers";
import { Pruner } from "./pruning/pruner";
import { defaultPruningDepth } from "./pruning/planner";
import type { Logger } from "./logger";
import { pagesAddon } from "./storage/mapped-pages";
import type { SpaceState } from "./storage/space";
import { ProgressWatch } from "./progress";
import { openFailure, writeCleanMark } from "./storage/preflight";
import { checkDatabaseFile } from "./storage/page-walk";
import { PeriodicSnapshots } from "./snapshot/periodic";
import { bootstrapFromPeers } from "./snapshot/bootstrap";

export interface StartNodeOptions {
  /** Where the node's log lines go (node/logger.ts: createLogger, silentLogger). */
  log: Logger;
  /**
   * TangleNode options the configuration does not offer (tests and embedding apps: a short
   * solidification timeout, a small solidifier, an injected clock). The configuration's own
   * settings (data directory, genesis, verify threads, mapped budget) are not overridden here.
   */
  node?: Omit<Partial<TangleNodeOptions>, "dataDir" | "genesis" | "verifyThreads" | "mappedBudgetBytes">;
}

export interface StartedNode {
  /** The API's WebSocket URL (`ws://host:port`; port 0 in the config becomes the bound port). */
  url: string;
  port: number;
  node: TangleNode;
  api: ApiServer;
  peering: PeerManager;
  /** The node's metrics (node/node-metrics.ts), rendered by the API server at /metrics. */
  metrics: NodeMetrics;
  /**
   * The coordinator, while this node holds the key of a committee of one in force (a getter: a
   * committee change switches it on or off; docs/committee.md, "Changing the committee").
   */
  readonly coordinator?: Coordinator;
  /** The committee driver, while this node holds a key of the committee in force and it needs more than one signature. */
  readonly member?: CommitteeDriver;
  /** The committee change queue of a node that holds a committee key. */
  changes?: ChangeQueue;
  /** Stops everything in the shutdown order above; `signal` (e.g. "SIGTERM") is logged. Idempotent. */
  close(signal?: string): Promise<void>;
}

export interface NetworkSetup {
  genesis: Genesis;
  coordinatorSeed?: Uint8Array;
  /** Whether the key is a member of the genesis committee (a key that is not takes part once a committee change names it). */
  keyInGenesis?: boolean;
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
  let text: string;
  try {
    text = fs.readFileSync(spec, "utf8").trim();
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new ConfigError(`--coordinator-key ${spec}: the file must hold a 32-byte seed as 64 hex characters`);
  return fromHex(text);
}

/**
 * The genesis and coordinator seed `config` names; a ConfigError naming the problem (an unreadable
 * genesis, a key file that does not hold a seed). A key the genesis committee does not name is
 * taken (`keyInGenesis: false`): a committee change may name it (docs/committee.md).
 */
export function loadNetwork(config: Pick<NodeConfig, "network" | "coordinatorKey">): NetworkSetup {
  const genesis = loadGenesis(config.network);
  const coordinatorSeed = loadCoordinatorSeed(config.coordinatorKey, config.network);
  if (!coordinatorSeed) return { genesis };
  const mine = toHex(keyPairFromSeed(coordinatorSeed).publicKey);
  return { genesis, coordinatorSeed, keyInGenesis: genesis.committee.members.includes(mine) };
}

/** What this node does for the milestone at an index: issue alone, take part in rounds, or nothing. */
type Role = "coordinator" | "member" | "none";

const committeeSummary = (c: { members: readonly string[]; threshold: number }) => ({ members: c.members.length, threshold: c.threshold });

const heapLimitMiB = () => Math.round(v8.getHeapStatistics().heap_size_limit / 2 ** 20);

/** Starts a node from a resolved configuration (see the start order above). */
export async function startNode(config: NodeConfig, { log, node: nodeOptions }: StartNodeOptions): Promise<StartedNode> {
  const { genesis, coordinatorSeed, keyInGenesis } = loadNetwork(config);
  // Read before anything opens: a damaged queue file stops the start (ERR_COMMITTEE_CHANGE_DAMAGED).
  const changes = coordinatorSeed
    ? ChangeQueue.open(path.resolve(config.data), (msg, details) => (/stale|not carried/.test(msg) ? log.warn(details, msg) : log.info(details, msg)))
    : undefined;
  // The free-space reserve (storage/space.ts), where the configuration sets one (default: by disk size).
  if (config.storageReserveMib !== undefined) nodeOptions = { ...nodeOptions, storageReserveBytes: config.storageReserveMib * 2 ** 20 };

  const dataDir = path.resolve(config.data);
  // --bootstrap snapshot: an empty data directory gets the newest verified snapshot a peer serves (snapshot/bootstrap.ts).
  if (config.bootstrap === "snapshot") {
    if (config.peer.length === 0) throw new ConfigError("--bootstrap snapshot needs at least one --peer to download the snapshot from");
    await bootstrapFromPeers({ dataDir, genesis, peers: config.peer, log });
  }
  const verifyThreads = config.verifyThreads ?? Math.min(4, Math.max(0, os.availableParallelism() - 1));
  // Before LMDB maps the file: a damaged one is refused with "database damaged: …", never a signal.
  const fileCheck = await checkDatabaseFile(dataDir, "unless-clean");
  if (fileCheck.walked) log.info({ dataDir, reason: fileCheck.reason, ms: Math.round(fileCheck.ms) }, "database pages checked");
  let node: TangleNode;
  try {
    node = await TangleNode.open({ ...nodeOptions, dataDir, genesis, verifyThreads, mappedBudgetBytes: config.mappedBudgetMib * 2 ** 20 });
  } catch (err) {
    throw fileCheck.exists ? openFailure(dataDir, err) : err;
  }
  const mappedRelease = !config.mappedBudgetMib ? "off" : pagesAddon() ? `${config.mappedBudgetMib} MiB` : "unavailable (native helper not built)";
  log.info({ dataDir, network: genesis.networkName, ledgerIndex: node.ledgerIndex, stored: node.storedTransactions, verifyThreads, mappedRelease, startupMs: Math.round(node.startupMs) }, "database opened");
  const heapMiB = heapLimitMiB();
  if (heapMiB > HEAP_HINT_MIB) log.warn({ heapLimitMiB: heapMiB }, `V8 heap not bounded; start node with ${NODE_RUNTIME_FLAGS.join(" ")} to keep memory small (docs/operations.md, Memory)`);
  node.on("diverged", (d) => log.error(d, "milestone refused: this node's ledger differs; confirmation stopped"));
  // The free-space reserve (storage/space.ts): one line on entering the full state, one on leaving it.
  const logSpace = (s: SpaceState) =>
    s.full
      ? log.warn({ code: Code.ERR_STORAGE_FULL, freeMiB: Math.floor(s.freeBytes / 2 ** 20), reserveMiB: Math.floor(s.reserveBytes / 2 ** 20) }, `${s.reason}; writes refused until space returns`)
      : log.info({ freeMiB: Math.floor(s.freeBytes / 2 ** 20), reserveMiB: Math.floor(s.reserveBytes / 2 ** 20) }, "storage writable again");
  if (node.space.full) logSpace(node.space.state);
  node.space.onChange(logSpace);
  // Stored transactions failing their id check (storage/store.ts), once each: those the replay found, then any later.
  const logDamaged = (d: DamagedTransaction) =>
    log.error({ code: Code.ERR_STORAGE_CORRUPT, id: d.id, seq: d.seq }, `storage damaged: transaction ${d.id} fails its id check; not served, asking peers for a good copy (run tangle check)`);
  const damagedAtOpen = node.store.damagedTransactions();
  damagedAtOpen.forEach(logDamaged);
  node.store.onDamaged(logDamaged);

  const remotePow = config.remotePow ?? config.network === "dev";
  const powPool = remotePow ? new PowPool() : undefined;
  const peering = new PeerManager({ node, log, maxPeers: config.maxPeers, snapshotDir: path.join(dataDir, "snapshots") });
  node.requestDamaged(); // those the replay found, asked of peers once they are ready
  // The connection count is read at scrape time, once the server below exists.
  const metrics = createNodeMetrics({ node, window: node.window, store: node.store, peering, connections: () => api.connectionCount });
  let progress: ProgressWatch | undefined; // made once the coordinator is
  const api = new ApiServer({ node, port: config.port, host: config.host, log, version: VERSION, powPool, peering, adminToken: config.adminToken, committeeChanges: changes, metrics, stalled: () => progress?.stalled() });
  let port: number;
  try {
    port = await api.listen();
  } catch (err) {
    // The port is taken (or not ours to bind): release what is already open, in shutdown order.
    await peering.close();
    await api.close().catch(() => undefined);
    metrics.close();
    await node.close();
    await powPool?.close();
    throw err;
  }

  const intervalMs = config.milestoneIntervalMs ?? genesis.milestoneIntervalMs;
  if (coordinatorSeed) node.milestoneIntervalMs = intervalMs;
  // A member of a committee that needs more than one signature takes part in rounds with the
  // others (committee/driver.ts); a committee of one is the coordinator alone. Which one runs follows
  // the committee in force for the next milestone, switched at the milestone where a committee
  // change takes effect (docs/committee.md, "Changing the committee").
  const timing = { intervalMs, roundTimeoutMs: defaultRoundTimeoutMs(intervalMs) };
  const committeeNow = () => node.committees.at(node.ledgerIndex + 1);
  const selfKey = coordinatorSeed ? toHex(keyPairFromSeed(coordinatorSeed).publicKey) : undefined;
  if (selfKey) node.committeeMember = selfKey;
  // A key the genesis does not name is a rotated-in member's, or the wrong file: said plainly, with the genesis's keys.
  if (selfKey && !keyInGenesis) {
    log.warn({ publicKey: selfKey, genesisMembers: genesis.committee.members }, `committee: this node's key ${selfKey} is not in the genesis committee of network '${genesis.networkName}'; it takes part once a committee change names it`);
  }
  const roleNow = (): Role => {
    const c = committeeNow();
    if (!selfKey || !c.members.includes(selfKey)) return "none";
    return c.threshold > 1 ? "member" : "coordinator";
  };
  let coordinator: Coordinator | undefined;
  let member: CommitteeDriver | undefined;
  let role: Role = "none";
  let closed = false;
  const startRole = (next: Role): void => {
    role = next;
    if (next === "coordinator") {
      coordinator = new Coordinator(node, coordinatorSeed!, {
        intervalMs,
        changes,
        onError: (err) => log.warn({ err: err.message }, "milestone not issued"),
        onCannotIssue: (reason, committee) => log.warn({ ...committee, reason }, "committee: cannot issue alone"),
      });
      coordinator.start();
    } else if (next === "member") {
      member = new CommitteeDriver(node, coordinatorSeed!, {
        dataDir,
        ...timing,
        changes,
        broadcast: (m) => peering.broadcastCommittee(m),
        log: (event, details, debug) => (debug ? log.debug(details, `committee: ${event}`) : log.info(details, `committee: ${event}`)),
      });
      peering.committee.member = member;
      member.start();
      log.info({ publicKey: selfKey, fromIndex: node.ledgerIndex + 1, ...committeeSummary(committeeNow()) }, "committee: this node is a member; milestones are proposed and signed in rounds");
    } else if (selfKey) {
      log.info({ publicKey: selfKey, fromIndex: node.ledgerIndex + 1, ...committeeSummary(committeeNow()) }, "committee: this node's key is not in the committee in force; it verifies milestones and signs none");
    }
  };
  const stopRole = async (): Promise<void> => {
    const [c, m] = [coordinator, member];
    coordinator = member = undefined;
    if (m) peering.committee.member = undefined;
    await c?.stop();
    await m?.stop();
  };
  // Switches run one at a time, in milestone order; close waits for the one under way.
  let switching: Promise<void> = Promise.resolve();
  const followCommittee = (): void => {
    switching = switching.then(async () => {
      changes?.observe(node.ledgerIndex, node.committees.all);
      const next = roleNow();
      if (closed || next === role) return;
      log.info({ ledgerIndex: node.ledgerIndex, from: role, to: next }, "committee: the committee in force changed; this node's part switches");
      await stopRole();
      if (!closed) startRole(next);
    });
  };
  changes?.observe(node.ledgerIndex, node.committees.all);
  startRole(roleNow());
  node.on("milestone", followCommittee);
  // Every node watches whether a committee that needs more than one signature can sign.
  const watch = new CommitteeWatch({ now: node.now, committee: committeeNow, reachable: (members) => peering.committee.reachable(members, reachableWindowMs(timing)) }, Math.max(10_000, 2 * timing.roundTimeoutMs));
  node.on("milestone", () => watch.applied());
  // Full ledger snapshots every --snapshot-interval milestones, written while the node goes on.
  const snapshots =
    config.snapshotInterval > 0
      ? new PeriodicSnapshots({
          store: node.store,
          genesis: node.genesis,
          dir: path.join(dataDir, "snapshots"),
          interval: config.snapshotInterval,
          deltaInterval: config.snapshotDeltaInterval,
          log: (event, details) => (event === "written" ? log.info(details, "snapshot written") : log.warn(details, `snapshot ${event}`)),
        })
      : undefined;
  if (snapshots) node.on("milestone", snapshots.onMilestone);
  // Pruning by depth (node/pruning/): one step at a time after milestones, never while unsynced.
  const pruner =
    config.pruning === "off"
      ? undefined
      : new Pruner({
          node,
          depth: config.pruningDepth ?? defaultPruningDepth(intervalMs),
          targetBytes: config.pruningTargetMib === undefined ? undefined : config.pruningTargetMib * 2 ** 20,
          synced: () => peering.synced,
          log: (event, details) => (event === "pruned" ? log.info(details, "pruned") : log.warn(details, "pruning failed")),
        });
  if (pruner) {
    node.pruner = pruner;
    node.on("milestone", pruner.onMilestone);
    pruner.onMilestone(); // finishes a pruning a crash interrupted
  }
  peering.committee.onEquivocation = (e) =>
    log.error({ index: e.index, member: e.member, essences: e.essences }, `committee: member ${e.member} signed two milestones at index ${e.index}; it broke its word (getNodeInfo.committee.equivocations)`);
  progress = new ProgressWatch(
    {
      now: node.now,
      ledgerIndex: () => node.ledgerIndex,
      bestKnownMilestone: () => peering.bestKnownMilestone,
      coordinator: { stalled: () => coordinator?.stalled() },
      committee: { stalled: () => (committeeNow().threshold > 1 ? watch.stalled() : undefined) },
    },
    Math.max(10_000, 3 * intervalMs),
  );
  progress.start(log);
  for (const peerUrl of config.peer) peering.addPeer(peerUrl);
  const url = `ws://${config.host}:${port}`;
  log.info({ url, health: `http://${config.host}:${port}/health`, coordinator: Boolean(coordinator), committeeMember: Boolean(member), intervalMs, remotePow, heapLimitMiB: heapMiB }, "listening");
  if (config.network === "dev") {
    const devAddress = addressOf(keyPairFromSeed(devWalletSeed()).publicKey);
    log.info({ devAddress: encodeAddress(devAddress, hrpForNetwork(genesis.networkName)), devAddressHex: toHex(devAddress), devSeed: toHex(devWalletSeed()) }, "dev funds: the whole supply belongs to the documented dev wallet seed (public; dev network only)");
  }

  let closing: Promise<void> | undefined;
  const close = (signal?: string): Promise<void> =>
    (closing ??= (async () => {
      log.info({ signal }, "stopping");
      progress?.stop();
      closed = true;
      node.off("milestone", followCommittee);
      await switching;
      // Stopped, not cleared: StartedNode.coordinator and .member still say what the node was.
      if (member) peering.committee.member = undefined;
      await coordinator?.stop();
      await member?.stop();
      await peering.close();
      await api.close();
      metrics.close();
      await snapshots?.close(); // the file under way reads the store
      await pruner?.close(); // the step under way writes to it
      await node.close();
      try {
        writeCleanMark(dataDir); // the next start may skip the page walk
      } catch (err) {
        log.warn({ err: (err as Error).message }, "clean-shutdown mark not written; the next start walks the database's pages");
      }
      await powPool?.close();
      log.info("stopped");
    })());
  return {
    url,
    port,
    node,
    api,
    peering,
    metrics,
    get coordinator() {
      return coordinator;
    },
    get member() {
      return member;
    },
    changes,
    close,
  };
}
