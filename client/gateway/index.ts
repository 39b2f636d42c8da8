/** The gateway SDK: batching readings into signed, chained data records; the outbox; the stream verifier. */
export { Gateway } from "./gateway";
export { GatewayError, GatewayErrorCode } from "./types";
export type { AckEvent, GatewayEvents, GatewayOptions, GatewayStats, ProofEvent, RebaseEvent } from "./types";
export { findStreamHead } from "./stream-head";
export { MemoryOutbox } from "./outbox";
export type { AwaitingProof, Outbox, OutboxReading, SealedRecord, StoredProof, StreamHead } from "./outbox";
export { encodeReading, packReadings, READINGS_CONTENT_TYPE, resolveStreamId, streamIdFor, unpackReadings } from "./readings";
export type { Reading } from "./readings";
export { fetchStream, verifyRecords, verifyStream } from "./verify";
export type { NodeHolding, ProblemKind, StreamProblem, StreamReport, VerifiedRecord, VerifyOptions } from "./verify";
