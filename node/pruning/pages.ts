/**
 * Pages in use in the LMDB file. LMDB never shrinks its file: pages freed by deletions go on a free
 * list and are reused by later writes, so the file size says how large the database once was, and
 * pruning by size (and getNodeInfo.database) counts pages that hold data instead: every sub-database's
 * branch, leaf and overflow pages, the main database's (which names the sub-databases), the free
 * list's own pages and the two meta pages. File pages beyond that are free for reuse (or compacted
 * away offline: `tangle node compact`).
 *
 * `tables` splits the count by sub-database (storage/schema.ts), so an operator (and the storage
 * bench) can tell what grows: on a pruned node, only what pruning keeps forever should.
 */
import { DB } from "../storage/schema";
import type { Store } from "../storage/store";

export type TableName = keyof typeof DB;

export interface DatabasePages {
  pagesInUse: number;
  pageSize: number;
  /** The file's size on disk. */
  fileBytes: number;
  /** Pages the file has room for (its high-water mark). */
  filePages: number;
  /** Pages in use by each sub-database; the rest of `pagesInUse` is `overheadPages`. */
  tables: Record<TableName, number>;
  /** The two meta pages, the main database's pages and the free list's own pages. */
  overheadPages: number;
}

interface PageStat {
  pageSize?: number;
  treeBranchPageCount?: number;
  treeLeafPageCount?: number;
  overflowPages?: number;
}

const pagesOf = (s: PageStat | undefined): number => (s ? (s.treeBranchPageCount ?? 0) + (s.treeLeafPageCount ?? 0) + (s.overflowPages ?? 0) : 0);

/** Each schema table with the store's handle on it. */
function tablesOf(store: Store): Record<TableName, { getStats(): unknown }> {
  return {
    tx: store.tx,
    keptTx: store.keptTx,
    ids: store.ids,
    meta: store.meta,
    approvers: store.approvers,
    utxo: store.utxo,
    spent: store.spent,
    balances: store.balances,
    received: store.received,
    milestones: store.milestones,
    streams: store.streams,
    issuers: store.issuers,
    state: store.state,
  };
}

export function databasePages(store: Store): DatabasePages {
  const root = store.root.getStats() as PageStat & { root?: PageStat; free?: PageStat; lastPageNumber?: number };
  const overheadPages = 2 + pagesOf(root.root) + pagesOf(root.free);
  let pages = overheadPages;
  const tables = {} as Record<TableName, number>;
  for (const [name, db] of Object.entries(tablesOf(store)) as [TableName, { getStats(): unknown }][]) {
    tables[name] = pagesOf(db.getStats() as PageStat);
    pages += tables[name];
  }
  const pageSize = root.root?.pageSize ?? root.pageSize ?? 4096;
  return { pagesInUse: pages, pageSize, fileBytes: store.sizeBytes(), filePages: (root.lastPageNumber ?? 0) + 1, tables, overheadPages };
}
