/**
 * Payload 3, milestone: the coordinator's checkpoint of consensus (docs/protocol.md "Payload 3",
 * docs/ledger.md for what the root and the hash commit to).
 *
 *   index u32 (≥ 1) · timestamp u64 (ms, ≤ 2^53 − 1) · confirmedMerkleRoot 32 · ledgerStateHash 32
 *
 * Who may issue one is the node's rule (node/payloads.ts); whether root and hash are right is white
 * flag's (node/ledger/whiteflag.ts).
 */
import type { ByteWriter } from "../../util/byte-writer";
import * as L from "../limits";
import { ProtocolErrorCode as E } from "../errors";
import { bad, checkBytes, checkUint, MAX_U32, Reader } from "./_fields";
import type { PayloadModule } from "./_module";

export interface MilestonePayload {
  type: "milestone";
  index: number;
  timestamp: number;
  /** RFC 6962 merkle root of the ids this milestone confirms, in white-flag order. */
  confirmedMerkleRoot: Uint8Array;
  ledgerStateHash: Uint8Array;
}

export function isMilestone(p: { type: string }): p is MilestonePayload {
  return p.type === "milestone";
}

function encode(w: ByteWriter, p: MilestonePayload): void {
  checkUint("milestone index", p.index, MAX_U32, 1);
  checkUint("milestone timestamp", p.timestamp, Number.MAX_SAFE_INTEGER);
  checkBytes("confirmedMerkleRoot", p.confirmedMerkleRoot, L.ID_BYTES);
  checkBytes("ledgerStateHash", p.ledgerStateHash, L.ID_BYTES);
  w.u32le(p.index);
  w.u64le(BigInt(p.timestamp));
  w.bytes(p.confirmedMerkleRoot);
  w.bytes(p.ledgerStateHash);
}

function decode(r: Reader, end: number): MilestonePayload {
  r.need(4 + 8 + 2 * L.ID_BYTES, "milestone");
  const index = r.u32();
  if (index === 0) bad(E.MILESTONE_FIELD, "milestone index 0");
  const ts = r.u64();
  if (ts > BigInt(Number.MAX_SAFE_INTEGER)) bad(E.MILESTONE_FIELD, "milestone timestamp above 2^53 - 1");
  const confirmedMerkleRoot = r.take(L.ID_BYTES);
  const ledgerStateHash = r.take(L.ID_BYTES);
  if (r.at !== end) bad(E.PAYLOAD_LENGTH, "payload length disagrees with the milestone's fields");
  return { type: "milestone", index, timestamp: Number(ts), confirmedMerkleRoot, ledgerStateHash };
}

export const milestone: PayloadModule<MilestonePayload> = { name: "milestone", code: 3, encode, decode };
