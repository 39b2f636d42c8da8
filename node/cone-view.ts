/**
 * The stored tangle as white flag sees it (node/ledger/whiteflag.ts ConeView): decoded
 * transactions from a bounded cache, else from storage (by arrival seq when the window's index
 * knows it, by id otherwise); confirmation marks from the window's index, else from storage.
 * Storage checks what it reads against the id (storage/store.ts): a damaged transaction in the
 * cone throws ERR_STORAGE_CORRUPT out of white flag, which then computes nothing (the node asks
 * peers for a good copy; a milestone over that cone waits or is refused, never decided on bad bytes).
 */
import { decodeTransaction, Transaction } from "../client/protocol/codec";
import { toHex } from "../client/protocol/bytes";
import { BoundedMap } from "./bounded";
import type { ConeEntry, ConeView } from "./ledger/whiteflag";
import type { RecentIndex } from "./recent";
import type { Store } from "./storage/store";

export type DecodedCache = BoundedMap<string, { id: Uint8Array; tx: Transaction }>;

/** Entries the decoded cache holds at most, and the heap it may take by `decodedWeight`. */
export const DECODED_CACHE_ENTRIES = 8192;
export const DECODED_CACHE_BYTES = 32 * 2 ** 20;

/**
 * About the heap a decoded transaction holds: a fixed part, about 256 bytes for each parent, input,
 * output or other listed item (each a small object or a typed array of its own: a 128-input,
 * 128-output transfer measured about 61 KB), and its data bytes. Counting entries alone let 8,192
 * maximum-size transfers take 500 MB, past the node's heap.
 */
export function decodedWeight(e: { tx: Transaction }): number {
  let items = e.tx.parents.length;
  let bytes = 0;
  for (const v of Object.values(e.tx.payload as unknown as Record<string, unknown>)) {
    if (Array.isArray(v)) items += v.length;
    else if (v instanceof Uint8Array) bytes += v.length;
  }
  return 1024 + 256 * items + bytes;
}

export function newDecodedCache(): DecodedCache {
  return new BoundedMap<string, { id: Uint8Array; tx: Transaction }>(DECODED_CACHE_ENTRIES, { maxWeight: DECODED_CACHE_BYTES, weight: decodedWeight });
}

export function storedConeView(store: Store, recent: RecentIndex, decoded: DecodedCache, isEntryPoint: (idHex: string) => boolean): ConeView {
  return {
    get: (id: Uint8Array): ConeEntry | undefined => {
      const h = toHex(id);
      const u = recent.get(h);
      let e = decoded.get(h);
      if (!e) {
        const bytes = u ? store.getTransactionBytesBySeq(u.seq) : store.getTransactionBytes(id);
        if (!bytes) return undefined;
        const d = decodeTransaction(bytes);
        if (!d.ok) return undefined;
        e = { id, tx: d.value.tx };
        decoded.set(h, e);
      }
      return { id: e.id, tx: e.tx, confirmed: (u ?? store.getMeta(id))?.confirmedBy !== undefined };
    },
    isSolidEntryPoint: (id: Uint8Array) => isEntryPoint(toHex(id)),
  };
}
