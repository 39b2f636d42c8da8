/**
 * Payload 4, checkpoint (docs/protocol.md "Payload 4"): a transaction a committee member issues
 * between milestones to reference tips, so that the next milestone's cone holds every transaction
 * the network accepted (docs/checkpoints.md).
 *
 *   milestoneIndex u32: the index of the latest milestone its issuer knew (0 before the first)
 *
 * Otherwise an ordinary transaction: proof of work, signed by its issuer, confirmed like data, no
 * ledger effect. It carries no authority: the field is informational (which milestone the sweep
 * followed), and nothing is decided by it.
 */
import type { ByteWriter } from "../../util/byte-writer";
import { ProtocolErrorCode as E } from "../errors";
import { bad, checkUint, MAX_U32, Reader } from "./_fields";
import type { PayloadModule } from "./_module";

export interface CheckpointPayload {
  type: "checkpoint";
  /** Index of the latest milestone the issuer knew when it issued the checkpoint. */
  milestoneIndex: number;
}

export function isCheckpoint(p: { type: string }): p is CheckpointPayload {
  return p.type === "checkpoint";
}

function encode(w: ByteWriter, p: CheckpointPayload): void {
  checkUint("checkpoint milestoneIndex", p.milestoneIndex, MAX_U32);
  w.u32le(p.milestoneIndex);
}

function decode(r: Reader, end: number): CheckpointPayload {
  r.need(4, "checkpoint");
  const milestoneIndex = r.u32();
  if (r.at !== end) bad(E.PAYLOAD_LENGTH, "payload length disagrees with the checkpoint's field");
  return { type: "checkpoint", milestoneIndex };
}

export const checkpoint: PayloadModule<CheckpointPayload> = { name: "checkpoint", code: 4, encode, decode };
