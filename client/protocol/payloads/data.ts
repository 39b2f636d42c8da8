/**
 * Payload 2, data: one record of a sensor stream (docs/protocol.md "Payload 2").
 *
 *   streamId 32 · sequence u64 · prevRecordId 32 · contentTypeLength u8 · contentType · dataLength u32 · data
 *
 * Rules on both sides: sequence ≤ 2^53 − 1; content type 1..64 printable ASCII characters; data at
 * most MAX_DATA_BYTES; sequence 0 has an all-zero prevRecordId and later sequences a non-zero one
 * (the hash chain itself, prevRecordId = the previous record's id, is checked by stream verifiers).
 */
import type { ByteWriter } from "../../util/byte-writer";
import * as L from "../limits";
import { ProtocolErrorCode as E } from "../errors";
import { bad, checkBytes, checkUint, fail, isZero, Reader } from "./_fields";
import type { PayloadModule } from "./_module";

export interface DataPayload {
  type: "data";
  streamId: Uint8Array;
  sequence: number;
  /** Id of the stream's previous record; all zero for sequence 0. */
  prevRecordId: Uint8Array;
  contentType: string;
  data: Uint8Array;
}

export function isData(p: { type: string }): p is DataPayload {
  return p.type === "data";
}

function validContentType(ct: Uint8Array): boolean {
  if (ct.length < 1 || ct.length > L.MAX_CONTENT_TYPE_BYTES) return false;
  for (let i = 0; i < ct.length; i++) if (ct[i] < 0x20 || ct[i] > 0x7e) return false;
  return true;
}

const LINK_RULE = "sequence 0 has a zero prevRecordId, later sequences a non-zero one";

function encode(w: ByteWriter, p: DataPayload): void {
  checkBytes("streamId", p.streamId, L.STREAM_ID_BYTES);
  checkUint("sequence", p.sequence, Number.MAX_SAFE_INTEGER);
  checkBytes("prevRecordId", p.prevRecordId, L.ID_BYTES);
  const ct = new TextEncoder().encode(p.contentType);
  if (!validContentType(ct)) fail(E.CONTENT_TYPE, "contentType must be 1..64 printable ASCII characters");
  if (!(p.data instanceof Uint8Array)) fail(E.BAD_FIELD, "data must be a Uint8Array");
  if (p.data.length > L.MAX_DATA_BYTES) fail(E.DATA_TOO_LARGE, `data must be at most ${L.MAX_DATA_BYTES} bytes`);
  if ((p.sequence === 0) !== isZero(p.prevRecordId)) fail(E.STREAM_LINK, LINK_RULE);
  w.bytes(p.streamId);
  w.u64le(BigInt(p.sequence));
  w.bytes(p.prevRecordId);
  w.u8(ct.length);
  w.bytes(ct);
  w.u32le(p.data.length);
  w.bytes(p.data);
}

function decode(r: Reader, end: number): DataPayload {
  r.need(L.STREAM_ID_BYTES + 8 + L.ID_BYTES + 1, "data header");
  const streamId = r.take(L.STREAM_ID_BYTES);
  const sequence = r.u64();
  if (sequence > BigInt(Number.MAX_SAFE_INTEGER)) bad(E.BAD_FIELD, "sequence above 2^53 - 1");
  const prevRecordId = r.take(L.ID_BYTES);
  const ctLen = r.u8();
  r.need(ctLen, "content type");
  const ct = r.take(ctLen);
  if (!validContentType(ct)) bad(E.CONTENT_TYPE, "content type must be 1..64 printable ASCII characters");
  r.need(4, "data length");
  const dataLen = r.u32();
  if (dataLen > L.MAX_DATA_BYTES) bad(E.DATA_TOO_LARGE, `data of ${dataLen} bytes, more than ${L.MAX_DATA_BYTES}`);
  r.need(dataLen, "data");
  const data = r.take(dataLen);
  if ((sequence === 0n) !== isZero(prevRecordId)) bad(E.STREAM_LINK, LINK_RULE);
  if (r.at !== end) bad(E.PAYLOAD_LENGTH, "payload length disagrees with the data record's fields");
  return { type: "data", streamId, sequence: Number(sequence), prevRecordId, contentType: new TextDecoder().decode(ct), data };
}

export const data: PayloadModule<DataPayload> = { name: "data", code: 2, encode, decode };
