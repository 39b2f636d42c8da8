/**
 * Transactions built the way a client builds them over the API: parents from `selectParents`, the
 * issuer's difficulty from `getDifficulty`, asked of the node through whatever `call` the test uses.
 */
import { attach, signTransaction, stampSync } from "../../../client/protocol/build";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import type { Payload } from "../../../client/protocol/codec";
import type { KeyPair } from "../../../client/protocol/keys";
import { devGenesis } from "../../../node/networks/dev";
import { PROTOCOL_VERSION } from "../../../client/protocol/limits";

export type Call = (method: string, params?: unknown) => Promise<any>;

/** A dev-network transaction of `key`, attached now to two selected parents; stamped unless `stamp` is false. */
export async function buildVia(call: Call, key: KeyPair, payload: Payload, stamp = true): Promise<Uint8Array> {
  const { parents } = await call("selectParents", { count: 2 });
  const signed = signTransaction({ version: PROTOCOL_VERSION, networkId: devGenesis().networkId, issuer: key.publicKey, payload }, key.secretKey);
  const bytes = attach(signed, parents.map((p: string) => fromHex(p)), Date.now());
  if (!stamp) return bytes;
  const { difficulty } = await call("getDifficulty", { issuer: toHex(key.publicKey), size: bytes.length });
  return stampSync(bytes, difficulty);
}

/** A JSON sensor reading as record `sequence` of `stream`, linked to the record `prev` (hex). */
export const record = (stream: Uint8Array, sequence: number, prev?: string): Payload => ({
  type: "data",
  streamId: stream,
  sequence,
  prevRecordId: prev ? fromHex(prev) : new Uint8Array(32),
  contentType: "application/json",
  data: new TextEncoder().encode(`{"temp":${20 + sequence}}`),
});
