/**
 * Pages in use in the LMDB file. LMDB never shrinks its file: pages freed by deletions go on a free
 * list and are reused by later writes, so the file size says how large the database once was, and
 * pruning by size (and getNodeInfo.database) counts pages that hold data instead: every sub-database's
 * branch, leaf and overflow pages, the main database's (which names the sub-databases), the free
 * list's own pages and the two meta pages. File pages beyond that are free for reuse (or compacted
 * away offline: `tangle node compact`).
 */
import type { Store } from "../storage/store";

export interface DatabasePages {
  pagesInUse: number;
  pageSize: number;
  /** The file's size on disk. */
  fileBytes: number;
  /** Pages the file has room for (its high-water mark). */
  filePages: number;
}

interface PageStat {
  pageSize?: number;
  treeBranchPageCount?: number;
  treeLeafPageCount?: number;
  overflowPages?: number;
}

const pagesOf = (s: PageStat | undefined): number => (s ? (s.treeBranchPageCount ?? 0) + (s.treeLeafPageCount ?? 0) + (s.overflowPages ?? 0) : 0);

export function databasePages(store: Store): DatabasePages {
  const root = store.root.getStats() as PageStat & { root?: PageStat; free?: PageStat; lastPageNumber?: number };
  const dbs = [store.tx, store.keptTx, store.ids, store.meta, store.approvers, store.utxo, store.spent, store.balances, store.received, store.milestones, store.streams, store.issuers, store.state];
  let pages = 2 + pagesOf(root.root) + pagesOf(root.free);
  for (const db of dbs) pages += pagesOf(db.getStats() as PageStat);
  const pageSize = root.root?.pageSize ?? root.pageSize ?? 4096;
  return { pagesInUse: pages, pageSize, fileBytes: store.sizeBytes(), filePages: (root.lastPageNumber ?? 0) + 1 };
}
