/**
 * The milestone applier: the committee's signatures (k of n members in force at the index,
 * validation/committee.ts), then white flag for a stored, solid milestone, checked against what the
 * committee signed (merkle root, state hash, ledger root, previous milestone id); on agreement the
 * ledger changes, the confirmation marks and the milestone record are written in one commit, then
 * memory (ledger, pending, window index, committee chain) follows. A milestone whose signatures do
 * not make a quorum is refused and changes nothing; one the committee signed that disagrees with
 * this node's ledger, or a milestone out of order, makes the node refuse it and stop confirming
 * (`diverged`). Milestones apply one at a time, in arrival order (`enqueue`).
 */
import { decodeTransaction, type MilestonePayload, type Transaction } from "../client/protocol/codec";
import { equalBytes, toHex } from "../client/protocol/bytes";
import { milestoneSigningHash } from "../client/protocol/build";
import { verifyEd25519 } from "./crypto/ed25519";
import { CommitteeChain } from "./validation/committee";
import { balanceChanges, newBalances } from "./ledger/balance-changes";
import type { LedgerState } from "./ledger/ledger";
import type { PendingIndex } from "./ledger/pending";
import { checkMilestone, computeWhiteFlag, ConeView, WhiteFlagResult } from "./ledger/whiteflag";
import type { RecentIndex } from "./recent";
import type { Store } from "./storage/store";
import { NodeError, NodeErrorCode } from "./errors";
import type { Divergence, MilestoneEvent, MilestoneInfo } from "./events";

/** A stored milestone transaction. */
export interface StoredMilestone {
  id: Uint8Array;
  idHex: string;
  tx: Transaction;
}

export interface MilestoneApplierOptions {
  store: Store;
  ledger: LedgerState;
  pending: PendingIndex;
  recent: RecentIndex;
  cone: ConeView;
  /** The committee chain (genesis committee, then the changes applied); the applier extends it. */
  committees: CommitteeChain;
  networkId: number;
  onMilestone(e: MilestoneEvent): void;
  onDiverged(d: Divergence): void;
}

type Check = { ok: true } | { ok: false; code: string; message: string };

export function milestoneInfo(m: { index: number; id: Uint8Array; timestamp: number; merkleRoot: Uint8Array; stateHash: Uint8Array; included: Uint8Array[]; includedCount?: number }): MilestoneInfo {
  return { index: m.index, id: toHex(m.id), timestamp: m.timestamp, merkleRoot: toHex(m.merkleRoot), stateHash: toHex(m.stateHash), included: m.includedCount ?? m.included.length };
}

export class MilestoneApplier {
  private _latest?: MilestoneInfo;
  private _diverged?: Divergence;
  /** Serializes application. */
  private chain: Promise<unknown> = Promise.resolve();
  /** The last white flag the coordinator asked for, reused when that milestone arrives. */
  private lastWhiteFlag?: { key: string; result: WhiteFlagResult };

  /** The milestone whose committee, previous id and ledger root check() passed last (apply skips them then). */
  private checkedId?: string;

  constructor(private readonly o: MilestoneApplierOptions) {
    const last = o.ledger.ledgerIndex > 0 ? o.store.getMilestone(o.ledger.ledgerIndex) : undefined;
    if (last) this._latest = milestoneInfo(last);
    // The committee chain from genesis: the changes of the applied milestones, oldest first. One
    // read and decode per applied milestone (milestone transactions are kept through pruning).
    for (let index = 1; index <= o.ledger.ledgerIndex; index++) {
      const record = o.store.getMilestone(index);
      const bytes = record && o.store.getTransactionBytes(record.id);
      const d = bytes ? decodeTransaction(bytes) : undefined;
      if (d?.ok && d.value.tx.payload.type === "milestone") o.committees.applyChange(index, d.value.tx.payload.committeeChange);
    }
  }

  /**
   * What white flag does not decide: the committee's k-of-n signatures over the milestone essence
   * and the change it carries (refused, no halt: a forgery), then the previous milestone id (a
   * validly signed milestone on another chain: halt).
   */
  private checkCommittee(m: StoredMilestone, payload: MilestonePayload): Check & { halt?: boolean } {
    const { committees, networkId } = this.o;
    const { signatures: _, ...fields } = payload;
    const signed = committees.verify(payload, milestoneSigningHash(networkId, m.tx.parents, fields), verifyEd25519);
    if (!signed.ok) return signed;
    const change = committees.checkChange(payload.index, payload.committeeChange);
    if (!change.ok) return change;
    const previous = payload.index === 1 ? undefined : this.o.store.getMilestone(payload.index - 1)?.id;
    if (payload.index > 1 && (!previous || !equalBytes(previous, payload.previousMilestoneId))) {
      return {
        ok: false,
        halt: true,
        code: NodeErrorCode.MILESTONE_PREVIOUS_MISMATCH,
        message: `milestone ${payload.index} follows milestone ${toHex(payload.previousMilestoneId)}, this node applied ${previous ? toHex(previous) : "none"} at ${payload.index - 1}`,
      };
    }
    return { ok: true };
  }

  /** The ledger root the milestone signs against the one `result` gives this node's ledger. */
  private checkLedgerRoot(result: WhiteFlagResult, payload: MilestonePayload): Check {
    const root = this.o.ledger.ledgerRootAfter(result);
    if (equalBytes(root, payload.ledgerRoot)) return { ok: true };
    return { ok: false, code: NodeErrorCode.MILESTONE_LEDGER_ROOT_MISMATCH, message: `milestone ${payload.index} has ledger root ${toHex(payload.ledgerRoot)}, this node computed ${toHex(root)}` };
  }

  get latest(): MilestoneInfo | undefined {
    return this._latest;
  }

  get diverged(): Divergence | undefined {
    return this._diverged;
  }

  private whiteFlagKey(index: number, parents: readonly Uint8Array[]): string {
    return `${index}:${toHex(this.o.ledger.stateHash)}:${parents.map(toHex).join("")}`;
  }

  /** White flag for a would-be milestone with these parents (the coordinator's question). */
  whiteFlag(index: number, parents: readonly Uint8Array[]): WhiteFlagResult {
    const r = computeWhiteFlag(index, parents, this.o.cone, this.o.ledger);
    if (!r.ok) throw new NodeError(NodeErrorCode.NOT_SOLID, r.message);
    this.lastWhiteFlag = { key: this.whiteFlagKey(index, parents), result: r.value };
    return r.value;
  }

  /**
   * Checks a milestone before anything stores, applies or gossips it (issue 15): after every
   * milestone enqueued before it, one for index ledgerIndex + 1 must have a white flag that matches
   * its payload (merkle root, state hash); one for a later index cannot be checked and is refused
   * (ERR_MILESTONE_ORDER: sync fetches milestones in order) without halting; one whose white flag
   * differs is refused and halts the node (diverged), as before, but is never stored. One at or below ledgerIndex is an
   * ordinary transaction (docs/ledger.md 3.0). The white flag computed is reused by apply.
   */
  async check(m: StoredMilestone, payload: MilestonePayload): Promise<Check> {
    await this.chain;
    const { ledger } = this.o;
    if (this._diverged) return { ok: true };
    if (payload.index <= ledger.ledgerIndex) return this.checkApplied(m, payload);
    if (payload.index !== ledger.ledgerIndex + 1) return { ok: false, code: NodeErrorCode.MILESTONE_ORDER, message: `milestone ${payload.index} arrived while the ledger is at ${ledger.ledgerIndex}` };
    // Not signed by a quorum of the committee in force: refused, stored nowhere, no halt.
    const committee = this.checkCommittee(m, payload);
    if (!committee.ok) return committee.halt ? this.refuseCheck(payload.index, committee.code, committee.message) : committee;
    const key = this.whiteFlagKey(payload.index, m.tx.parents);
    const cached = this.lastWhiteFlag;
    const wf = cached && cached.key === key ? { ok: true as const, value: cached.result } : computeWhiteFlag(payload.index, m.tx.parents, this.o.cone, ledger);
    // Validly signed yet not what this node computes: it halts, loudly (the design, docs/ledger.md
    // 3.0), but the milestone is not stored, so it travels no further.
    if (!wf.ok) return this.refuseCheck(payload.index, wf.code, wf.message);
    const c = checkMilestone(wf.value, payload);
    if (!c.ok) return this.refuseCheck(payload.index, c.code, c.message);
    const root = this.checkLedgerRoot(wf.value, payload);
    if (!root.ok) return this.refuseCheck(payload.index, root.code, root.message);
    this.lastWhiteFlag = { key, result: wf.value };
    this.checkedId = m.idHex;
    return { ok: true };
  }

  /**
   * A milestone for an index already applied: another attachment of the applied one's essence, or
   * one without a quorum's signatures, is an ordinary transaction (docs/ledger.md 3.0). One the
   * committee in force there validly signed over another essence is the committee signing twice:
   * the node halts and names both (docs/committee.md, "Two valid milestones at one index"); the
   * second is not stored.
   */
  private checkApplied(m: StoredMilestone, payload: MilestonePayload): Check {
    const { committees, networkId, store } = this.o;
    const applied = store.getMilestone(payload.index);
    if (!applied || equalBytes(applied.id, m.id)) return { ok: true };
    const { signatures: _, ...fields } = payload;
    const hash = milestoneSigningHash(networkId, m.tx.parents, fields);
    if (!committees.verify(payload, hash, verifyEd25519).ok) return { ok: true };
    let bytes: Uint8Array | undefined;
    try {
      bytes = store.getTransactionBytes(applied.id);
    } catch {
      bytes = undefined; // damaged: compared below as unknown
    }
    const d = bytes ? decodeTransaction(bytes) : undefined;
    if (d?.ok && d.value.tx.payload.type === "milestone") {
      const { signatures: __, ...appliedFields } = d.value.tx.payload;
      if (equalBytes(milestoneSigningHash(networkId, d.value.tx.parents, appliedFields), hash)) return { ok: true };
    }
    return this.refuseCheck(
      payload.index,
      NodeErrorCode.MILESTONE_EQUIVOCATION,
      `two valid milestones at index ${payload.index}: ${toHex(applied.id)} (applied here) and ${m.idHex}, signed by a quorum over different essences; confirmation stops until the operators decide which the network keeps`,
    );
  }

  private refuseCheck(index: number, code: string, message: string): { ok: false; code: string; message: string } {
    this.refuse(index, code, message);
    return { ok: false, code, message };
  }

  /** Applies after every milestone enqueued before it. Resolves with whether it was applied. */
  enqueue(m: StoredMilestone, payload: MilestonePayload): Promise<boolean> {
    const run = this.chain.then(() => this.apply(m, payload));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private refuse(index: number, code: string, message: string): false {
    this._diverged = { index, code, message };
    this.o.onDiverged(this._diverged);
    return false;
  }

  /** Applies a stored, solid milestone now (replay at open; otherwise use `enqueue`). */
  async apply(m: StoredMilestone, payload: MilestonePayload): Promise<boolean> {
    const { store, ledger, pending, recent } = this.o;
    if (this._diverged) return false;
    if (payload.index <= ledger.ledgerIndex) return false; // an old milestone: nothing to do
    if (payload.index !== ledger.ledgerIndex + 1) {
      return this.refuse(payload.index, NodeErrorCode.MILESTONE_ORDER, `milestone ${payload.index} arrived while the ledger is at ${ledger.ledgerIndex}`);
    }
    // check() passed it already, unless it is a stored milestone replayed at open.
    const checked = this.checkedId === m.idHex;
    this.checkedId = undefined;
    if (!checked) {
      const committee = this.checkCommittee(m, payload);
      if (!committee.ok) return this.refuse(payload.index, committee.code, committee.message);
    }
    // The coordinator computed exactly this result a moment ago (same index, parents and ledger):
    // reuse it instead of walking the cone twice. Confirmation marks cannot have changed in
    // between, since only milestone application changes them and it is serialized.
    const cached = this.lastWhiteFlag;
    this.lastWhiteFlag = undefined;
    const wf =
      cached && cached.key === this.whiteFlagKey(payload.index, m.tx.parents)
        ? { ok: true as const, value: cached.result }
        : computeWhiteFlag(payload.index, m.tx.parents, this.o.cone, ledger);
    if (!wf.ok) return this.refuse(payload.index, wf.code, wf.message);
    const check = checkMilestone(wf.value, payload);
    if (!check.ok) return this.refuse(payload.index, check.code, check.message);
    if (!checked) {
      const root = this.checkLedgerRoot(wf.value, payload);
      if (!root.ok) return this.refuse(payload.index, root.code, root.message);
    }
    const r = wf.value;
    const conflicts = new Map(r.conflicts.map((c) => [toHex(c.id), c.reason]));
    const record = { index: payload.index, id: m.id, timestamp: payload.timestamp, merkleRoot: r.merkleRoot, stateHash: r.stateHash, included: r.included };
    const includedIds = r.included.map(toHex);
    const stored = includedIds.map((h) => recent.get(h));
    await store.applyMilestone({
      record,
      metaUpdates: [
        ...r.included.map((id, i) => ({ id, confirmedBy: payload.index, conflict: conflicts.get(includedIds[i]), stored: stored[i] })),
        { id: m.id, confirmedBy: payload.index, stored: recent.get(m.idHex) },
      ],
      consumed: r.consumed.map((c) => ({ txId: c.txId, index: c.index, address: c.address, amount: c.amount, spentBy: c.spentBy })),
      created: r.created.map((c) => ({ ...c, milestone: payload.index })),
      balances: newBalances(balanceChanges(r), (a) => ledger.balanceOf(a)),
      ledgerIndex: payload.index,
      stateHash: r.stateHash,
    });
    ledger.apply(r);
    this.o.committees.applyChange(payload.index, payload.committeeChange);
    // With every other attachment of its essence, where the outcome decides the essence (pending.ts).
    r.included.forEach((id, i) => pending.settle(id, conflicts.get(includedIds[i])));
    for (const h of includedIds) recent.confirm(h, payload.index, conflicts.get(h));
    recent.confirm(m.idHex, payload.index);
    this._latest = milestoneInfo(record);
    const receivedMs = stored.map((s) => s?.receivedMs ?? NaN);
    this.o.onMilestone({ ...this._latest, conflicts: r.conflicts.map((c) => ({ id: toHex(c.id), reason: c.reason })), includedIds, receivedMs });
    return true;
  }
}
