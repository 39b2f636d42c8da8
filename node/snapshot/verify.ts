/**
 * `verifySnapshot(file, genesis)`: what a node that trusts only its genesis checks before it uses a
 * snapshot (docs/storage.md, "Snapshot files", Verification), in this order, the first failure
 * deciding:
 *
 *   1. the header (format.ts) and the network: network id and genesis id are the genesis's;
 *   2. the chain of committees from the genesis: each committee-change milestone the file carries
 *      (ascending, below the snapshot's index) is signed by k members of the committee in force at
 *      its index and is a valid transaction of this network, and its change is applied to the chain;
 *   3. the snapshot milestone: of the index and ledger root the header names, signed by k members
 *      of the committee in force at its index, a valid transaction of this network;
 *   4. the entries, streamed into the ledger root's tree (node/ledger/ledger-tree.ts) — for a
 *      delta, on top of its verified base: deletions (each must exist), then entries;
 *   5. nothing after the last record, and the trailing checksum;
 *   6. the recomputed ledger root equals the one the signed milestone carries.
 *
 * Only step 6 with steps 2-3 is trust; the checksum only tells damage in transit from forgery.
 */
import { decodeTransaction, type Transaction } from "../../client/protocol/codec";
import type { MilestonePayload } from "../../client/protocol/payloads";
import { equalBytes, toHex } from "../../client/protocol/bytes";
import { milestoneSigningHash } from "../../client/protocol/build";
import { blake2b256 } from "../../core-wasm/src/blake2b";
import { Genesis, genesisTransactionId } from "../ledger/genesis";
import { LedgerTree } from "../ledger/ledger-tree";
import { verifyEd25519 } from "../crypto/ed25519";
import { CommitteeChain } from "../validation/committee";
import { validateTransaction } from "../validation/pipeline";
import { fail, SnapshotError, SnapshotErrorCode as E, SnapshotFailureCode } from "./errors";
import { OUTPUT_DELETED_RECORD_BYTES, OUTPUT_ENTRY_RECORD_BYTES, SnapshotHeader, SnapshotKind } from "./format";
import { SnapshotReader } from "./file";

/** A milestone transaction of the file, checked. */
export interface CheckedMilestone {
  id: Uint8Array;
  bytes: Uint8Array;
  tx: Transaction;
  payload: MilestonePayload;
}

export interface SnapshotSummary {
  kind: SnapshotKind;
  /** The snapshot milestone's index, id (hex), timestamp, state hash and ledger root (hex). */
  index: number;
  milestoneId: string;
  timestamp: number;
  stateHash: string;
  ledgerRoot: string;
  /** Entries of the ledger state at the milestone (for a delta: its base's, changed by it). */
  entries: number;
  /** Records the file holds: entries written, keys deleted (0 for a full snapshot). */
  entryRecords: number;
  deletedRecords: number;
  /** Committee-change milestones the file carries. */
  committeeChanges: number;
  /** Solid entry points the file names (not signed: see format.ts). */
  entryPoints: number;
  bytes: number;
  checksum: string;
  base?: { index: number; ledgerRoot: string };
}

export type SnapshotVerdict = ({ ok: true } & SnapshotSummary) | { ok: false; code: SnapshotFailureCode; message: string; index?: number };

/** What a verified file gives its importer: the summary, the committee chain at its index, its milestones. */
export interface VerifiedSnapshot {
  summary: SnapshotSummary;
  header: SnapshotHeader;
  committees: CommitteeChain;
  milestone: CheckedMilestone;
  changes: CheckedMilestone[];
  checksum: Uint8Array;
  /** A delta's base's checksum (an importer reads the base again). */
  baseChecksum?: Uint8Array;
  tree: LedgerTree;
}

/**
 * Verifies `file` against `genesis` (a delta against `opts.base`, the full snapshot it names).
 * Never throws for a bad file: the verdict names the failure by code. I/O errors (no such file)
 * throw.
 */
export async function verifySnapshot(file: string, genesis: Genesis, opts: { base?: string } = {}): Promise<SnapshotVerdict> {
  let index: number | undefined;
  try {
    const v = await verifySnapshotFile(file, genesis, opts, (i) => (index = i));
    return { ok: true, ...v.summary };
  } catch (err) {
    if (err instanceof SnapshotError) return { ok: false, code: err.code, message: err.message, ...(index !== undefined ? { index } : {}) };
    throw err;
  }
}

/** verifySnapshot's work, throwing SnapshotError; keeps the tree and the checked milestones. */
export async function verifySnapshotFile(file: string, genesis: Genesis, opts: { base?: string } = {}, onIndex?: (index: number) => void): Promise<VerifiedSnapshot> {
  const reader = SnapshotReader.open(file);
  try {
    const h = reader.header;
    onIndex?.(h.index);
    const genesisId = genesisTransactionId(genesis);
    if (h.networkId !== genesis.networkId || !equalBytes(h.genesisId, genesisId)) {
      fail(E.WRONG_NETWORK, `the snapshot is of network ${h.networkId} with genesis ${toHex(h.genesisId)}, this genesis is network ${genesis.networkId} with genesis ${toHex(genesisId)}`);
    }
    let tree: LedgerTree;
    let base: VerifiedSnapshot | undefined;
    if (h.kind === "delta") {
      if (!opts.base) fail(E.BASE, `a delta snapshot is checked on top of its base, the full snapshot at milestone ${h.base!.index}: give it`);
      base = await verifySnapshotFile(opts.base, genesis);
      if (base.header.kind !== "full" || base.header.index !== h.base!.index || !equalBytes(base.header.ledgerRoot, h.base!.ledgerRoot)) {
        fail(E.BASE, `the delta applies to the full snapshot at milestone ${h.base!.index} with ledger root ${toHex(h.base!.ledgerRoot)}; the base given is a ${base.header.kind} snapshot at ${base.header.index} with root ${toHex(base.header.ledgerRoot)}`);
      }
    } else if (opts.base) fail(E.BASE, "a full snapshot has no base");
    const { committees, milestone, changes } = await checkTrustChain(h, genesis);
    if (base) {
      tree = base.tree;
      for (const key of reader.deletedKeys()) {
        if (!tree.delete(blake2b256(key))) fail(E.DELTA, `the delta deletes entry ${toHex(key)}, which its base does not hold`);
      }
      for (const e of reader.entries()) tree.set(blake2b256(e.key), blake2b256(e.value));
    } else {
      // Every record of format 1 is an unspent output's: the counts cannot claim more than the file holds.
      if (reader.position + h.deletedCount * OUTPUT_DELETED_RECORD_BYTES + h.entryCount * OUTPUT_ENTRY_RECORD_BYTES > reader.contentBytes) {
        fail(E.TRUNCATED, `the header declares ${h.entryCount} entries, more than the file's ${reader.fileBytes} bytes can hold`);
      }
      const it = reader.entries();
      tree = LedgerTree.buildWith(h.entryCount, (_i, keys, values, at) => {
        const r = it.next();
        if (r.done) throw new Error("fewer entries than declared"); // the reader counts: unreachable
        keys.set(blake2b256(r.value.key), at);
        values.set(blake2b256(r.value.value), at);
      });
      it.next(); // ends the section
    }
    const checksum = reader.finish();
    const root = tree.root();
    if (!equalBytes(root, milestone.payload.ledgerRoot)) {
      fail(E.LEDGER_ROOT, `the entries give ledger root ${toHex(root)}; milestone ${h.index}, signed by its committee, carries ${toHex(milestone.payload.ledgerRoot)}`);
    }
    const p = milestone.payload;
    const summary: SnapshotSummary = {
      kind: h.kind,
      index: h.index,
      milestoneId: toHex(milestone.id),
      timestamp: p.timestamp,
      stateHash: toHex(p.ledgerStateHash),
      ledgerRoot: toHex(root),
      entries: tree.size,
      entryRecords: h.entryCount,
      deletedRecords: h.deletedCount,
      committeeChanges: changes.length,
      entryPoints: h.entryPoints.length,
      bytes: reader.fileBytes,
      checksum: toHex(checksum),
      ...(h.base ? { base: { index: h.base.index, ledgerRoot: toHex(h.base.ledgerRoot) } } : {}),
    };
    return { summary, header: h, committees, milestone, changes, checksum, ...(base ? { baseChecksum: base.checksum } : {}), tree };
  } finally {
    reader.close();
  }
}

/**
 * Steps 2 and 3: the committee chain from `genesis` through the file's change milestones, then the
 * snapshot milestone's k-of-n signatures. Returns the chain as it stands after the snapshot
 * milestone (its own change applied).
 */
export async function checkTrustChain(h: SnapshotHeader, genesis: Genesis): Promise<{ committees: CommitteeChain; milestone: CheckedMilestone; changes: CheckedMilestone[] }> {
  const committees = new CommitteeChain(genesis.committee);
  const changes: CheckedMilestone[] = [];
  let previous = 0;
  for (const [i, bytes] of h.changes.entries()) {
    const m = decodeMilestone(bytes, `committee change ${i}`);
    const p = m.payload;
    if (!p.committeeChange) fail(E.MILESTONE, `committee change ${i} (milestone ${p.index}) carries no committee change`);
    if (p.index <= previous || p.index >= h.index) fail(E.MILESTONE, `committee change ${i} is milestone ${p.index}: changes come in ascending index, below the snapshot's ${h.index}`);
    signedByCommittee(m, genesis, committees);
    await validTransaction(m, genesis, committees, `committee change ${i}`);
    committees.applyChange(p.index, p.committeeChange);
    previous = p.index;
    changes.push(m);
  }
  const milestone = decodeMilestone(h.milestone, "the snapshot milestone");
  const p = milestone.payload;
  if (p.index !== h.index) fail(E.MILESTONE, `the snapshot's milestone has index ${p.index}, the header names ${h.index}`);
  if (!equalBytes(p.ledgerRoot, h.ledgerRoot)) fail(E.MILESTONE, `milestone ${p.index} carries ledger root ${toHex(p.ledgerRoot)}, the header names ${toHex(h.ledgerRoot)}`);
  signedByCommittee(milestone, genesis, committees);
  await validTransaction(milestone, genesis, committees, "the snapshot milestone");
  committees.applyChange(p.index, p.committeeChange);
  return { committees, milestone, changes };
}

/** A transaction with a milestone payload (its id is BLAKE2b-256 of its bytes). */
function decodeMilestone(bytes: Uint8Array, what: string): CheckedMilestone {
  const d = decodeTransaction(bytes);
  if (!d.ok) fail(E.MILESTONE, `${what} does not decode: ${d.code} ${d.message}`);
  if (d.value.tx.payload.type !== "milestone") fail(E.MILESTONE, `${what} is not a milestone transaction`);
  return { id: blake2b256(bytes), bytes, tx: d.value.tx, payload: d.value.tx.payload };
}

/**
 * The transaction around the signed milestone, as the node's validation stages check it: this
 * network, its work, its issuer's signature, an issuer of the committee chain. Checked after the
 * committee's signatures, which decide whom to trust (a change left out is then reported as the
 * signer it leaves without a committee, not as an unknown issuer).
 */
async function validTransaction(m: CheckedMilestone, genesis: Genesis, committees: CommitteeChain, what: string): Promise<void> {
  const params = { networkId: genesis.networkId, baseDifficulty: genesis.baseDifficulty, maxPastMs: Number.POSITIVE_INFINITY, maxFutureMs: Number.POSITIVE_INFINITY, coordinatorKeys: committees.everMembers };
  const v = await validateTransaction(m.bytes, params, Date.now());
  if (!v.ok) fail(E.MILESTONE, `${what} (milestone ${m.payload.index}) is not a valid transaction of this network: ${v.code} ${v.message}`);
}

/** k of the committee in force at the milestone's index signed its essence, and its change may be carried. */
function signedByCommittee(m: CheckedMilestone, genesis: Genesis, committees: CommitteeChain): void {
  const { signatures: _, ...fields } = m.payload;
  const signed = committees.verify(m.payload, milestoneSigningHash(genesis.networkId, m.tx.parents, fields), verifyEd25519);
  if (!signed.ok) fail(signed.code, signed.message);
  const change = committees.checkChange(m.payload.index, m.payload.committeeChange);
  if (!change.ok) fail(change.code, change.message);
}
