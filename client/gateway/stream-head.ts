/**
 * A stream's records on the node and in the outbox: where a stream stands on the node
 * (findStreamHead) and what a sealed record of the outbox says (sealedContent).
 */
import type { ApiClient } from "../api/client";
import { toHex } from "../protocol/bytes";
import { decodeTransaction, encodeAttached } from "../protocol/codec";
import type { SealedRecord, StreamHead } from "./outbox";
import { encodeReading, unpackReadings } from "./readings";
import { GatewayError, GatewayErrorCode } from "./types";

const PLACEHOLDER_PARENTS = [new Uint8Array(32), new Uint8Array(32).fill(1)];

/** What a sealed record says: its network, its link, and its readings as the outbox holds them. */
export function sealedContent(rec: SealedRecord): { networkId: number; prevId: string | null; readings: Uint8Array[] } {
  // The essence is decoded through the one codec, with a placeholder attachment.
  const d = decodeTransaction(encodeAttached(rec.essenceBytes, rec.signature, 0, PLACEHOLDER_PARENTS, 0n));
  if (!d.ok || d.value.tx.payload.type !== "data") throw new GatewayError(GatewayErrorCode.REJECTED, `the outbox's sealed record ${rec.sequence} is not a data record`);
  const p = d.value.tx.payload;
  return {
    networkId: d.value.tx.networkId,
    prevId: p.sequence === 0 ? null : toHex(p.prevRecordId),
    readings: unpackReadings(p.data).map((r) => encodeReading(r)),
  };
}

/**
 * The head after the last record of a stream on the node: sequence + 1 and its id. Finds the last
 * sequence with O(log n) `getStream` calls (doubling, then bisecting). Throws
 * ERR_GATEWAY_FOREIGN_STREAM when that record has another issuer than `issuer`.
 */
export async function findStreamHead(client: ApiClient, streamId: string, issuer?: Uint8Array): Promise<StreamHead> {
  const firstAtOrAfter = async (seq: number) => (await client.getStream(streamId, { fromSeq: seq, limit: 1 })).records[0];
  let last = await firstAtOrAfter(0);
  if (!last) return { nextSequence: 0, prevId: null };
  // Doubling: find a bound above which no record exists.
  let hi = last.sequence * 2 + 1;
  for (;;) {
    const r = await firstAtOrAfter(hi);
    if (!r) break;
    last = r;
    hi = r.sequence * 2 + 1;
  }
  // Bisect (last.sequence, hi): the largest sequence present.
  let lo = last.sequence;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const r = await firstAtOrAfter(mid);
    if (r) {
      last = r;
      lo = r.sequence;
    } else hi = mid;
  }
  if (issuer) {
    const d = decodeTransaction(last.bytes);
    if (d.ok && toHex(d.value.tx.issuer) !== toHex(issuer)) {
      throw new GatewayError(GatewayErrorCode.FOREIGN_STREAM, `stream ${streamId} is written by ${toHex(d.value.tx.issuer)}, not by this gateway`, streamId);
    }
  }
  return { nextSequence: last.sequence + 1, prevId: last.id };
}
