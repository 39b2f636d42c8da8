/**
 * The node as a library (`tangle-ledger/node`): `startNode`, the composition root the `tangle node`
 * command uses (node/main.ts holds the start and shutdown orders, docs/operations.md explains them),
 * the components it wires together, the network definitions and the pure ledger. Re-exports only.
 */
export { startNode, loadNetwork } from "./main";
export type { StartNodeOptions, StartedNode, NetworkSetup } from "./main";
export { TangleNode, VERSION } from "./tangle-node";
export type { TangleNodeOptions, SubmitOptions, SubmitResult, TransactionMetadata, MilestoneInfo, Divergence } from "./tangle-node";
export type { NodeEvents, TransactionEvent, AcceptedEvent, RejectedEvent, MissingEvent, MilestoneEvent } from "./events";
export { ApiServer } from "./api/server";
export type { ApiServerOptions } from "./api/server";
export { createNodeMetrics } from "./node-metrics";
export type { NodeMetrics, MetricSources } from "./node-metrics";
export { PeerManager } from "./peering/peers";
export type { PeerManagerOptions, PeerStats } from "./peering/peers";
export { Coordinator } from "./coordinator";
export type { CoordinatorOptions } from "./coordinator";
export { resolveConfig, configUsage, ConfigError, NODE_OPTIONS, NODE_RUNTIME_FLAGS } from "./config";
export type { NodeConfig } from "./config";
export { createLogger, silentLogger } from "./logger";
export type { Logger } from "./logger";
export { devGenesis, devCoordinatorSeed, devWalletSeed, DEV_NETWORK_ID, DEV_SUPPLY, DEV_MILESTONE_INTERVAL_MS, DEV_BASE_DIFFICULTY } from "./networks/dev";
export * as ledger from "./ledger";
