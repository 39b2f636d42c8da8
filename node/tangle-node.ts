/**
 * The tangle node's core, without sockets: it opens the database and replays the window, takes
 * submissions through validation (validation/pipeline.ts) → solidification (solidifier.ts) →
 * durable storage → the window (window.ts: WASM graph and tip pool) → the milestone applier
 * (milestone-applier.ts: white flag) when a milestone arrives, and answers queries. API servers
 * and peers call `submit` and the queries, and listen to the typed events (events.ts).
 * docs/architecture.md draws the components and a transaction's way through them.
 *
 * Ordering rules that keep it simple and safe:
 * - A transaction is acknowledged (submit resolves) only after its LMDB commit is on disk, and for a
 *   milestone after the ledger changes it makes are on disk too.
 * - A transaction is processed only after all its parents were (it waits for in-flight parents), so
 *   the WASM window always receives parents before children.
 * - Milestones apply strictly in index order; a milestone whose white-flag result differs from what
 *   it carries is refused and the node stops confirming (it reports the divergence).
 */
import { transactionId } from "../client/protocol/codec";
import { MAX_TRANSACTION_BYTES } from "../client/protocol/limits";
import { fromHex, toHex } from "../client/protocol/bytes";
import { Genesis, genesisTransactionId, validateGenesis } from "./ledger/genesis";
import { LedgerState } from "./ledger/ledger";
import type { UnspentOutput } from "./ledger/utxo";
import type { LedgerProof } from "../client/protocol/ledger-proof";
import { PendingIndex, ledgerAmountLookup } from "./ledger/pending";
import type { ConeView, WhiteFlagResult } from "./ledger/whiteflag";
import { Store } from "./storage/store";
import { STATE } from "./storage/schema";
import { SpaceWatcher } from "./storage/space";
import { Headroom, headroomBytes } from "./storage/headroom";
import { validateTransaction, SignatureVerifier, ValidationParams, ValidTransaction } from "./validation/pipeline";
import { verifyEd25519 } from "./crypto/ed25519";
import { VerifyPool } from "./crypto/verify-pool";
import { NodeError, NodeErrorCode } from "./errors";
import { Code } from "../client/protocol/codes";
import { DEFAULT_URTS } from "../core-wasm/src/graph-types";
import { DecodedCache, newDecodedCache, storedConeView } from "./cone-view";
import { milestoneOf } from "./payloads";
import { CommitteeChain } from "./validation/committee";
import { Divergence, MilestoneEvent, MilestoneInfo, NodeEvents, TypedEmitter } from "./events";
import { MilestoneApplier, milestoneInfo } from "./milestone-applier";
import { Solidifier } from "./solidifier";
import { AttachmentHints, TangleWindow } from "./window";
import { openLedger, replayWindow } from "./replay";
import type { SubmitOptions, SubmitResult, TangleNodeOptions, TransactionMetadata } from "./node-types";

export type { Divergence, MilestoneInfo } from "./events";
export type { TangleNodeOptions, SubmitOptions, SubmitResult, TransactionMetadata } from "./node-types";

export const VERSION = "0.1.0";

/** The id every first transaction may attach to besides the genesis transaction: 32 zero bytes. */
export const ZERO_ENTRY_POINT = new Uint8Array(32);

/** A failed write as the submitter sees it: ERR_STORAGE_FULL for a full disk or map, ERR_STORAGE otherwise. */
function storingFailed(what: string, err: unknown): NodeError {
  const full = (err as { code?: unknown }).code === Code.ERR_STORAGE_FULL;
  return new NodeError(full ? NodeErrorCode.STORAGE_FULL : NodeErrorCode.STORAGE, `${what}: ${(err as Error).message}`);
}

export class TangleNode extends TypedEmitter<NodeEvents> {
  readonly genesis: Genesis;
  readonly genesisId: Uint8Array;
  /** The committee in force at each milestone index (validation/committee.ts). */
  readonly committees: CommitteeChain;
  readonly params: ValidationParams;
  /** Milliseconds spent rebuilding the window and ledger at open. */
  readonly startupMs: number = 0;
  readonly now: () => number;
  /** Milestone interval in force (the genesis value; a coordinating node sets its own). */
  milestoneIntervalMs: number;
  /** The stored tangle as white flag sees it. */
  readonly coneView: ConeView;
  private ledger!: LedgerState;
  private pending!: PendingIndex;
  private milestones!: MilestoneApplier;
  /** The recent window (window.ts): the composition root hands it to the metrics, which read its figures. */
  readonly window: TangleWindow;
  private readonly solid: Solidifier;
  private nextSeq: number;
  private submissions = 0;
  private _closed = false;
  // Decoded transactions for white flag and gossip: the recent ones only (each costs a few KB).
  private readonly decoded: DecodedCache = newDecodedCache();
  private readonly entryPoints: Set<string>;
  private readonly solidifyTimeoutMs: number;
  private readonly verifier?: VerifyPool;
  private readonly verify: SignatureVerifier;
  /**
   * The free-space reserve of the data directory's filesystem (storage/space.ts): while it says
   * full, no write is taken (ERR_STORAGE_FULL), reads go on, and writes resume by themselves.
   */
  readonly space: SpaceWatcher;
  /** Disk blocks held for the database file past its end (storage/headroom.ts). */
  readonly headroom: Headroom;

  private constructor(
    readonly store: Store,
    opts: TangleNodeOptions,
  ) {
    super();
    this.genesis = validateGenesis(opts.genesis);
    this.genesisId = genesisTransactionId(this.genesis);
    this.committees = new CommitteeChain(this.genesis.committee);
    this.now = opts.now ?? Date.now;
    this.params = {
      networkId: this.genesis.networkId,
      baseDifficulty: this.genesis.baseDifficulty,
      maxPastMs: opts.maxPastMs ?? 600_000,
      maxFutureMs: opts.maxFutureMs ?? 30_000,
      // Every key of the committee chain, kept current by the milestone applier as changes apply.
      coordinatorKeys: this.committees.everMembers,
      committeeKnownTo: () => this.ledgerIndex + 1,
    };
    // Besides these two, on a node started from a snapshot, the snapshot's (node/snapshot/entry-points.ts).
    this.entryPoints = new Set([toHex(ZERO_ENTRY_POINT), toHex(this.genesisId), ...store.solidEntryPoints().map(toHex)]);
    this.milestoneIntervalMs = this.genesis.milestoneIntervalMs;
    this.solidifyTimeoutMs = opts.solidifyTimeoutMs ?? 5000;
    if (opts.verifyThreads) this.verifier = new VerifyPool(opts.verifyThreads);
    const pool = this.verifier;
    this.verify = pool ? (m, s, k) => pool.verify(m, s, k) : verifyEd25519;
    this.window = new TangleWindow(opts.window ?? 65536, BigInt(Math.floor(Math.random() * 2 ** 48)));
    const isEntryPoint = (h: string) => this.entryPoints.has(h);
    this.coneView = storedConeView(store, this.window.recent, this.decoded, isEntryPoint);
    // The window (in memory) holds the recent ones; older parents are looked up on disk.
    // A damaged one counts as missing: its children wait until a good copy replaced it.
    const isStored = (h: string, id: Uint8Array) => !store.isDamaged(h) && (this.window.has(h) || store.hasTransaction(id));
    this.solid = new Solidifier({ now: this.now, maxWaiting: opts.maxWaiting ?? 10_000, isEntryPoint, isStored, announce: (e) => this.emit("missing", e) });
    this.nextSeq = store.nextSeq();
    // A stored transaction that fails its id check is asked of peers like a missing one (storage/store.ts).
    store.onDamaged((d) => this.emit("missing", { ids: [d.id] }));
    // Disk blocks held for the database file past its end, so that LMDB never meets a full disk.
    this.headroom = new Headroom(`${store.path}/data.mdb`, () => headroomBytes(this.space?.reserveBytes ?? 0));
    this.space = new SpaceWatcher({ dir: store.path, reserveBytes: opts.storageReserveBytes, statfs: opts.statfs, now: this.now, beforeCheck: () => this.headroom.top() });
    // A commit that failed anyway (a full disk or map, an I/O error): no writes for a while, then retry.
    store.onWriteFailed((e) => this.space.writeFailed(e.message, e.code === Code.ERR_STORAGE_FULL));
  }

  /** Opens the database in `dataDir`, initializes or checks the genesis, and rebuilds the window. */
  static async open(opts: TangleNodeOptions): Promise<TangleNode> {
    const t0 = performance.now();
    const store = await Store.open(opts.dataDir);
    if (opts.mappedBudgetBytes) store.watchMappedPages(opts.mappedBudgetBytes); // also while opening
    let node: TangleNode | undefined;
    try {
      node = new TangleNode(store, opts);
      await node.init();
    } catch (err) {
      node?.space.stop();
      await node?.verifier?.close();
      await store.close();
      throw err;
    }
    (node as { startupMs: number }).startupMs = performance.now() - t0;
    return node;
  }

  private async init(): Promise<void> {
    this.ledger = await openLedger(this.store, this.genesis, this.genesisId);
    this.pending = new PendingIndex(ledgerAmountLookup(this.ledger));
    const { store, window, ledger, pending, decoded } = this;
    const emits = { onMilestone: (e: MilestoneEvent) => this.emit("milestone", e), onDiverged: (d: Divergence) => this.emit("diverged", d) };
    this.milestones = new MilestoneApplier({ store, ledger, pending, recent: window.recent, cone: this.coneView, committees: this.committees, networkId: this.genesis.networkId, ...emits });
    await replayWindow({ store, window, ledger, pending, milestones: this.milestones, decoded }, this.nextSeq);
  }

  get closed(): boolean {
    return this._closed;
  }

  /**
   * Set by a coordinator running on this node (coordinator.ts): whether a milestone (by id) is its
   * own; any other milestone for an index not yet applied is refused (ERR_MILESTONE_OWN_INDEX).
   */
  ownMilestones?: (idHex: string) => boolean;

  get diverged(): Divergence | undefined {
    return this.milestones.diverged;
  }

  get ledgerIndex(): number {
    return this.ledger.ledgerIndex;
  }

  get stateHash(): Uint8Array {
    return this.ledger.stateHash;
  }

  get latestMilestone(): MilestoneInfo | undefined {
    return this.milestones.latest;
  }

  get storedTransactions(): number {
    return this.nextSeq;
  }

  isEntryPoint(idHex: string): boolean {
    return this.entryPoints.has(idHex);
  }

  /** Transactions confirmed at or below this milestone may have been pruned here (0: none were). */
  get pruningIndex(): number {
    return (this.store.state.get(STATE.pruningIndex) as number | undefined) ?? 0;
  }

  /** The milestone of the snapshot this node's directory was imported from (0: it started from the genesis). */
  get snapshotIndex(): number {
    return (this.store.state.get(STATE.snapshotIndex) as number | undefined) ?? 0;
  }

  /**
   * The highest milestone whose cone this node does not hold: its pruning index, or the snapshot it
   * was started from (0: it holds the whole history).
   */
  get historyFloor(): number {
    return Math.max(this.pruningIndex, this.snapshotIndex);
  }

  /** The timestamp of the history floor's milestone, for the floor it was read at. */
  private floorTime = { index: 0, timestamp: 0 };

  /**
   * Whether a transaction attached at `timestamp` is older than this node's history: attached before
   * the history floor's milestone by more than a client may backdate one (maxPastMs) plus the
   * milestones after which TIP-3 makes it lazy (below max depth), so no milestone above the floor
   * can confirm it any more. Such a transaction from a peer (an archive node, one syncing from the
   * genesis, a replay) was confirmed below the floor and pruned here, or never will be: stored
   * again, it would be taken for unconfirmed, its parents asked for, down to the floor.
   */
  private predatesHistory(timestamp: number): boolean {
    const floor = this.historyFloor;
    if (floor === 0) return false;
    if (this.floorTime.index !== floor) this.floorTime = { index: floor, timestamp: this.store.getMilestone(floor)?.timestamp ?? 0 };
    if (this.floorTime.timestamp === 0) return false;
    return timestamp < this.floorTime.timestamp - this.params.maxPastMs - DEFAULT_URTS.belowMaxDepth * this.milestoneIntervalMs;
  }

  /** Pruning on this node (node/pruning/pruner.ts), set by the composition root; absent: an archive node. */
  pruner?: { readonly index: number; readonly depth: number };

  /** Counts these as solid entry points from now on (written by pruning first: node/pruning/). */
  addEntryPoints(ids: readonly Uint8Array[]): void {
    for (const id of ids) this.entryPoints.add(toHex(id));
  }

  /** No longer counts these as solid entry points (pruning deletes them: no kept transaction approves them). */
  dropEntryPoints(ids: readonly Uint8Array[]): void {
    for (const id of ids) this.entryPoints.delete(toHex(id));
  }

  /** Forgets cached decodings of pruned transactions, so white flag never finds them unconfirmed. */
  forgetPruned(idsHex: readonly string[]): void {
    for (const h of idsHex) this.decoded.delete(h);
  }

  /**
   * The lowest arrival seq the recent window (WASM graph and its index) may still hold: pruning
   * deletes nothing that arrived at or after it.
   */
  get windowFloorSeq(): number {
    return Math.max(0, this.nextSeq - Math.max(this.window.size, this.window.recent.capacity));
  }

  // ---- submission ---------------------------------------------------------------------------

  /**
   * Validates, solidifies and stores a transaction. Resolves once it is durable (a milestone: once
   * its ledger changes are durable too); rejects with a NodeError carrying a stable code.
   */
  async submit(bytes: unknown, opts: SubmitOptions = {}): Promise<SubmitResult> {
    this.emit("received");
    try {
      return await this.accept(bytes, opts);
    } catch (err) {
      // Every refusal, whatever the stage (validation, solidity, storage, closing), by its code.
      const code = (err as { code?: unknown }).code;
      this.emit("rejected", { code: typeof code === "string" ? code : Code.ERR_INTERNAL });
      throw err;
    }
  }

  private async accept(bytes: unknown, opts: SubmitOptions): Promise<SubmitResult> {
    if (this._closed) throw new NodeError(NodeErrorCode.CLOSED, "the node is shutting down");
    // Submissions read the database (duplicates, parents, streams) on this thread; checking the
    // mapped-page budget here keeps it when the watcher thread waits for a core.
    if ((++this.submissions & 15) === 0) this.store.checkMappedPages();
    // A transaction the node already has is acknowledged as a duplicate before anything else is
    // checked (its timestamp may have aged out of the window since, and gossip repeats are cheap).
    let id: Uint8Array | undefined;
    const arrivalsAtCheck = this.nextSeq;
    if (bytes instanceof Uint8Array && bytes.length <= MAX_TRANSACTION_BYTES) {
      id = opts.id ?? transactionId(bytes);
      const idHex = toHex(id);
      // A good copy of a transaction stored damaged replaces the damaged bytes (same id, so same bytes).
      if (this.store.isDamaged(idHex) && (await this.store.repairTransaction(id, bytes))) {
        this.solid.wake(idHex);
        return { id: idHex, duplicate: true };
      }
      if (await this.known(idHex, id)) return { id: idHex, duplicate: true };
    }
    // Below the free-space reserve nothing new is taken (duplicates above are stored already).
    if (this.space.full) throw this.storageFull();
    const params = opts.maxPastMs === undefined ? this.params : { ...this.params, maxPastMs: opts.maxPastMs };
    // The id was just computed for the duplicate check: validation need not hash the bytes again.
    const v = await validateTransaction(bytes, params, this.now(), { extraDifficulty: opts.extraDifficulty, id, verify: opts.verifyHere ? verifyEd25519 : this.verify });
    if (!v.ok) throw new NodeError(v.code, v.message);
    const { idHex, tx } = v.value;
    opts.onValid?.(tx);
    if (opts.source !== undefined && this.predatesHistory(tx.timestamp)) {
      throw new NodeError(Code.ERR_PRUNED as NodeErrorCode, `a transaction of ${new Date(tx.timestamp).toISOString()} is older than this node's history (milestone ${this.historyFloor}): not stored again`);
    }
    // Checked above already when the id was computed there (validation itself does not wait).
    if (!id && (await this.known(idHex, v.value.id))) return { id: idHex, duplicate: true };
    // From here until its write is under way, others waiting for this transaction need not ask peers.
    this.solid.arrive(idHex);
    let write: Promise<void>;
    try {
      await this.solid.awaitParents(tx.parents, opts.solidifyTimeoutMs ?? this.solidifyTimeoutMs, opts.source);
      const ms = milestoneOf(tx);
      // A coordinating node takes no milestone for the indexes it issues but its own.
      if (ms && this.ownMilestones && ms.index > this.ledgerIndex && !this.ownMilestones(idHex)) {
        throw new NodeError(Code.ERR_MILESTONE_OWN_INDEX as NodeErrorCode, `milestone ${ms.index}: this node issues the milestones of this network itself`);
      }
      if (ms) {
        // Fully checked before it is stored, applied or gossiped: after its parents' writes (a
        // parent milestone applied first), white flag against its payload (milestone-applier.ts).
        await Promise.all(tx.parents.map((p) => this.solid.writes.get(toHex(p))));
        // An issuer validation could not judge (a member named by a change not applied then).
        if (ms.index <= this.ledgerIndex + 1 && !this.committees.everMembers.has(toHex(tx.issuer))) {
          throw new NodeError(Code.ERR_TX_NOT_COORDINATOR as NodeErrorCode, `milestone ${ms.index} issued by a key that is not a committee member of this network`);
        }
        const c = await this.milestones.check(v.value, ms);
        if (!c.ok) throw new NodeError(c.code as NodeErrorCode, `milestone ${ms.index} refused: ${c.message}`);
      }
      // Stored meanwhile? Only through process(), which remembers it first: while fewer arrivals
      // than the window's index holds came since the database said no, memory answers without a lookup.
      const sinceCheck = this.nextSeq - arrivalsAtCheck;
      if (sinceCheck < this.window.size / 2 ? this.solid.writes.has(idHex) || this.window.recent.has(idHex) : await this.known(idHex, v.value.id)) {
        await this.solid.writes.get(idHex);
        return { id: idHex, duplicate: true };
      }
      if (this._closed) throw new NodeError(NodeErrorCode.CLOSED, "the node is shutting down");
      // Counted before the write; a large write may read free space again (storage/space.ts).
      if (this.space.wrote(v.value.bytes.length)) throw this.storageFull();
      write = this.process(v.value, this.nextSeq++, opts.source);
      this.solid.writes.set(idHex, write);
    } finally {
      this.solid.depart(idHex);
    }
    try {
      await write;
    } finally {
      this.solid.writes.delete(idHex);
    }
    this.emit("accepted", { id: idHex, tx, source: opts.source });
    return { id: idHex, duplicate: false };
  }

  /** Whether the node takes writes now (free space above the reserve, no recent failed commit). */
  get writable(): boolean {
    return !this.space.full;
  }

  /** The refusal while writes are stopped: ERR_STORAGE_FULL for want of space, ERR_STORAGE after another failed write. */
  private storageFull(): NodeError {
    this.space.refused++;
    const s = this.space.state;
    return new NodeError(s.noSpace ? NodeErrorCode.STORAGE_FULL : NodeErrorCode.STORAGE, `${s.reason ?? "storage full"}; nothing was stored, reads still work, writes resume by themselves`);
  }

  /**
   * Whether the transaction is stored (waiting for an in-flight write of it first), or is a solid
   * entry point: confirmed below this node's snapshot, so a copy arriving again (gossip from a peer
   * syncing from the genesis) is not stored as new and unconfirmed, where white flag would take it
   * into the next milestone's cone.
   */
  private async known(idHex: string, id: Uint8Array): Promise<boolean> {
    const w = this.solid.writes.get(idHex);
    if (w) {
      await w;
      return true;
    }
    return this.window.recent.has(idHex) || this.entryPoints.has(idHex) || this.store.hasTransaction(id); // recent, not in flight: stored
  }

  /** Whether a transaction is wanted as a parent by something waiting here. */
  isAwaited(idHex: string): boolean {
    return this.solid.isAwaited(idHex) || this.store.isDamaged(idHex);
  }

  /** Whether a transaction is on its way through `submit` here (validated, not yet written). */
  isArriving(idHex: string): boolean {
    return this.solid.isArriving(idHex);
  }

  private async process(v: ValidTransaction, seq: number, source?: string): Promise<void> {
    const recent = this.window.recent;
    const receivedMs = this.now();
    const parents = v.tx.parents.map(toHex);
    const ms = milestoneOf(v.tx);
    recent.add(v.idHex, { seq, receivedMs, ...(ms ? { milestoneIndex: ms.index } : {}) });
    try {
      await this.store.addTransaction(v.id, v.bytes, v.tx, seq, receivedMs, parents.map((p) => recent.seqOf(p)));
    } catch (err) {
      recent.delete(v.idHex);
      throw storingFailed("storing failed", err);
    }
    this.decoded.set(v.idHex, { id: v.id, tx: v.tx });
    const ts = Math.floor(v.tx.timestamp / 1000);
    if (ms) {
      let applied: boolean;
      try {
        applied = await this.milestones.enqueue(v, ms);
      } catch (err) {
        // Stored, but its ledger changes were not (the commit failed): it stays in the window as
        // an ordinary transaction, and the coordinator issues this index again (replay, after a
        // restart, would apply this one: it is the stored milestone for the next index).
        this.window.append(v.idHex, parents, ts);
        this.solid.wake(v.idHex);
        throw storingFailed(`milestone ${ms.index} stored but not applied`, err);
      }
      this.window.append(v.idHex, parents, ts, applied ? ms.index : undefined);
    } else {
      this.window.append(v.idHex, parents, ts);
      if (v.tx.payload.type === "transfer") this.pending.add(v.id, v.tx, v.essenceHash);
    }
    this.pending.evict((h) => this.window.has(h)); // attachments that left the window
    this.solid.wake(v.idHex);
    this.emit("transaction", { id: v.idHex, tx: v.tx, bytes: v.bytes, source });
  }

  /** The member key this node runs (hex), set by its coordinator (coordinator.ts). */
  committeeMember?: string;

  /** The committee in force for the next milestone, and how many of its members this node knows to be up. */
  committeeInfo(): { members: string[]; threshold: number; reachable: number } {
    const c = this.committees.at(this.ledgerIndex + 1);
    return { members: [...c.members], threshold: c.threshold, reachable: this.committeeMember && c.members.includes(this.committeeMember) ? 1 : 0 };
  }

  /** The ledger root after applying `result` to the confirmed ledger (a milestone's `ledgerRoot`). */
  ledgerRootAfter(result: WhiteFlagResult): Uint8Array {
    return this.ledger.ledgerRootAfter(result);
  }

  /** White flag for a would-be milestone with these parents (the coordinator's question). */
  whiteFlag(index: number, parents: readonly Uint8Array[]): WhiteFlagResult {
    return this.milestones.whiteFlag(index, parents);
  }

  // ---- queries ------------------------------------------------------------------------------

  /** Up to `count` parents for a new transaction: URTS tips, topped up with the latest milestone
   * and the entry points so there are always at least two. */
  selectParents(count = 4): string[] {
    const latest = this.milestones.latest;
    return this.window.selectParents(count, this.now(), [...(latest ? [latest.id] : []), ...this.entryPoints]);
  }

  /** Asks peers (the `missing` event) for these transactions (hex ids), e.g. a committee proposal's parents. */
  requestTransactions(ids: string[]): void {
    if (ids.length) this.emit("missing", { ids });
  }

  /** Asks peers (the `missing` event) for a good copy of every transaction found damaged so far. */
  requestDamaged(): void {
    const ids = this.store.damagedTransactions().map((d) => d.id);
    if (ids.length) this.emit("missing", { ids });
  }

  /** Stored and intact (a damaged one is wanted from peers again). */
  hasTransaction(idHex: string): boolean {
    return this.store.hasTransaction(fromHex(idHex, "id")) && !this.store.isDamaged(idHex);
  }

  /** The stored bytes, checked against the id: a damaged copy throws ERR_STORAGE_CORRUPT. */
  getTransactionBytes(idHex: string): Uint8Array | undefined {
    return this.store.getTransactionBytes(fromHex(idHex, "id"));
  }

  /** The stored bytes, or undefined when not stored or damaged here (what peers are sent). */
  intactTransactionBytes(idHex: string): Uint8Array | undefined {
    try {
      return this.getTransactionBytes(idHex);
    } catch (err) {
      if ((err as { code?: unknown }).code === Code.ERR_STORAGE_CORRUPT) return undefined;
      throw err;
    }
  }

  getMetadata(idHex: string): TransactionMetadata | undefined {
    const meta = this.window.recent.get(idHex) ?? this.store.getMeta(fromHex(idHex, "id"));
    if (!meta) return undefined;
    const { confirmedBy, conflict, milestoneIndex, receivedMs } = meta;
    return { id: idHex, solid: true, confirmedBy: confirmedBy ?? null, conflict: conflict ?? null, milestoneIndex: milestoneIndex ?? null, receivedMs };
  }

  /** Confirmation confidence of an unconfirmed transaction in the window (share of MCMC walks). */
  confidence(idHex: string, walks = 100): number | undefined {
    return this.window.confidence(idHex, walks);
  }

  /** For an unconfirmed transaction: its confidence and whether to promote or reattach it (window.ts). */
  attachmentHints(idHex: string): AttachmentHints {
    const meta = this.store.getMeta(fromHex(idHex, "id"));
    if (!meta || meta.confirmedBy !== undefined) return { confidence: meta ? 1 : null, shouldReattach: false, shouldPromote: false };
    return this.window.hints(idHex);
  }

  /** `used`: the address ever received, confirmed (the `received` table) or pending. */
  balance(address: Uint8Array): { confirmed: bigint; pendingIncoming: bigint; pendingOutgoing: bigint; used: boolean } {
    const p = this.pending.pendingOf(address);
    return { confirmed: this.ledger.balanceOf(address), pendingIncoming: p.incoming, pendingOutgoing: p.outgoing, used: p.incoming > 0n || this.store.hasReceived(address) };
  }

  outputs(address: Uint8Array) {
    return this.ledger.outputsOf(address);
  }

  /**
   * Proof that the output (txId, index) is unspent, or that it is not, against the ledger root of
   * the latest applied milestone (docs/ledger.md, Ledger root): with that milestone's index, its
   * root and the output when it is unspent.
   */
  proveOutput(txId: Uint8Array, index: number): { ledgerIndex: number; ledgerRoot: Uint8Array; output: UnspentOutput | undefined; proof: LedgerProof } {
    const l = this.ledger;
    return { ledgerIndex: l.ledgerIndex, ledgerRoot: l.ledgerRoot(), output: l.getOutput(txId, index), proof: l.proveOutput(txId, index) };
  }

  getMilestone(index: number): MilestoneInfo | undefined {
    const m = this.store.getMilestone(index);
    return m ? milestoneInfo(m) : undefined;
  }

  streamRecords(streamId: Uint8Array, fromSeq = 0, limit = 100) {
    return this.store.streamRecords(streamId, fromSeq, limit).map((r) => ({ sequence: r.sequence, id: toHex(r.id) }));
  }

  tipCount(): number {
    return this.window.graph.nonLazyTipCount;
  }

  /** Stops accepting, waits for in-flight writes, closes the database. */
  async close(): Promise<void> {
    if (this._closed) return;
    this._closed = true;
    this.emit("closing");
    this.space.stop();
    await Promise.allSettled([...this.solid.writes.values()]);
    await this.verifier?.close();
    await this.store.close();
  }
}
