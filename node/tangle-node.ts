/**
 * The tangle node's core, without sockets: validation → solidity → durable storage → the WASM
 * window and tip pool → white-flag confirmation when a milestone arrives. API servers and peers
 * (later components) call `submit` and the queries, and listen to the events.
 *
 * Ordering rules that keep it simple and safe:
 * - A transaction is acknowledged (submit resolves) only after its LMDB commit is on disk, and for a
 *   milestone after the ledger changes it makes are on disk too.
 * - A transaction is processed only after all its parents were (it waits for in-flight parents), so
 *   the WASM window always receives parents before children.
 * - Milestones apply strictly in index order; a milestone whose white-flag result differs from what
 *   it carries is refused and the node stops confirming (it reports the divergence).
 */
import { EventEmitter } from "node:events";
import { MilestonePayload, Transaction } from "../client/protocol/codec";
import { decodeTransaction, signingHash, transactionId } from "../client/protocol/codec";
import { MAX_TRANSACTION_BYTES } from "../client/protocol/limits";
import { equalBytes, fromHex, toHex } from "../client/protocol/bytes";
import { TangleGraph, TipScore, TxFlags } from "../core-wasm/src/tangle";
import { blake2b256 } from "../core-wasm/src/blake2b";
import { Genesis, genesisTransactionId, genesisStateHash, validateGenesis, genesisOutputs } from "./ledger/genesis";
import { LedgerState } from "./ledger/ledger";
import { decidesEssence, PendingIndex, ledgerAmountLookup } from "./ledger/pending";
import { checkMilestone, computeWhiteFlag, ConeEntry, ConeView, WhiteFlagResult } from "./ledger/whiteflag";
import { Store } from "./storage/store";
import { RecentIndex } from "./recent";
import { BoundedMap } from "./bounded";
import { BAD_SIGNATURE_MESSAGE, checkIssuer, precheckTransaction, ValidationParams, ValidTransaction } from "./validation/pipeline";
import { verifyEd25519 } from "./crypto/ed25519";
import { VerifyPool } from "./crypto/verify-pool";
import { NodeError, NodeErrorCode } from "./errors";
import { ProtocolErrorCode } from "../client/protocol/errors";

export const VERSION = "0.1.0";

/** The id every first transaction may attach to besides the genesis transaction: 32 zero bytes. */
export const ZERO_ENTRY_POINT = new Uint8Array(32);

export interface TangleNodeOptions {
  dataDir: string;
  genesis: Genesis;
  /** Transactions kept in the WASM window (default 65536). */
  window?: number;
  /** Attachment timestamps accepted this far in the past / future (defaults 10 min / 30 s). */
  maxPastMs?: number;
  maxFutureMs?: number;
  /** How long a transaction waits for unknown parents (default 5 s), and how many may wait. */
  solidifyTimeoutMs?: number;
  maxWaiting?: number;
  /** Clock (ms); tests inject one. */
  now?: () => number;
  /** Worker threads verifying signatures (default 0: on the main thread). */
  verifyThreads?: number;
  /**
   * Release the database's mapped pages once the file-backed resident set has grown by this many
   * bytes (a watcher thread checks every 2 ms, from opening to closing; Linux with the native
   * helper). Default: never.
   */
  mappedBudgetBytes?: number;
}

export interface SubmitOptions {
  /** Extra PoW bits asked of the issuer (adaptive difficulty; API submissions only). */
  extraDifficulty?: (issuer: Uint8Array) => number;
  /** Overrides the timestamp window's past bound (peers syncing history pass Infinity). */
  maxPastMs?: number;
  /** Who sent it (a peer's key), reported with the `transaction` event so gossip skips it. */
  source?: string;
  /** How long to wait for unknown parents (default: the node's solidifyTimeoutMs). */
  solidifyTimeoutMs?: number;
}

export interface SubmitResult {
  id: string;
  /** The node already had it (acknowledged again, nothing changed). */
  duplicate: boolean;
}

export interface TransactionMetadata {
  id: string;
  solid: boolean;
  /** Milestone index that confirmed it, or null. */
  confirmedBy: number | null;
  /** White-flag conflict reason, or null. */
  conflict: string | null;
  milestoneIndex: number | null;
  receivedMs: number;
}

export interface MilestoneInfo {
  index: number;
  id: string;
  timestamp: number;
  merkleRoot: string;
  stateHash: string;
  included: number;
}

export interface Divergence {
  index: number;
  code: string;
  message: string;
}

export class TangleNode extends EventEmitter {
  readonly genesis: Genesis;
  readonly genesisId: Uint8Array;
  readonly params: ValidationParams;
  /** Milliseconds spent rebuilding the window and ledger at open. */
  readonly startupMs: number;
  private ledger!: LedgerState;
  private pending!: PendingIndex;
  private graph: TangleGraph;
  private nextSeq: number;
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Valid transactions between validation and their write (counted: the same id may arrive twice). */
  private readonly arriving = new Map<string, number>();
  private waiting = 0;
  // Decoded transactions for white flag and gossip: the recent ones only (each costs a few KB).
  private readonly decoded = new BoundedMap<string, { id: Uint8Array; tx: Transaction }>(8192);
  /**
   * The metadata of the window's transactions (see recent.ts): storing approvers, white flag,
   * milestone application, metadata queries and the second duplicate check read it instead of the
   * random-keyed id index. An entry is added before its transaction is written and marked
   * confirmed once the milestone that confirms it is durable, so it never shows a confirmed
   * transaction as unconfirmed; older arrivals fall back to the database.
   */
  private readonly recent: RecentIndex;
  private latest?: MilestoneInfo;
  private _diverged?: Divergence;
  private _closed = false;
  /** Serializes milestone application. */
  private milestoneChain: Promise<unknown> = Promise.resolve();
  private readonly entryPoints: Set<string>;
  private readonly solidifyTimeoutMs: number;
  private readonly maxWaiting: number;
  private readonly verifier?: VerifyPool;
  readonly now: () => number;
  /** Milestone interval in force (the genesis value; a coordinating node sets its own). */
  milestoneIntervalMs: number;

  private constructor(
    readonly store: Store,
    opts: TangleNodeOptions,
    t0: number,
  ) {
    super();
    this.genesis = validateGenesis(opts.genesis);
    this.genesisId = genesisTransactionId(this.genesis);
    this.now = opts.now ?? Date.now;
    this.params = {
      networkId: this.genesis.networkId,
      baseDifficulty: this.genesis.baseDifficulty,
      maxPastMs: opts.maxPastMs ?? 600_000,
      maxFutureMs: opts.maxFutureMs ?? 30_000,
      coordinatorKeys: new Set(this.genesis.coordinatorPublicKeys),
    };
    this.entryPoints = new Set([toHex(ZERO_ENTRY_POINT), toHex(this.genesisId)]);
    this.milestoneIntervalMs = this.genesis.milestoneIntervalMs;
    this.solidifyTimeoutMs = opts.solidifyTimeoutMs ?? 5000;
    this.maxWaiting = opts.maxWaiting ?? 10_000;
    if (opts.verifyThreads) this.verifier = new VerifyPool(opts.verifyThreads);
    this.graph = new TangleGraph({ window: opts.window ?? 65536, seed: BigInt(Math.floor(Math.random() * 2 ** 48)) });
    this.recent = new RecentIndex(this.graph.window);
    this.nextSeq = store.nextSeq();
    this.startupMs = 0;
    void t0;
  }

  /** Opens the database in `dataDir`, initializes or checks the genesis, and rebuilds the window. */
  static async open(opts: TangleNodeOptions): Promise<TangleNode> {
    const t0 = performance.now();
    const store = await Store.open(opts.dataDir);
    if (opts.mappedBudgetBytes) store.watchMappedPages(opts.mappedBudgetBytes); // also while opening
    let node: TangleNode | undefined;
    try {
      node = new TangleNode(store, opts, t0);
      await node.init();
    } catch (err) {
      await node?.verifier?.close();
      await store.close();
      throw err;
    }
    (node as { startupMs: number }).startupMs = performance.now() - t0;
    return node;
  }

  private async init(): Promise<void> {
    const g = this.genesis;
    const genesisHash = blake2b256(new TextEncoder().encode(JSON.stringify(g)));
    const outputs = genesisOutputs(g).map((o, index) => ({ txId: this.genesisId, index, address: o.address, amount: o.amount, milestone: 0 }));
    const balances = new Map<string, bigint>();
    for (const o of outputs) balances.set(toHex(o.address), (balances.get(toHex(o.address)) ?? 0n) + o.amount);
    await this.store.initGenesis(
      genesisHash,
      outputs,
      [...balances].map(([a, amount]) => ({ address: fromHex(a), amount })),
      genesisStateHash(g),
    );
    this.ledger = LedgerState.restore({
      networkId: g.networkId,
      ledgerIndex: this.store.ledgerIndex(),
      stateHash: this.store.stateHash()!,
      unspent: [...this.store.outputs()].map(({ txId, index, address, amount }) => ({ txId, index, address, amount })),
      spent: [...this.store.spentOutputs()].map(({ txId, index, address, amount, spentBy, milestone }) => ({ txId, index, address, amount, spentBy, milestoneIndex: milestone })),
    });
    this.pending = new PendingIndex(ledgerAmountLookup(this.ledger));
    const li = this.ledger.ledgerIndex;
    if (li > 0) {
      const m = this.store.getMilestone(li);
      if (m) this.latest = milestoneInfo(m);
    }
    await this.rebuildWindow();
  }

  /**
   * Replays the last `window` stored transactions into the WASM graph, pool and pending index. A
   * milestone that was stored but not yet applied when the node stopped is applied here, at its
   * place in arrival order (its whole cone is already back in the graph by then).
   */
  private async rebuildWindow(): Promise<void> {
    const from = Math.max(0, this.nextSeq - this.graph.window);
    let boundarySet = false;
    let n = 0;
    const confirmedEssences = new Set<string>();
    for (const { seq, id, bytes } of this.store.arrivals(from)) {
      if ((++n & 255) === 0) this.store.checkMappedPages(); // as in submit
      const meta = this.store.getMetaBySeq(seq);
      if (!meta) continue;
      const d = decodeTransaction(bytes);
      if (!d.ok) continue;
      const tx = d.value.tx;
      const idHex = toHex(id);
      if (!boundarySet) {
        // Parents before the window count as confirmed up to the milestone the first one needed.
        this.graph.setBoundaryIndex(Math.max(0, (meta.confirmedBy ?? this.ledger.ledgerIndex + 1) - 1));
        boundarySet = true;
      }
      this.decoded.set(idHex, { id, tx });
      const parents = tx.parents.map(toHex);
      const ts = Math.floor(tx.timestamp / 1000);
      const ms = tx.payload.type === "milestone" ? tx.payload : undefined;
      // Applied milestones are the ones their index's record names (another transaction carrying
      // the same payload type, e.g. an unapplied milestone that later got confirmed as an ordinary
      // transaction, is not one).
      const applied = ms !== undefined && toHex(this.store.getMilestone(ms.index)?.id ?? new Uint8Array(0)) === idHex;
      this.recent.add(idHex, meta);
      if (applied) {
        this.graph.appendMilestoneById(idHex, parents, ts, ms.index);
      } else if (ms && ms.index === this.ledger.ledgerIndex + 1 && !this._diverged) {
        const v = { tx, bytes, essenceLength: d.value.essenceLength, id, idHex, difficulty: 0 };
        if (await this.applyMilestone(v, ms)) this.graph.appendMilestoneById(idHex, parents, ts, ms.index);
        else this.graph.appendById(idHex, parents, ts);
      } else {
        this.graph.appendById(idHex, parents, ts, TxFlags.SOLID | (meta.conflict ? TxFlags.CONFLICTING : 0));
      }
      if (tx.payload.type === "transfer") {
        const essenceHash = signingHash(bytes.subarray(0, d.value.essenceLength));
        if (meta.confirmedBy === undefined) this.pending.add(id, tx, essenceHash);
        else if (decidesEssence(meta.conflict)) confirmedEssences.add(toHex(essenceHash));
      }
    }
    // Attachments whose essence another attachment carried to confirmation stay out of pending
    // (that one may have arrived before or after them).
    for (const e of confirmedEssences) this.pending.settleEssence(fromHex(e));
  }

  get closed(): boolean {
    return this._closed;
  }

  get diverged(): Divergence | undefined {
    return this._diverged;
  }

  get ledgerIndex(): number {
    return this.ledger.ledgerIndex;
  }

  get stateHash(): Uint8Array {
    return this.ledger.stateHash;
  }

  get latestMilestone(): MilestoneInfo | undefined {
    return this.latest;
  }

  get storedTransactions(): number {
    return this.nextSeq;
  }

  /** Bytes of WASM memory held by the tip-selection window. */
  get windowMemoryBytes(): number {
    return this.graph.memoryBytes;
  }

  isEntryPoint(idHex: string): boolean {
    return this.entryPoints.has(idHex);
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
      this.emit("rejected", typeof code === "string" ? code : "ERR_INTERNAL");
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
      id = transactionId(bytes);
      const idHex = toHex(id);
      if (await this.known(idHex, id)) return { id: idHex, duplicate: true };
    }
    const params = opts.maxPastMs === undefined ? this.params : { ...this.params, maxPastMs: opts.maxPastMs };
    // The id was just computed for the duplicate check: the pipeline need not hash the bytes again.
    const pre = precheckTransaction(bytes, params, this.now(), { extraDifficulty: opts.extraDifficulty, id });
    if (!pre.ok) {
      throw new NodeError(pre.code, pre.message);
    }
    const { tx } = pre.value;
    const signed = this.verifier ? await this.verifier.verify(pre.signingMessage, tx.signature, tx.issuer) : verifyEd25519(pre.signingMessage, tx.signature, tx.issuer);
    const v = signed ? checkIssuer(pre.value, this.params) : { ok: false as const, code: ProtocolErrorCode.BAD_SIGNATURE, message: BAD_SIGNATURE_MESSAGE };
    if (!v.ok) {
      throw new NodeError(v.code, v.message);
    }
    // Checked above already when the id was computed there (validation itself does not wait).
    if (!id && (await this.known(v.value.idHex, v.value.id))) return { id: v.value.idHex, duplicate: true };
    const idHex = v.value.idHex;
    // From here until its write is under way, others waiting for this transaction need not ask peers.
    this.arriving.set(idHex, (this.arriving.get(idHex) ?? 0) + 1);
    let write: Promise<void>;
    try {
      await this.awaitParents(v.value.tx.parents, opts.solidifyTimeoutMs ?? this.solidifyTimeoutMs, opts.source);
      // Stored meanwhile? Only through process(), which remembers it first: while fewer arrivals
      // than `recent` holds came since the database said no, memory answers without a lookup.
      const sinceCheck = this.nextSeq - arrivalsAtCheck;
      if (sinceCheck < this.graph.window / 2 ? this.inflight.has(idHex) || this.recent.has(idHex) : await this.known(idHex, v.value.id)) {
        await this.inflight.get(idHex);
        return { id: idHex, duplicate: true };
      }
      if (this._closed) throw new NodeError(NodeErrorCode.CLOSED, "the node is shutting down");
      write = this.process(v.value, this.nextSeq++, opts.source);
      this.inflight.set(idHex, write);
    } finally {
      const n = this.arriving.get(idHex)! - 1;
      if (n > 0) this.arriving.set(idHex, n);
      else {
        this.arriving.delete(idHex);
        // It failed (not solid in time, the node closing): whoever waits for it looks again and asks peers.
        if (!this.inflight.has(idHex)) this.wake(idHex);
      }
    }
    try {
      await write;
    } finally {
      this.inflight.delete(idHex);
    }
    this.emit("accepted", v.value.idHex, v.value.tx, opts.source);
    return { id: v.value.idHex, duplicate: false };
  }

  /** Whether the transaction is stored (waiting for an in-flight write of it first). */
  private async known(idHex: string, id: Uint8Array): Promise<boolean> {
    const w = this.inflight.get(idHex);
    if (w) {
      await w;
      return true;
    }
    return this.recent.has(idHex) || this.store.hasTransaction(id); // recent, not in flight: stored
  }

  /**
   * Waits until every parent is stored. Parents being written are awaited; unknown ones are
   * announced with a 'missing' event (peering asks its peers for them) unless they are already on
   * their way through `submit` here. The check and the registration of waiters happen in the same
   * turn, after every await, so a parent stored in between cannot be missed.
   */
  private async awaitParents(parents: readonly Uint8Array[], timeoutMs: number, source?: string): Promise<void> {
    const deadline = this.now() + timeoutMs;
    let counted = false;
    const announced = new Set<string>();
    try {
      for (;;) {
        const inflight: Promise<void>[] = [];
        const missing: string[] = [];
        for (const p of parents) {
          const h = toHex(p);
          if (this.entryPoints.has(h)) continue;
          const w = this.inflight.get(h);
          if (w) inflight.push(w);
          // The window (in memory) holds the recent ones; older parents are looked up on disk.
          else if (this.graph.seqOf(h) === undefined && !this.store.hasTransaction(p)) missing.push(h);
        }
        if (inflight.length) {
          // A parent whose write failed is looked at again (as missing) on the next pass.
          await Promise.allSettled(inflight);
          continue;
        }
        if (missing.length === 0) return;
        if (!counted) {
          if (this.waiting >= this.maxWaiting) throw new NodeError(NodeErrorCode.SOLIDIFIER_FULL, `${this.waiting} transactions already wait for parents`);
          this.waiting++;
          counted = true;
        }
        // Peering listens and asks its peers for them (solidification). Parents already on their
        // way through submit here need no asking unless that attempt fails (waiters are woken then).
        const unknown = missing.filter((h) => !this.arriving.has(h) && !announced.has(h));
        if (unknown.length) {
          for (const h of unknown) announced.add(h);
          this.emit("missing", unknown, source);
        }
        const left = deadline - this.now();
        if (left <= 0) throw new NodeError(NodeErrorCode.NOT_SOLID, `parents still unknown after ${timeoutMs} ms: ${missing.join(", ")}`);
        await this.waitForAny(missing, left);
      }
    } finally {
      if (counted) this.waiting--;
    }
  }

  /** Resolves when one of `ids` is stored or `ms` have passed (the caller looks again either way). */
  private waitForAny(ids: string[], ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        for (const h of ids) {
          const set = this.waiters.get(h);
          if (!set) continue;
          set.delete(done);
          if (set.size === 0) this.waiters.delete(h);
        }
        resolve();
      };
      const timer = setTimeout(done, ms);
      for (const h of ids) {
        let set = this.waiters.get(h);
        if (!set) this.waiters.set(h, (set = new Set()));
        set.add(done);
      }
    });
  }

  /** Whether a transaction is wanted as a parent by something waiting here. */
  isAwaited(idHex: string): boolean {
    return this.waiters.has(idHex);
  }

  /** Whether a transaction is on its way through `submit` here (validated, not yet written). */
  isArriving(idHex: string): boolean {
    return this.arriving.has(idHex) || this.inflight.has(idHex);
  }

  private wake(idHex: string): void {
    const set = this.waiters.get(idHex);
    if (!set) return;
    this.waiters.delete(idHex);
    for (const resolve of [...set]) resolve();
  }

  private async process(v: ValidTransaction, seq: number, source?: string): Promise<void> {
    const receivedMs = this.now();
    const parents = v.tx.parents.map(toHex);
    this.recent.add(v.idHex, { seq, receivedMs, ...(v.tx.payload.type === "milestone" ? { milestoneIndex: v.tx.payload.index } : {}) });
    try {
      await this.store.addTransaction(v.id, v.bytes, v.tx, seq, receivedMs, parents.map((p) => this.recent.seqOf(p)));
    } catch (err) {
      this.recent.delete(v.idHex);
      throw new NodeError(NodeErrorCode.STORAGE, `storing failed: ${(err as Error).message}`);
    }
    this.decoded.set(v.idHex, { id: v.id, tx: v.tx });
    const ts = Math.floor(v.tx.timestamp / 1000);
    if (v.tx.payload.type === "milestone") {
      const payload = v.tx.payload;
      const run = this.milestoneChain.then(() => this.applyMilestone(v, payload));
      this.milestoneChain = run.catch(() => undefined);
      const applied = await run;
      if (applied) this.graph.appendMilestoneById(v.idHex, parents, ts, v.tx.payload.index);
      else this.graph.appendById(v.idHex, parents, ts);
    } else {
      this.graph.appendById(v.idHex, parents, ts);
      if (v.tx.payload.type === "transfer") this.pending.add(v.id, v.tx, signingHash(v.bytes.subarray(0, v.essenceLength)));
    }
    this.pending.evict((h) => this.graph.seqOf(h) !== undefined); // attachments that left the window
    this.wake(v.idHex);
    this.emit("transaction", { id: v.idHex, tx: v.tx, bytes: v.bytes, source });
  }

  // ---- confirmation -------------------------------------------------------------------------

  /** The stored tangle as white flag sees it. */
  readonly coneView: ConeView = {
    get: (id: Uint8Array): ConeEntry | undefined => {
      const h = toHex(id);
      const u = this.recent.get(h);
      let e = this.decoded.get(h);
      if (!e) {
        const bytes = u ? this.store.getTransactionBytesBySeq(u.seq) : this.store.getTransactionBytes(id);
        if (!bytes) return undefined;
        const d = decodeTransaction(bytes);
        if (!d.ok) return undefined;
        e = { id, tx: d.value.tx };
        this.decoded.set(h, e);
      }
      return { id: e.id, tx: e.tx, confirmed: (u ?? this.store.getMeta(id))?.confirmedBy !== undefined };
    },
    isSolidEntryPoint: (id: Uint8Array) => this.entryPoints.has(toHex(id)),
  };

  /** The last white flag the coordinator asked for, reused when that milestone arrives. */
  private lastWhiteFlag?: { key: string; result: WhiteFlagResult };

  private whiteFlagKey(index: number, parents: readonly Uint8Array[]): string {
    return `${index}:${toHex(this.ledger.stateHash)}:${parents.map(toHex).join("")}`;
  }

  /** White flag for a would-be milestone with these parents (the coordinator's question). */
  whiteFlag(index: number, parents: readonly Uint8Array[]): WhiteFlagResult {
    const r = computeWhiteFlag(index, parents, this.coneView, this.ledger);
    if (!r.ok) throw new NodeError(NodeErrorCode.NOT_SOLID, r.message);
    this.lastWhiteFlag = { key: this.whiteFlagKey(index, parents), result: r.value };
    return r.value;
  }

  private refuse(index: number, code: string, message: string): false {
    this._diverged = { index, code, message };
    this.emit("diverged", this._diverged);
    return false;
  }

  /** Applies a stored, solid milestone. Returns whether it was applied. */
  private async applyMilestone(v: ValidTransaction, payload: MilestonePayload): Promise<boolean> {
    if (this._diverged) return false;
    if (payload.index <= this.ledger.ledgerIndex) return false; // an old milestone: nothing to do
    if (payload.index !== this.ledger.ledgerIndex + 1) {
      return this.refuse(payload.index, NodeErrorCode.MILESTONE_ORDER, `milestone ${payload.index} arrived while the ledger is at ${this.ledger.ledgerIndex}`);
    }
    // The coordinator computed exactly this result a moment ago (same index, parents and ledger):
    // reuse it instead of walking the cone twice. Confirmation marks cannot have changed in
    // between, since only milestone application changes them and it is serialized.
    const cached = this.lastWhiteFlag;
    this.lastWhiteFlag = undefined;
    const wf =
      cached && cached.key === this.whiteFlagKey(payload.index, v.tx.parents)
        ? { ok: true as const, value: cached.result }
        : computeWhiteFlag(payload.index, v.tx.parents, this.coneView, this.ledger);
    if (!wf.ok) return this.refuse(payload.index, wf.code, wf.message);
    const check = checkMilestone(wf.value, payload);
    if (!check.ok) return this.refuse(payload.index, check.code, check.message);
    const r = wf.value;
    const deltas = new Map<string, bigint>();
    for (const c of r.consumed) deltas.set(toHex(c.address), (deltas.get(toHex(c.address)) ?? 0n) - c.amount);
    for (const c of r.created) deltas.set(toHex(c.address), (deltas.get(toHex(c.address)) ?? 0n) + c.amount);
    const conflicts = new Map(r.conflicts.map((c) => [toHex(c.id), c.reason]));
    const record = { index: payload.index, id: v.id, timestamp: payload.timestamp, merkleRoot: r.merkleRoot, stateHash: r.stateHash, included: r.included };
    const includedIds = r.included.map(toHex);
    const stored = includedIds.map((h) => this.recent.get(h));
    await this.store.applyMilestone({
      record,
      metaUpdates: [
        ...r.included.map((id, i) => ({ id, confirmedBy: payload.index, conflict: conflicts.get(includedIds[i]), stored: stored[i] })),
        { id: v.id, confirmedBy: payload.index, stored: this.recent.get(v.idHex) },
      ],
      consumed: r.consumed.map((c) => ({ txId: c.txId, index: c.index, address: c.address, amount: c.amount, spentBy: c.spentBy })),
      created: r.created.map((c) => ({ ...c, milestone: payload.index })),
      balances: [...deltas].map(([a, d]) => ({ address: fromHex(a), amount: this.ledger.balanceOf(fromHex(a)) + d })),
      ledgerIndex: payload.index,
      stateHash: r.stateHash,
    });
    this.ledger.apply(r);
    // With every other attachment of its essence, where the outcome decides the essence (pending.ts).
    r.included.forEach((id, i) => this.pending.settle(id, conflicts.get(includedIds[i])));
    for (const h of includedIds) this.recent.confirm(h, payload.index, conflicts.get(h));
    this.recent.confirm(v.idHex, payload.index);
    this.latest = milestoneInfo(record);
    // receivedMs: when each included transaction arrived here (NaN where not known in memory).
    const receivedMs = stored.map((m) => m?.receivedMs ?? NaN);
    this.emit("milestone", { ...this.latest, conflicts: r.conflicts.map((c) => ({ id: toHex(c.id), reason: c.reason })), includedIds, receivedMs });
    return true;
  }

  // ---- queries ------------------------------------------------------------------------------

  /** Up to `count` parents for a new transaction: URTS tips, topped up with the latest milestone
   * and the entry points so there are always at least two. */
  selectParents(count = 4): string[] {
    const n = Math.max(2, Math.min(8, count));
    this.graph.setClockMs(this.now());
    const picked = new Set<string>();
    for (const seq of this.graph.selectTips(n)) {
      const id = this.graph.idOf(seq);
      if (id) picked.add(id);
    }
    if (picked.size < 2 && this.latest) picked.add(this.latest.id);
    for (const e of this.entryPoints) if (picked.size < 2) picked.add(e);
    return [...picked].slice(0, n).sort();
  }

  hasTransaction(idHex: string): boolean {
    return this.store.hasTransaction(fromHex(idHex, "id"));
  }

  getTransactionBytes(idHex: string): Uint8Array | undefined {
    return this.store.getTransactionBytes(fromHex(idHex, "id"));
  }

  getMetadata(idHex: string): TransactionMetadata | undefined {
    const meta = this.recent.get(idHex) ?? this.store.getMeta(fromHex(idHex, "id"));
    if (!meta) return undefined;
    return {
      id: idHex,
      solid: true,
      confirmedBy: meta.confirmedBy ?? null,
      conflict: meta.conflict ?? null,
      milestoneIndex: meta.milestoneIndex ?? null,
      receivedMs: meta.receivedMs,
    };
  }

  /** Confirmation confidence of an unconfirmed transaction in the window (share of MCMC walks). */
  confidence(idHex: string, walks = 100): number | undefined {
    const seq = this.graph.seqOf(idHex);
    if (seq === undefined) return undefined;
    return this.graph.confidence(seq, walks);
  }

  /**
   * For an unconfirmed transaction: its confirmation confidence and whether its issuer should
   * promote it (semi-lazy under TIP-3: attach a new transaction to it) or reattach it (lazy, or no
   * longer in the window: it will not be confirmed where it is).
   */
  attachmentHints(idHex: string): { confidence: number | null; shouldReattach: boolean; shouldPromote: boolean } {
    const meta = this.store.getMeta(fromHex(idHex, "id"));
    if (!meta || meta.confirmedBy !== undefined) return { confidence: meta ? 1 : null, shouldReattach: false, shouldPromote: false };
    const seq = this.graph.seqOf(idHex);
    if (seq === undefined) return { confidence: 0, shouldReattach: true, shouldPromote: false };
    const score = this.graph.score(seq);
    return {
      confidence: this.graph.confidence(seq, 64),
      shouldReattach: score === TipScore.LAZY,
      shouldPromote: score === TipScore.SEMI_LAZY,
    };
  }

  /** `used`: the address ever received, confirmed (the `received` table) or pending. */
  balance(address: Uint8Array): { confirmed: bigint; pendingIncoming: bigint; pendingOutgoing: bigint; used: boolean } {
    const p = this.pending.pendingOf(address);
    return { confirmed: this.ledger.balanceOf(address), pendingIncoming: p.incoming, pendingOutgoing: p.outgoing, used: p.incoming > 0n || this.store.hasReceived(address) };
  }

  outputs(address: Uint8Array) {
    return this.ledger.outputsOf(address);
  }

  getMilestone(index: number): MilestoneInfo | undefined {
    const m = this.store.getMilestone(index);
    return m ? milestoneInfo(m) : undefined;
  }

  streamRecords(streamId: Uint8Array, fromSeq = 0, limit = 100) {
    return this.store.streamRecords(streamId, fromSeq, limit).map((r) => ({ sequence: r.sequence, id: toHex(r.id) }));
  }

  tipCount(): number {
    return this.graph.nonLazyTipCount;
  }

  private submissions = 0;

  /** Times the database's mapped pages were released from the resident set (see mapped-pages.ts). */
  get mappedReleases(): number {
    return this.store.mappedReleases;
  }

  /** Stops accepting, waits for in-flight writes, closes the database. */
  async close(): Promise<void> {
    if (this._closed) return;
    this._closed = true;
    this.emit("closing");
    await Promise.allSettled([...this.inflight.values()]);
    await this.verifier?.close();
    await this.store.close();
  }

  /** Whether `ids` are equal byte strings (helper for callers comparing hashes). */
  static same(a: Uint8Array, b: Uint8Array): boolean {
    return equalBytes(a, b);
  }
}

function milestoneInfo(m: { index: number; id: Uint8Array; timestamp: number; merkleRoot: Uint8Array; stateHash: Uint8Array; included: Uint8Array[] }): MilestoneInfo {
  return { index: m.index, id: toHex(m.id), timestamp: m.timestamp, merkleRoot: toHex(m.merkleRoot), stateHash: toHex(m.stateHash), included: m.included.length };
}
