/**
 * The msgpack framing of the API, with the server's options (node/api/server.ts): plain maps as
 * objects, no record extension, 64-bit integers as numbers. Binary values travel as msgpack `bin`.
 */
import { Packr } from "msgpackr";

export const apiPackr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: "number" } as ConstructorParameters<typeof Packr>[0]);

export function packFrame(value: unknown): Uint8Array {
  return apiPackr.pack(value);
}

export function unpackFrame(bytes: Uint8Array): unknown {
  return apiPackr.unpack(bytes);
}
