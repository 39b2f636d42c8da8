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
import type { BoundedMap } from "./bounded";
import type { ConeEntry, ConeView } from "./ledger/whiteflag";
import type { RecentIndex } from "./recent";
import type { Store } from "./storage/store";

export type DecodedCache = BoundedMap<string, { id: Uint8Array; tx: Transaction }>;

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
