/**
 * Offline check of a whole database (`tangle check --data DIR`): every stored transaction's bytes
 * against its id (both indexes: arrival → id ‖ bytes, and id → arrival), the milestone chain (each
 * applied index has its record and its milestone transaction, of that index, validly signed by a
 * coordinator of the genesis, timestamps not going back), and a from-scratch replay of the ledger
 * against the stored state hashes (./replay.ts). It reports what is damaged by id and index; it
 * changes nothing.
 *
 * A directory whose history does not reach back to the genesis is checked for what it holds: one
 * imported from a snapshot (its snapshot index I recorded by node/snapshot/import.ts) has, below I,
 * only the milestones that changed the committee, which are checked in order as a snapshot's
 * verifier checks them, and I and every milestone after it as usual; one imported or pruned has
 * no replay from the genesis, and its ledger is checked against the latest milestone's signed
 * roots instead (node/pruning/check.ts). The database must not be open in a running node (the directory lock says so).
 *
 * Before any of that, the file itself: the preflight and the page walk (storage/preflight.ts,
 * storage/page-walk.ts), the walk in a child process so that a page that would crash LMDB ends the
 * child, not this command. A file that fails them is reported as `fileDamage` and not opened.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { decodeTransaction } from "../../client/protocol/codec";
import { toHex } from "../../client/protocol/bytes";
import { blake2b256 } from "../../core-wasm/src/blake2b";
import type { Genesis } from "../ledger/genesis";
import { readSeq, STATE } from "../storage/schema";
import { Store } from "../storage/store";
import { damagedMessage, DatabaseDamagedError, openFailure } from "../storage/preflight";
import { checkDatabaseFile } from "../storage/page-walk";
import { validateTransaction } from "../validation/pipeline";
import { CommitteeChain } from "../validation/committee";
import { milestoneSigningHash } from "../../client/protocol/build";
import { verifyEd25519 } from "../crypto/ed25519";
import { replayLedger } from "./replay";
import { checkPrunedLedger } from "../pruning/check";
import { pruningIndexOf } from "../pruning/executor";

export interface DamagedEntry {
  /** The id the entry is stored under (hex). */
  id: string;
  seq: number;
  why: string;
}

export interface CheckReport {
  ok: boolean;
  transactions: number;
  damaged: DamagedEntry[];
  milestones: number;
  /** Milestone problems by index. */
  milestoneProblems: { index: number; problem: string }[];
  /** The ledger replay's problems (./replay.ts); empty when it agrees with what is stored. */
  replayProblems: string[];
  stateHash?: string;
  /** Set on a pruned directory: the ledger was checked against the latest milestone instead of replayed (node/pruning/check.ts). */
  pruningIndex?: number;
  /** Set on a directory imported from a snapshot at this milestone: no history below it but the committee changes; the ledger checked as on a pruned one. */
  snapshotIndex?: number;
  /**
   * "database damaged: …" when the file failed the checks made before opening it, or a record
   * could not be read back at all; the counts and lists above are then empty.
   */
  fileDamage?: string;
}

/** Checks the database in `dataDir` against `genesis`; throws when there is no database there. */
export async function checkDatabase(dataDir: string, genesis: Genesis): Promise<CheckReport> {
  if (!fs.existsSync(path.join(dataDir, "data.mdb"))) throw new Error(`no database in ${dataDir} (data.mdb missing)`);
  const fileDamage = (err: DatabaseDamagedError): CheckReport => ({
    ok: false,
    transactions: 0,
    damaged: [],
    milestones: 0,
    milestoneProblems: [],
    replayProblems: [],
    fileDamage: damagedMessage(err.dataDir, err.what, true),
  });
  try {
    await checkDatabaseFile(dataDir, "always");
  } catch (err) {
    if (err instanceof DatabaseDamagedError) return fileDamage(err);
    throw err;
  }
  let store: Store;
  try {
    store = await Store.open(dataDir);
  } catch (err) {
    const damage = openFailure(dataDir, err);
    if (damage instanceof DatabaseDamagedError) return fileDamage(damage);
    throw err;
  }
  try {
    return await checkRecords(store, genesis);
  } catch (err) {
    // A record that does not even decode (a milestone record, an index entry of the wrong size).
    const damage = openFailure(dataDir, err);
    if (damage instanceof DatabaseDamagedError) return fileDamage(damage);
    throw err;
  } finally {
    await store.close();
  }
}

async function checkRecords(store: Store, genesis: Genesis): Promise<CheckReport> {
  const damaged: DamagedEntry[] = [];
  let transactions = 0;
  // Arrival tables (`tx` and the pruned milestones' `keptTx`): the bytes hash to the id stored
  // with them, and the id index points back.
  for (const { seq, value } of store.storedValues()) {
    transactions++;
    const id = value.subarray(0, 32);
    const idHex = toHex(id);
    if (toHex(blake2b256(value.subarray(32))) !== idHex) damaged.push({ id: idHex, seq, why: "the stored bytes do not hash to the id" });
    else if (store.seqOf(id) !== seq) damaged.push({ id: idHex, seq, why: "the id index does not point at this arrival" });
  }
  // Id index: every entry names an arrival that holds that id.
  for (const { key, value } of store.ids.getRange({})) {
    const seq = readSeq(value);
    const stored = store.storedValueBySeq(seq);
    if (!stored || toHex(stored.subarray(0, 32)) !== toHex(key as Buffer)) {
      if (!damaged.some((d) => d.seq === seq)) damaged.push({ id: toHex(key as Buffer), seq, why: "the id index names an arrival that holds another transaction or none" });
    }
  }
  const snapshotIndex = store.state.get(STATE.snapshotIndex) as number | undefined;
  const chain = await checkMilestoneChain(store, genesis, new Set(damaged.map((d) => d.id)), snapshotIndex ?? 1);
  let replayProblems: string[];
  let stateHash: string | undefined;
  const pruningIndex = pruningIndexOf(store);
  try {
    if (pruningIndex > 0 || snapshotIndex !== undefined) {
      // Pruned or imported: no replay from the genesis; the ledger against the latest milestone's signed roots.
      replayProblems = checkPrunedLedger(store, genesis);
      stateHash = toHex(store.stateHash() ?? new Uint8Array(32));
      const ok = damaged.length === 0 && chain.length === 0 && replayProblems.length === 0;
      return { ok, transactions, damaged, milestones: store.ledgerIndex(), milestoneProblems: chain, replayProblems, stateHash, ...(pruningIndex > 0 ? { pruningIndex } : {}), ...(snapshotIndex !== undefined ? { snapshotIndex } : {}) };
    }
    const r = replayLedger(store, genesis);
    replayProblems = r.problems;
    stateHash = r.stateHash;
  } catch (err) {
    replayProblems = [`the replay stopped: ${(err as Error).message}`];
  }
  const ok = damaged.length === 0 && chain.length === 0 && replayProblems.length === 0;
  return { ok, transactions, damaged, milestones: store.ledgerIndex(), milestoneProblems: chain, replayProblems, stateHash };
}

/** `historyFrom`: the first index every milestone is stored from (an import's snapshot index; below it only committee changes are). */
async function checkMilestoneChain(store: Store, genesis: Genesis, damaged: Set<string>, historyFrom: number): Promise<{ index: number; problem: string }[]> {
  const problems: { index: number; problem: string }[] = [];
  // The committee chain from genesis, extended by each milestone's change as the check goes.
  const committees = new CommitteeChain(genesis.committee);
  const params = {
    networkId: genesis.networkId,
    baseDifficulty: genesis.baseDifficulty,
    maxPastMs: Number.POSITIVE_INFINITY,
    maxFutureMs: Number.POSITIVE_INFINITY,
    coordinatorKeys: committees.everMembers,
  };
  let lastTimestamp = 0;
  for (let index = 1; index <= store.ledgerIndex(); index++) {
    const record = store.getMilestone(index);
    if (!record) {
      if (index >= historyFrom) problems.push({ index, problem: "no milestone record" });
      continue;
    }
    if (record.index !== index) problems.push({ index, problem: `the record says index ${record.index}` });
    const idHex = toHex(record.id);
    if (damaged.has(idHex)) {
      problems.push({ index, problem: `its transaction ${idHex} is damaged` });
      continue;
    }
    let bytes: Uint8Array | undefined;
    try {
      bytes = store.getTransactionBytes(record.id);
    } catch (err) {
      problems.push({ index, problem: (err as Error).message });
      continue;
    }
    if (!bytes) {
      problems.push({ index, problem: `its transaction ${idHex} is not stored` });
      continue;
    }
    // Signature, issuer (a coordinator of the genesis), work and network: the node's own stages.
    const v = await validateTransaction(bytes, params, Date.now());
    if (!v.ok) {
      problems.push({ index, problem: `its transaction ${idHex} does not validate: ${v.code} ${v.message}` });
      continue;
    }
    const d = decodeTransaction(bytes);
    const p = d.ok ? d.value.tx.payload : undefined;
    if (!p || p.type !== "milestone") problems.push({ index, problem: `its transaction ${idHex} is not a milestone` });
    else {
      if (p.index !== index) problems.push({ index, problem: `its transaction carries index ${p.index}` });
      if (p.timestamp < lastTimestamp) problems.push({ index, problem: "its timestamp is before the previous milestone's" });
      if (toHex(p.ledgerStateHash) !== toHex(record.stateHash)) problems.push({ index, problem: "the stored state hash differs from the signed one" });
      if (toHex(p.confirmedMerkleRoot) !== toHex(record.merkleRoot)) problems.push({ index, problem: "the stored merkle root differs from the signed one" });
      const { signatures: _, ...fields } = p;
      const signed = committees.verify(p, milestoneSigningHash(genesis.networkId, d.ok ? d.value.tx.parents : [], fields), verifyEd25519);
      if (!signed.ok) problems.push({ index, problem: `the committee's signatures: ${signed.code} ${signed.message}` });
      committees.applyChange(index, p.committeeChange);
      lastTimestamp = p.timestamp;
    }
  }
  return problems;
}
