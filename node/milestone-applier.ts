/**
 * The milestone applier: white flag for a stored, solid milestone, checked against what the
 * coordinator signed; on agreement the ledger changes, the confirmation marks and the milestone
 * record are written in one commit, then memory (ledger, pending, window index) follows. On
 * disagreement, or a milestone out of order, the node refuses it and stops confirming
 * (`diverged`). Milestones apply one at a time, in arrival order (`enqueue`).
 */
import type { MilestonePayload, Transaction } from "../client/protocol/codec";
import { toHex } from "../client/protocol/bytes";
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
  onMilestone(e: MilestoneEvent): void;
  onDiverged(d: Divergence): void;
}

export function milestoneInfo(m: { index: number; id: Uint8Array; timestamp: number; merkleRoot: Uint8Array; stateHash: Uint8Array; included: Uint8Array[] }): MilestoneInfo {
  return { index: m.index, id: toHex(m.id), timestamp: m.timestamp, merkleRoot: toHex(m.merkleRoot), stateHash: toHex(m.stateHash), included: m.included.length };
}

export class MilestoneApplier {
  private _latest?: MilestoneInfo;
  private _diverged?: Divergence;
  /** Serializes application. */
  private chain: Promise<unknown> = Promise.resolve();
  /** The last white flag the coordinator asked for, reused when that milestone arrives. */
  private lastWhiteFlag?: { key: string; result: WhiteFlagResult };

  constructor(private readonly o: MilestoneApplierOptions) {
    const last = o.ledger.ledgerIndex > 0 ? o.store.getMilestone(o.ledger.ledgerIndex) : undefined;
    if (last) this._latest = milestoneInfo(last);
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
  async check(m: StoredMilestone, payload: MilestonePayload): Promise<{ ok: true } | { ok: false; code: string; message: string }> {
    await this.chain;
    const { ledger } = this.o;
    if (this._diverged || payload.index <= ledger.ledgerIndex) return { ok: true };
    if (payload.index !== ledger.ledgerIndex + 1) return { ok: false, code: NodeErrorCode.MILESTONE_ORDER, message: `milestone ${payload.index} arrived while the ledger is at ${ledger.ledgerIndex}` };
    const key = this.whiteFlagKey(payload.index, m.tx.parents);
    const cached = this.lastWhiteFlag;
    const wf = cached && cached.key === key ? { ok: true as const, value: cached.result } : computeWhiteFlag(payload.index, m.tx.parents, this.o.cone, ledger);
    // Validly signed yet not what this node computes: it halts, loudly (the design, docs/ledger.md
    // 3.0), but the milestone is not stored, so it travels no further.
    if (!wf.ok) return this.refuseCheck(payload.index, wf.code, wf.message);
    const c = checkMilestone(wf.value, payload);
    if (!c.ok) return this.refuseCheck(payload.index, c.code, c.message);
    this.lastWhiteFlag = { key, result: wf.value };
    return { ok: true };
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
