/** Snapshot files (docs/storage.md, "Snapshot files"): format, streaming file I/O, verification, creation, import. */
export * from "./errors";
export * from "./format";
export { SnapshotReader, SnapshotWriter } from "./file";
export { verifySnapshot, verifySnapshotFile, checkTrustChain } from "./verify";
export type { SnapshotSummary, SnapshotVerdict, VerifiedSnapshot, CheckedMilestone } from "./verify";
export { createSnapshot, openStoppedStore, storedGenesisHash } from "./create";
export type { CreatedSnapshot } from "./create";
export { importSnapshot } from "./import";
export { solidEntryPoints } from "./entry-points";
export { PeriodicSnapshots, writeLiveSnapshot } from "./periodic";
