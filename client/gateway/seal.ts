/**
 * Sealing: a stream's waiting readings become one signed data record, chained to the stream's
 * head (next sequence, previous record id), bound to a network; and the way back, a sealed record
 * chained to a head the node does not have returned to the waiting readings.
 */
import { fromHex } from "../protocol/bytes";
import { signTransaction } from "../protocol/build";
import type { Essence } from "../protocol/codec";
import type { KeyPair } from "../protocol/keys";
import { PROTOCOL_VERSION } from "../protocol/limits";
import type { Outbox, SealedRecord, StreamHead } from "./outbox";
import { arrayHeaderBytes, packReadings, READINGS_CONTENT_TYPE } from "./readings";
import { sealedContent } from "./stream-head";

export interface SealLimits {
  maxReadingsPerRecord: number;
  maxRecordBytes: number;
}

/**
 * Seals the oldest waiting readings of a stream that fit one record into a signed record after
 * `head`, stores it in the outbox (the readings leave it in the same write) and returns it;
 * undefined when nothing waits.
 */
export async function sealRecord(outbox: Outbox, keyPair: KeyPair, limits: SealLimits, streamId: string, network: number, head: StreamHead) {
  const taken: Uint8Array[] = [];
  let size = 0;
  let lastKey = -1;
  for (const r of outbox.readings(streamId, limits.maxReadingsPerRecord)) {
    if (taken.length > 0 && size + r.bytes.length + arrayHeaderBytes(taken.length + 1) > limits.maxRecordBytes) break;
    taken.push(r.bytes);
    size += r.bytes.length;
    lastKey = r.key;
  }
  if (taken.length === 0) return undefined;
  const essence: Essence = {
    version: PROTOCOL_VERSION,
    networkId: network,
    issuer: keyPair.publicKey,
    payload: {
      type: "data",
      streamId: fromHex(streamId, "streamId"),
      sequence: head.nextSequence,
      prevRecordId: head.prevId ? fromHex(head.prevId, "prevId") : new Uint8Array(32),
      contentType: READINGS_CONTENT_TYPE,
      data: packReadings(taken),
    },
  };
  const signed = signTransaction(essence, keyPair.secretKey);
  const rec = { sequence: head.nextSequence, essenceBytes: signed.essenceBytes, signature: signed.signature, readings: taken.length };
  await outbox.seal(streamId, rec, lastKey);
  return rec;
}

/** Puts a sealed record chained to a head the node does not have back among the waiting readings. */
export async function unsealStale(outbox: Outbox, streamId: string, rec: SealedRecord): Promise<void> {
  const at = Date.now();
  await outbox.unseal(streamId, sealedContent(rec).readings.map((bytes) => ({ at, bytes })));
}
