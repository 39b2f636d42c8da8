/** Helpers shared by the gateway tests: a fresh gateway key, and a stream's readings as the node stores them. */
import { ApiClient, fetchStream, generateMnemonic, Reading, unpackReadings, Wallet } from "../../../client/node";
import { decodeTransaction } from "../../../client/protocol/codec";

export function gatewayKey(index = 0) {
  return Wallet.fromMnemonic(generateMnemonic()).key(index).keyPair;
}

/** All readings of a stream in order, as stored on the node. */
export async function storedReadings(client: ApiClient, streamId: string): Promise<Reading[]> {
  const records = await fetchStream(client, streamId);
  return records.flatMap((r) => {
    const d = decodeTransaction(r.bytes);
    if (!d.ok || d.value.tx.payload.type !== "data") throw new Error("not a data record");
    return unpackReadings(d.value.tx.payload.data);
  });
}
