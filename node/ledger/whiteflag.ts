/**
 * White-flag confirmation (IOTA TIP-2): a milestone confirms the not-yet-confirmed past cone of
 * its parents (and, outside this file, the milestone transaction itself, by its own index). The cone is ordered by a depth-first post-order traversal (parents in their stored,
 * sorted order; each transaction once; confirmed transactions and solid entry points end a path),
 * and transfers are applied in that order against an overlay of the ledger: the first valid
 * spender of an output wins, every later one is marked conflicting and changes nothing.
 *
 * Pure: nothing here mutates the ledger or the cone. LedgerState.apply(result) commits a result;
 * checkMilestone(result, payload) compares it with what the coordinator signed.
 */
import type { MilestonePayload, Transaction, TransferPayload } from "../../client/protocol/codec";
import { equalBytes, toHex } from "../../client/protocol/bytes";
import { addressOf } from "../../client/protocol/keys";
import { blake2b256 } from "../../core-wasm/src/blake2b";
import { ConflictReason, LedgerErrorCode as E } from "./errors";
import { merkleRoot } from "./merkle";
import { ConsumedOutput, CreatedOutput, isOutputRef, outputKey, UnspentOutput } from "./utxo";
import { ByteWriter } from "../../client/util/byte-writer";

/**
 * What white flag reads from the ledger, declared here by its consumer (LedgerState implements
 * it), so the pure computation does not depend on the ledger's implementation.
 */
export interface LedgerView {
  readonly ledgerIndex: number;
  readonly stateHash: Uint8Array;
  getOutput(txId: Uint8Array, index: number): UnspentOutput | undefined;
  isSpent(txId: Uint8Array, index: number): boolean;
}

/** A transaction as the cone view holds it. */
export interface ConeEntry {
  id: Uint8Array;
  tx: Transaction;
  /**
   * Already confirmed by an earlier milestone: the traversal stops here. This includes every
   * applied milestone transaction, which is confirmed by its own index and so is in no merkle
   * root (docs/ledger.md §3.0); a milestone transaction that was not applied is ordinary.
   */
  confirmed: boolean;
}

/** Read access to the stored tangle; the node backs it with storage, tests with a Map. */
export interface ConeView {
  get(id: Uint8Array): ConeEntry | undefined;
  /**
   * Ids that count as confirmed without being stored (the roots the first transactions attach
   * to, history pruned behind a snapshot). Optional; absent means none.
   */
  isSolidEntryPoint?(id: Uint8Array): boolean;
}

export interface Conflict {
  id: Uint8Array;
  reason: ConflictReason;
}

export interface WhiteFlagResult {
  milestoneIndex: number;
  /** State hash of the ledger the result was computed against. */
  prevStateHash: Uint8Array;
  /** Every newly confirmed id, in white-flag order. */
  included: Uint8Array[];
  /** Transfers that changed the ledger, in order. */
  applied: Uint8Array[];
  /** Transfers marked conflicting, in order. */
  conflicts: Conflict[];
  /** Outputs spent by applied transfers, in application order (may include outputs created here). */
  consumed: ConsumedOutput[];
  /** Outputs created by applied transfers, in application order. */
  created: CreatedOutput[];
  /** BLAKE2b-256 of the mutation records (docs/ledger.md). */
  mutationsDigest: Uint8Array;
  /** RFC 6962 root of `included`. */
  merkleRoot: Uint8Array;
  /** BLAKE2b-256(prevStateHash || u32le milestoneIndex || merkleRoot || mutationsDigest). */
  stateHash: Uint8Array;
}

export type WhiteFlagOutcome =
  | { ok: true; value: WhiteFlagResult }
  | { ok: false; code: typeof E.WHITEFLAG_MISSING_PARENT; message: string; missingId: Uint8Array };

export type MilestoneCheck =
  | { ok: true }
  | {
      ok: false;
      code: typeof E.MILESTONE_INDEX_MISMATCH | typeof E.MILESTONE_MERKLE_MISMATCH | typeof E.MILESTONE_STATE_MISMATCH;
      message: string;
    };

interface Frame {
  entry: ConeEntry;
  next: number;
}

/**
 * The not-yet-confirmed past cone of `parents` in white-flag order, or the first id that the
 * view does not know. Iterative, so deep chains (a node catching up) cannot overflow the stack.
 */
export function orderCone(parents: readonly Uint8Array[], cone: ConeView): { ok: true; order: ConeEntry[] } | { ok: false; missingId: Uint8Array } {
  const order: ConeEntry[] = [];
  const seen = new Set<string>();
  const stack: Frame[] = [];
  // Returns the entry to descend into, null when the path ends here, undefined when unknown.
  const enter = (id: Uint8Array): ConeEntry | null | undefined => {
    const key = toHex(id);
    if (seen.has(key)) return null;
    seen.add(key);
    const entry = cone.get(id);
    if (entry === undefined) return cone.isSolidEntryPoint?.(id) ? null : undefined;
    return entry.confirmed ? null : entry;
  };
  for (const root of parents) {
    const first = enter(root);
    if (first === undefined) return { ok: false, missingId: root };
    if (first === null) continue;
    stack.push({ entry: first, next: 0 });
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const ps = top.entry.tx.parents;
      if (top.next < ps.length) {
        const p = ps[top.next++];
        const e = enter(p);
        if (e === undefined) return { ok: false, missingId: p };
        if (e !== null) stack.push({ entry: e, next: 0 });
      } else {
        stack.pop();
        order.push(top.entry);
      }
    }
  }
  return { ok: true, order };
}

/** The mutation records a milestone's state hash digests (docs/ledger.md), in one growing buffer. */
class Records {
  private readonly w = new ByteWriter(1024);
  consumed(txId: Uint8Array, index: number): void {
    this.w.u8(0x00);
    this.w.bytes(txId);
    this.w.u8(index);
  }
  created(o: UnspentOutput): void {
    this.w.u8(0x01);
    this.w.bytes(o.txId);
    this.w.u8(o.index);
    this.w.bytes(o.address);
    this.w.u64le(o.amount);
  }
  bytes(): Uint8Array {
    return this.w.written();
  }
}

/** stateHash after a milestone: BLAKE2b-256(prev || u32le index || merkleRoot || mutationsDigest). */
export function nextStateHash(prevStateHash: Uint8Array, milestoneIndex: number, root: Uint8Array, mutationsDigest: Uint8Array): Uint8Array {
  const buf = new Uint8Array(32 + 4 + 32 + 32);
  buf.set(prevStateHash, 0);
  new DataView(buf.buffer).setUint32(32, milestoneIndex, true);
  buf.set(root, 36);
  buf.set(mutationsDigest, 68);
  return blake2b256(buf);
}

/**
 * Computes what milestone `milestoneIndex` with parents `milestoneParents` (the milestone
 * transaction's parents, in stored order) does to `ledger`. Does not mutate anything. The only
 * failure is an id in the cone that the view does not know (the cone was not solid).
 */
export function computeWhiteFlag(milestoneIndex: number, milestoneParents: readonly Uint8Array[], cone: ConeView, ledger: LedgerView): WhiteFlagOutcome {
  if (!Number.isInteger(milestoneIndex) || milestoneIndex < 1 || milestoneIndex > 0xffffffff) {
    throw new RangeError(`milestoneIndex must be an integer in [1, 2^32 - 1], got ${milestoneIndex}`);
  }
  const ordered = orderCone(milestoneParents, cone);
  if (!ordered.ok) {
    return {
      ok: false,
      code: E.WHITEFLAG_MISSING_PARENT,
      message: `transaction ${toHex(ordered.missingId)} in the cone of milestone ${milestoneIndex} is unknown`,
      missingId: ordered.missingId,
    };
  }

  const included: Uint8Array[] = [];
  const applied: Uint8Array[] = [];
  const conflicts: Conflict[] = [];
  const consumed: ConsumedOutput[] = [];
  const created: CreatedOutput[] = [];
  const records = new Records();
  // The overlay: what this milestone has spent and created so far.
  const spentHere = new Set<string>();
  const createdHere = new Map<string, UnspentOutput>();
  const issuerAddresses = new Map<string, Uint8Array>();

  for (const { id, tx } of ordered.order) {
    included.push(id);
    if (tx.payload.type !== "transfer") continue;
    const payload: TransferPayload = tx.payload;

    const issuerKey = toHex(tx.issuer);
    let owner = issuerAddresses.get(issuerKey);
    if (!owner) issuerAddresses.set(issuerKey, (owner = addressOf(tx.issuer)));

    // Resolve every input; the first failing check, in input order, is the reason.
    let reason: ConflictReason | undefined;
    const inputs: { key: string; out: UnspentOutput }[] = [];
    const keysHere = new Set<string>();
    let sumIn = 0n;
    for (const input of payload.inputs) {
      if (!isOutputRef(input.txId, input.index)) {
        reason = ConflictReason.INPUT_UNKNOWN;
        break;
      }
      const key = outputKey(input.txId, input.index);
      if (spentHere.has(key) || keysHere.has(key) || ledger.isSpent(input.txId, input.index)) {
        reason = ConflictReason.INPUT_SPENT;
        break;
      }
      const out = createdHere.get(key) ?? ledger.getOutput(input.txId, input.index);
      if (!out) {
        reason = ConflictReason.INPUT_UNKNOWN;
        break;
      }
      if (!equalBytes(out.address, owner)) {
        reason = ConflictReason.INPUT_NOT_OWNED;
        break;
      }
      keysHere.add(key);
      inputs.push({ key, out });
      sumIn += out.amount;
    }
    if (reason === undefined) {
      let sumOut = 0n;
      for (const o of payload.outputs) sumOut += o.amount;
      if (sumIn !== sumOut) reason = ConflictReason.AMOUNT_MISMATCH;
    }
    if (reason !== undefined) {
      conflicts.push({ id, reason });
      continue;
    }

    applied.push(id);
    for (const { key, out } of inputs) {
      spentHere.add(key);
      consumed.push({ txId: out.txId, index: out.index, address: out.address, amount: out.amount, spentBy: id });
      records.consumed(out.txId, out.index);
    }
    payload.outputs.forEach((o, index) => {
      const c: CreatedOutput = { txId: id, index, address: o.address, amount: o.amount };
      createdHere.set(outputKey(id, index), c);
      created.push(c);
      records.created(c);
    });
  }

  const prevStateHash = ledger.stateHash.slice();
  const root = merkleRoot(included);
  const mutationsDigest = blake2b256(records.bytes());
  return {
    ok: true,
    value: {
      milestoneIndex,
      prevStateHash,
      included,
      applied,
      conflicts,
      consumed,
      created,
      mutationsDigest,
      merkleRoot: root,
      stateHash: nextStateHash(prevStateHash, milestoneIndex, root, mutationsDigest),
    },
  };
}

/**
 * Compares a locally computed result with the milestone the coordinator signed. A mismatch means
 * this node's ledger diverged (or the milestone is bad): the node refuses the milestone and says so.
 */
export function checkMilestone(result: WhiteFlagResult, payload: WhiteFlagFields): MilestoneCheck {
  if (payload.index !== result.milestoneIndex) {
    return { ok: false, code: E.MILESTONE_INDEX_MISMATCH, message: `milestone index ${payload.index}, result computed for ${result.milestoneIndex}` };
  }
  if (!equalBytes(payload.confirmedMerkleRoot, result.merkleRoot)) {
    return {
      ok: false,
      code: E.MILESTONE_MERKLE_MISMATCH,
      message: `milestone ${payload.index} confirms merkle root ${toHex(payload.confirmedMerkleRoot)}, this node computed ${toHex(result.merkleRoot)}`,
    };
  }
  if (!equalBytes(payload.ledgerStateHash, result.stateHash)) {
    return {
      ok: false,
      code: E.MILESTONE_STATE_MISMATCH,
      message: `milestone ${payload.index} has ledger state ${toHex(payload.ledgerStateHash)}, this node computed ${toHex(result.stateHash)}`,
    };
  }
  return { ok: true };
}

/** The milestone payload's fields that white flag decides (the rest: previous id, ledger root, committee change, signatures). */
export type WhiteFlagFields = Pick<MilestonePayload, "type" | "index" | "timestamp" | "confirmedMerkleRoot" | "ledgerStateHash">;

/** The white-flag fields of the milestone payload a coordinator issues for `result`. */
export function milestonePayloadFor(result: WhiteFlagResult, timestamp: number): WhiteFlagFields {
  return {
    type: "milestone",
    index: result.milestoneIndex,
    timestamp,
    confirmedMerkleRoot: result.merkleRoot.slice(),
    ledgerStateHash: result.stateHash.slice(),
  };
}
