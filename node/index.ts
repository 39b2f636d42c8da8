/**
 * The node as a library (`tangle-ledger/node`): the components the `tangle node` command wires
 * together (cli/node.ts shows the order, docs/operations.md explains it), the network definitions
 * and the pure ledger. Re-exports only.
 */
export { TangleNode, VERSION } from "./tangle-node";
export type { TangleNodeOptions, SubmitOptions, SubmitResult, TransactionMetadata, MilestoneInfo, Divergence } from "./tangle-node";
export { ApiServer } from "./api/server";
export type { ApiServerOptions } from "./api/server";
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
