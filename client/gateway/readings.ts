/**
 * What a data record carries: readings, msgpack-encoded one by one and packed as one msgpack
 * array, so a record's data is `[{t, v}, {t, v}, …]` with `t` the reading's time (ms since the
 * epoch) and `v` any msgpack value (a number, or a map such as `{pm25: 7.1, no2: 21}`). Readings are
 * encoded when published, so batching only concatenates bytes: the record size is known exactly.
 *
 * Readings are written and read by the one frame codec (client/protocol/frame.ts), so `t`, like every
 * integer, is a MessagePack integer (a time in ms is `uint 64`); records written before, with `t` as
 * float 64 (msgpackr's choice above 2^32), read the same.
 */
import { packFrame, unpackFrame } from "../protocol/frame";
import { blake2b256 } from "../../core-wasm/src/blake2b";
import { concatBytes, toHex } from "../protocol/bytes";

export const READINGS_CONTENT_TYPE = "application/msgpack";

export interface Reading {
  /** Time of the reading, ms since the Unix epoch. */
  t: number;
  /** The value. */
  v: unknown;
}

export function encodeReading(r: Reading): Uint8Array {
  return packFrame({ t: r.t, v: r.v });
}

/** Bytes of the msgpack array header for `n` items. */
export function arrayHeader(n: number): Uint8Array {
  if (n < 16) return Uint8Array.of(0x90 | n);
  if (n < 0x10000) return Uint8Array.of(0xdc, n >> 8, n & 0xff);
  return Uint8Array.of(0xdd, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

export function arrayHeaderBytes(n: number): number {
  return n < 16 ? 1 : n < 0x10000 ? 3 : 5;
}

/** Record data from encoded readings. */
export function packReadings(encoded: Uint8Array[]): Uint8Array {
  return concatBytes(arrayHeader(encoded.length), ...encoded);
}

/** Readings of a record's data; throws when the data is not such an array. */
export function unpackReadings(data: Uint8Array): Reading[] {
  const v = unpackFrame(data);
  if (!Array.isArray(v) || !v.every((r) => r && typeof r === "object" && typeof (r as Reading).t === "number" && "v" in (r as object))) {
    throw new Error("record data is not an array of {t, v} readings");
  }
  return v as Reading[];
}

const STREAM_DOMAIN = new TextEncoder().encode("tangle-stream:");

/**
 * The stream id of a named sensor behind a gateway: BLAKE2b-256("tangle-stream:" ‖ gateway public
 * key ‖ UTF-8 name). Distinct gateways never share a stream id by accident, and anyone who knows
 * the gateway key and the name finds the stream.
 */
export function streamIdFor(gatewayPublicKey: Uint8Array, name: string): string {
  return toHex(blake2b256(concatBytes(STREAM_DOMAIN, gatewayPublicKey, new TextEncoder().encode(name))));
}

/** A stream given as 64 hex characters is taken as is; anything else is a sensor name. */
export function resolveStreamId(gatewayPublicKey: Uint8Array, stream: string): string {
  return /^[0-9a-fA-F]{64}$/.test(stream) ? stream.toLowerCase() : streamIdFor(gatewayPublicKey, stream);
}
