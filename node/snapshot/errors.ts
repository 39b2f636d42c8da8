/**
 * Snapshot files' view of the one code table (client/protocol/codes.ts): one code per way a file
 * can fail (docs/storage.md, Snapshot files). A milestone whose signatures are not a quorum of the
 * committee in force is reported with the committee check's own code (ERR_MILESTONE_QUORUM,
 * ERR_MILESTONE_NOT_MEMBER, ERR_MILESTONE_RETIRED_SIGNER, ERR_MILESTONE_BAD_SIGNATURE,
 * ERR_MILESTONE_COMMITTEE_CHANGE), as a node reports it for a milestone arriving by gossip.
 */
import { Code, CodedError, CodeOf } from "../../client/protocol/codes";
import { NodeErrorCode } from "../errors";

export const SnapshotErrorCode = {
  MALFORMED: Code.ERR_SNAPSHOT_MALFORMED,
  TRUNCATED: Code.ERR_SNAPSHOT_TRUNCATED,
  CHECKSUM: Code.ERR_SNAPSHOT_CHECKSUM,
  WRONG_NETWORK: Code.ERR_SNAPSHOT_WRONG_NETWORK,
  MILESTONE: Code.ERR_SNAPSHOT_MILESTONE,
  LEDGER_ROOT: Code.ERR_SNAPSHOT_LEDGER_ROOT,
  BASE: Code.ERR_SNAPSHOT_BASE,
  DELTA: Code.ERR_SNAPSHOT_DELTA,
  NO_MILESTONE: Code.ERR_SNAPSHOT_NO_MILESTONE,
  IMPORT_TARGET: Code.ERR_SNAPSHOT_IMPORT_TARGET,
} as const;

/** A snapshot's own codes, or the committee check's for its milestones' signatures. */
export type SnapshotFailureCode = CodeOf<typeof SnapshotErrorCode> | NodeErrorCode;

export class SnapshotError extends CodedError<SnapshotFailureCode> {
  override name = "SnapshotError";
}

export function fail(code: SnapshotFailureCode, message: string): never {
  throw new SnapshotError(code, message);
}
