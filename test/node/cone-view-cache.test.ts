/**
 * node/cone-view.ts: the node's decoded-transaction cache is bounded by the heap its entries hold,
 * not by their count alone (8,192 decoded 128-input transfers took about 500 MB, past the node's
 * 256 MiB heap). Real transactions, signed and decoded by the client codec.
 */
import { attach, signTransaction } from "../../client/protocol/build";
import { decodeTransaction, Transaction } from "../../client/protocol/codec";
import { keyPairFromSeed, addressOf } from "../../client/protocol/keys";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";
import { DECODED_CACHE_BYTES, DECODED_CACHE_ENTRIES, decodedWeight, newDecodedCache } from "../../node/cone-view";

const key = keyPairFromSeed(new Uint8Array(32).fill(7));
const parents = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];

function decoded(payload: Parameters<typeof signTransaction>[0]["payload"]): Transaction {
  const bytes = attach(signTransaction({ version: PROTOCOL_VERSION, networkId: 1, issuer: key.publicKey, payload }, key.secretKey), parents, 1_700_000_000_000);
  const d = decodeTransaction(bytes);
  if (!d.ok) throw new Error(d.message);
  return d.value.tx;
}

test("a maximum-size transfer weighs far more than a small data record, and the cache holds no more of them than its byte bound", () => {
  const inputs = Array.from({ length: 128 }, (_, i) => ({ txId: new Uint8Array(32).fill(i + 1), index: 0 }));
  const outputs = Array.from({ length: 128 }, () => ({ address: addressOf(key.publicKey), amount: 1n }));
  const transfer = decoded({ type: "transfer", inputs, outputs });
  const record = decoded({ type: "data", streamId: new Uint8Array(32).fill(9), sequence: 0, prevRecordId: new Uint8Array(32), contentType: "text/plain", data: new Uint8Array(64) });
  const heavy = decodedWeight({ tx: transfer });
  const light = decodedWeight({ tx: record });
  expect(heavy).toBeGreaterThan(256 * 256);
  expect(heavy).toBeGreaterThan(20 * light);

  const cache = newDecodedCache();
  for (let i = 0; i < DECODED_CACHE_ENTRIES; i++) cache.set(`t${i}`, { id: new Uint8Array(32), tx: transfer });
  expect(cache.weight).toBeLessThanOrEqual(DECODED_CACHE_BYTES);
  expect(cache.size).toBe(Math.floor(DECODED_CACHE_BYTES / heavy));
  expect(cache.has(`t${DECODED_CACHE_ENTRIES - 1}`)).toBe(true); // the newest stay
  expect(cache.has("t0")).toBe(false);

  const small = newDecodedCache();
  for (let i = 0; i < DECODED_CACHE_ENTRIES + 10; i++) small.set(`r${i}`, { id: new Uint8Array(32), tx: record });
  expect(small.size).toBe(DECODED_CACHE_ENTRIES); // small records: the count is the bound
});
