/**
 * The client API's methods: parameter checks (each failure names the parameter) and handlers over
 * the node. Names, params and results are the contract documented in docs/api.md, typed by
 * client/api/types.ts: each handler returns `WireResult<name>` (the client's result type in its
 * wire form), so a result whose shape differs from what the client reads does not compile.
 */
import { fromHex, toHex } from "../../client/protocol/bytes";
import { encodeLedgerProof } from "../../client/protocol/ledger-proof";
import { defaultRoundTimeoutMs, reachableWindowMs } from "../committee/rounds";
import { decodeTransaction, powRoot, setNonce } from "../../client/protocol/codec";
import { requiredDifficulty } from "../validation/pipeline";
import type { TangleNode } from "../tangle-node";
import type { PowPool } from "../../client/pow";
import type { AdaptivePow } from "../adaptive-pow";
import { API_LIMITS } from "./limits";
import { MAX_PARENTS, MAX_TRANSACTION_BYTES, MIN_PARENTS, PUBLIC_KEY_BYTES } from "../../client/protocol/limits";
import { ApiError, ApiErrorCode as E } from "./errors";
import { isConflictReason } from "../../client/protocol/codes";
import type { PeerManager } from "../peering/peers";
import { PeerErrorCode } from "../peering/protocol";
import { timingSafeEqual } from "node:crypto";
import { encodeAddress, hrpForNetwork, parseAddress } from "../../client/wallet/address";
import type { MethodName, WireResult } from "../../client/api/types";
import { parseTopics, TopicRef } from "./topics";
import type { FairScheduler } from "./fair-queue";
import type { ChangeQueue } from "../committee/change-queue";
import { buildInclusionProof, CommitteeChangeIndex } from "./inclusion-proofs";
import { databasePages } from "../pruning/pages";

export type Params = Record<string, unknown>;

export interface MethodContext {
  node: TangleNode;
  adaptive: AdaptivePow;
  /** Present when remote PoW is enabled. */
  pow?: { pool: PowPool; queued: number };
  peering?: PeerManager;
  adminToken?: string;
  version: string;
  /** Fair admission of submissions (./fair-queue.ts); absent: each submission goes to the node at once. */
  admission?: FairScheduler<Caller>;
  /** The committee change queue, on a node that holds a committee key (../committee/change-queue.ts). */
  committeeChanges?: ChangeQueue;
}

export interface Caller {
  /** Remote PoW requests of this connection in the last minute (timestamps). */
  powTimes: number[];
  subscribe(topics: TopicRef[]): string[];
  unsubscribe(topics: TopicRef[]): string[];
}

/** A handler: its result is the method's result as the client reads it, in wire form. */
export type Method<M extends MethodName = MethodName> = (params: Params, caller: Caller) => WireResult<M> | Promise<WireResult<M>>;

/** Every method of the API, each typed by its result. */
export type Methods = { [M in MethodName]: Method<M> };

const bad = (message: string): never => {
  throw new ApiError(E.BAD_PARAMS, message);
};

function hex32(params: Params, name: string): Uint8Array {
  const v = params[name];
  if (typeof v !== "string" || !/^[0-9a-fA-F]{64}$/.test(v)) bad(`${name} must be 64 hex characters`);
  return fromHex(v as string);
}

function optInt(params: Params, name: string, min: number, max: number, dflt: number): number {
  const v = params[name];
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) bad(`${name} must be an integer in [${min}, ${max}]`);
  return v as number;
}

function bytesParam(params: Params, name: string): Uint8Array {
  const v = params[name];
  if (!(v instanceof Uint8Array)) bad(`${name} must be binary (msgpack bin)`);
  return v as Uint8Array;
}

function topicsParam(params: Params): string[] {
  const t = params.topics;
  if (!Array.isArray(t) || t.length === 0 || t.length > API_LIMITS.maxTopicsPerRequest || !t.every((x) => typeof x === "string")) {
    bad(`topics must be a non-empty array of at most ${API_LIMITS.maxTopicsPerRequest} strings`);
  }
  return t as string[];
}

/** An address given as 64 hex characters or as bech32m of this network (`hrp`); the message names the parameter. */
function addressParam(params: Params, name: string, hrp: string): Uint8Array {
  const v = params[name];
  if (typeof v !== "string" || v.length > API_LIMITS.maxTextParamChars) bad(`${name} must be a bech32m address (${hrp}1…) or 64 hex characters`);
  try {
    return parseAddress(v as string, hrp);
  } catch (err) {
    return bad(`${name}: ${(err as Error).message}`);
  }
}

function notFound(what: string): never {
  throw new ApiError(E.NOT_FOUND, `${what} not found`);
}

/**
 * A transaction the node does not store: ERR_PRUNED once it holds no history below some milestone
 * (it pruned, or it started from a snapshot: the transaction may be below), ERR_NOT_FOUND otherwise.
 */
function txNotStored(node: TangleNode, id: string): never {
  const pruningIndex = node.historyFloor;
  if (pruningIndex > 0) {
    const why = node.pruningIndex >= node.snapshotIndex ? "pruned" : "below the snapshot this node started from";
    throw new ApiError(E.PRUNED, `transaction ${id} not stored: unknown, or ${why} (confirmed at or below milestone ${pruningIndex}, or never confirmed and older)`, { pruningIndex });
  }
  notFound(`transaction ${id}`);
}

export function createMethods(ctx: MethodContext): Methods {
  const { node } = ctx;
  // Address prefix of this network (createMethods({}) lists the method names without a node).
  const hrp = node ? hrpForNetwork(node.genesis.networkName) : "";
  const committeeChanges = node ? new CommitteeChangeIndex(node) : undefined;
  return {
    ping: () => "pong",

    getNodeInfo: () => ({
      networkId: node.params.networkId,
      networkName: node.genesis.networkName,
      version: ctx.version,
      latestMilestoneIndex: node.latestMilestone?.index ?? 0,
      confirmedMilestoneIndex: node.ledgerIndex,
      ledgerStateHash: toHex(node.stateHash),
      tips: node.tipCount(),
      peers: ctx.peering?.count ?? 0,
      difficulty: node.params.baseDifficulty,
      synced: !node.diverged && (ctx.peering?.synced ?? true),
      syncProblem: ctx.peering?.syncProblem ?? null,
      diverged: node.diverged ?? null,
      storedTransactions: node.storedTransactions,
      startupMs: Math.round(node.startupMs),
      remotePow: Boolean(ctx.pow),
      milestoneIntervalMs: node.milestoneIntervalMs,
      latestMilestoneAgeMs: node.latestMilestone ? Math.max(0, node.now() - node.latestMilestone.timestamp) : null,
      coordinatorPublicKeys: node.committeeInfo().members,
      committee: committeeInfo(node, ctx.peering),
      pruning: { index: node.pruningIndex, depth: node.pruner?.depth ?? "off", snapshotIndex: node.snapshotIndex },
      database: databaseInfo(node),
    }) satisfies WireResult<"getNodeInfo">,

    getDifficulty: (p) => {
      const issuer = hex32(p, "issuer");
      const size = optInt(p, "size", 1, MAX_TRANSACTION_BYTES, 512);
      const extra = ctx.adaptive.extraBits(toHex(issuer), node.now());
      return { difficulty: requiredDifficulty(size, node.params.baseDifficulty, extra), extraBits: extra } satisfies WireResult<"getDifficulty">;
    },

    selectParents: (p) => {
      const count = optInt(p, "count", MIN_PARENTS, MAX_PARENTS, 4);
      if (ctx.peering && !ctx.peering.synced) {
        throw new ApiError(PeerErrorCode.NOT_SYNCED, `catching up: milestone ${node.ledgerIndex} of ${ctx.peering.bestKnownMilestone}`);
      }
      return { parents: node.selectParents(count) };
    },

    getPeers: () => ({ peers: ctx.peering?.stats() ?? [] }),

    addPeer: (p) => {
      admin(ctx, p);
      const url = p.url;
      if (typeof url !== "string" || !/^wss?:\/\/[^\s]+$/.test(url) || url.length > API_LIMITS.maxTextParamChars) bad("url must be a ws:// or wss:// URL");
      return { added: ctx.peering!.addPeer(url as string) };
    },

    removePeer: (p) => {
      admin(ctx, p);
      const url = p.url;
      if (typeof url !== "string" || url.length > API_LIMITS.maxTextParamChars) bad("url must be a string");
      return { removed: ctx.peering!.removePeer(url as string) };
    },

    getCommittee: () => {
      const status = ctx.committeeChanges?.status(node.ledgerIndex);
      return {
        ledgerIndex: node.ledgerIndex,
        epochs: node.committees.all.map((e) => ({ fromIndex: e.fromIndex, members: [...e.members], threshold: e.threshold })),
        memberKey: node.committeeMember ?? null,
        queued: status?.queued ?? null,
        stale: status?.stale ?? null,
      } satisfies WireResult<"getCommittee">;
    },

    queueCommitteeChange: (p) => {
      admin(ctx, p);
      const queue = changeQueue(ctx);
      return { queued: queue.queue({ members: p.members, threshold: p.threshold, effectiveIndex: p.effectiveIndex }, node.ledgerIndex) } satisfies WireResult<"queueCommitteeChange">;
    },

    cancelCommitteeChange: (p) => {
      admin(ctx, p);
      return { cancelled: changeQueue(ctx).cancel() } satisfies WireResult<"cancelCommitteeChange">;
    },

    submitTransaction: async (p, caller) => {
      let bytes = bytesParam(p, "bytes");
      if (p.pow !== undefined && typeof p.pow !== "boolean") bad("pow must be a boolean");
      const extraDifficulty = (issuer: Uint8Array) => ctx.adaptive.extraBits(toHex(issuer), node.now());
      if (p.pow === true) bytes = await remotePow(ctx, caller, bytes, extraDifficulty);
      // The node decodes the bytes once; the issuer of a new transaction comes from there.
      let issuer: Uint8Array | undefined;
      // Its turn in the fair queue lasts until it is acknowledged or refused (so the node's FIFO
      // stages never hold more than a few submissions, whoever sent them), except that one with a
      // parent not here yet gives its turn up once validated: it waits for that parent (bounded by
      // the solidifier) without keeping anyone else waiting.
      // A lone submission (its connection has nothing else under way: a gateway sending one at a
      // time) is verified on the main thread, so it does not queue behind a flood's signatures in
      // the verify pool; a pipelining client's go to the pool.
      const verifyHere = ctx.admission?.idle(caller) ?? false;
      const submit = (release: () => void) =>
        node.submit(bytes, {
          extraDifficulty,
          verifyHere,
          onValid: (tx) => {
            issuer = tx.issuer;
            if (!tx.parents.every((p) => parentHere(node, toHex(p)))) release();
          },
        });
      const r = await (ctx.admission ? ctx.admission.run(caller, claimedIssuer(bytes), submit) : submit(() => undefined));
      if (!r.duplicate && issuer) ctx.adaptive.record(toHex(issuer), node.now());
      return { id: r.id, duplicate: r.duplicate } satisfies WireResult<"submitTransaction">;
    },

    getTransaction: (p) => {
      const id = toHex(hex32(p, "id"));
      const bytes = node.getTransactionBytes(id);
      if (!bytes) txNotStored(node, id);
      return { id, bytes: bytes! } satisfies WireResult<"getTransaction">;
    },

    getTransactionMetadata: (p) => {
      const id = toHex(hex32(p, "id"));
      const meta = node.getMetadata(id);
      if (!meta) txNotStored(node, id);
      const hints = node.attachmentHints(id);
      const { solid, confirmedBy, conflict, milestoneIndex, receivedMs } = meta!;
      // Storage keeps the reason as text; only the reasons of the contract leave the node.
      if (conflict !== null && !isConflictReason(conflict)) throw new ApiError(E.INTERNAL, `transaction ${id}: stored conflict reason is not one of the known reasons`);
      return { id, solid, confirmedBy, conflict, milestoneIndex, receivedMs, confirmed: confirmedBy !== null, ...hints } satisfies WireResult<"getTransactionMetadata">;
    },

    getBalance: (p) => {
      const address = addressParam(p, "address", hrp);
      const b = node.balance(address);
      return {
        address: toHex(address),
        bech32: encodeAddress(address, hrp),
        confirmed: b.confirmed.toString(),
        pending: { incoming: b.pendingIncoming.toString(), outgoing: b.pendingOutgoing.toString() },
        used: b.used,
      } satisfies WireResult<"getBalance">;
    },

    getOutputs: (p) => {
      const address = addressParam(p, "address", hrp);
      const outs = node.outputs(address).slice(0, API_LIMITS.maxOutputs);
      return {
        address: toHex(address),
        bech32: encodeAddress(address, hrp),
        outputs: outs.map((o) => ({ txId: toHex(o.txId), index: o.index, amount: o.amount.toString() }) satisfies WireResult<"getOutputs">["outputs"][number]),
      } satisfies WireResult<"getOutputs">;
    },

    getOutputProof: (p) => {
      const txId = hex32(p, "txId");
      const index = p.index;
      if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index > 255) bad("index must be an integer 0..255");
      const r = node.proveOutput(txId, index as number);
      const latest = node.latestMilestone;
      return {
        txId: toHex(txId),
        index: index as number,
        unspent: r.output !== undefined,
        address: r.output ? toHex(r.output.address) : null,
        amount: r.output ? r.output.amount.toString() : null,
        milestoneIndex: r.ledgerIndex,
        milestoneId: latest && latest.index === r.ledgerIndex ? latest.id : null,
        ledgerRoot: toHex(r.ledgerRoot),
        proof: encodeLedgerProof(r.proof),
      } satisfies WireResult<"getOutputProof">;
    },

    getInclusionProof: (p) => {
      const id = toHex(hex32(p, "id"));
      if (!node.hasTransaction(id) && !node.store.isDamaged(id)) txNotStored(node, id);
      return { id, ...buildInclusionProof(node, committeeChanges!, id) } satisfies WireResult<"getInclusionProof">;
    },

    getMilestone: (p) => {
      const which = p.index;
      let index: number;
      if (which === "latest") index = node.latestMilestone?.index ?? 0;
      else if (typeof which === "number" && Number.isInteger(which) && which >= 1 && which <= 0xffffffff) index = which;
      else bad(`index must be a milestone index (>= 1) or "latest"`);
      const m = node.getMilestone(index!);
      if (!m) notFound(`milestone ${String(which)}`);
      const { id, timestamp, merkleRoot, stateHash, included } = m!;
      return { index: m!.index, id, timestamp, merkleRoot, stateHash, included } satisfies WireResult<"getMilestone">;
    },

    getStream: (p) => {
      const streamId = hex32(p, "streamId");
      const fromSeq = optInt(p, "fromSeq", 0, Number.MAX_SAFE_INTEGER, 0);
      const limit = optInt(p, "limit", 1, API_LIMITS.maxStreamLimit, 100);
      // Pruning deletes a stream's index entries from its lowest sequence up, so the page lists
      // every record this node holds from max(fromSeq, firstSequence) on; firstSequence > fromSeq
      // says that the sequences between are not held here (docs/api.md). A page holds whole
      // records only: it ends before a listed record whose body is not readable (damaged storage),
      // so it never carries a record without bytes and never skips a sequence silently.
      const records: WireResult<"getStream">["records"] = [];
      for (const r of node.streamRecords(streamId, fromSeq, limit)) {
        const bytes = node.getTransactionBytes(r.id);
        if (!bytes) break;
        records.push({ sequence: r.sequence, id: r.id, bytes, confirmedBy: node.getMetadata(r.id)?.confirmedBy ?? null });
      }
      // The bounds are read after the records: a pruning step in between can only raise the first
      // sequence, so what the page lacks below its first record is always below firstSequence.
      const bounds = node.store.streamBounds(streamId);
      const pruningIndex = node.historyFloor;
      return {
        streamId: toHex(streamId),
        records,
        firstSequence: bounds?.firstSequence ?? null,
        lastSequence: bounds?.lastSequence ?? null,
        pruningIndex,
      } satisfies WireResult<"getStream">;
    },

    subscribe: (p, caller) => ({ subscribed: caller.subscribe(parseTopics(topicsParam(p), hrp)) }),

    unsubscribe: (p, caller) => ({ unsubscribed: caller.unsubscribe(parseTopics(topicsParam(p), hrp)) }),
  };
}

/**
 * The committee in force for the next milestone, with the members seen signing lately (committee
 * messages and applied milestones: peering/committee-relay.ts), this node's own key counted when it
 * is a member.
 */
/** LMDB pages holding data (by table), the page size and the file's size (node/pruning/pages.ts). */
function databaseInfo(node: TangleNode): WireResult<"getNodeInfo">["database"] {
  const { pagesInUse, pageSize, fileBytes, tables } = databasePages(node.store);
  return { pagesInUse, pageSize, fileBytes, tables };
}

function committeeInfo(node: TangleNode, peering: PeerManager | undefined): WireResult<"getNodeInfo">["committee"] {
  const info = node.committeeInfo();
  if (!peering) return { ...info, equivocations: [] };
  const intervalMs = node.milestoneIntervalMs;
  const seen = peering.committee.reachable(info.members, reachableWindowMs({ intervalMs, roundTimeoutMs: defaultRoundTimeoutMs(intervalMs) }));
  const equivocations = peering.committee.equivocations().map(({ index, member, essences }) => ({ index, member, essences }));
  return { ...info, reachable: Math.max(info.reachable, seen), equivocations };
}

/** A parent stored (or being written: the window has it first) or a solid entry point. */
function parentHere(node: TangleNode, idHex: string): boolean {
  return node.window.recent.has(idHex) || node.isEntryPoint(idHex) || node.hasTransaction(idHex);
}

/**
 * The issuer a transaction's bytes name (essence: version u8 · networkId u32 · issuer 32), read
 * without decoding, for the fair queue's turns only: whatever it names, validation then decodes
 * and checks the transaction as always (a forged issuer fails the signature check). Too short to
 * name one: the empty key (the node refuses such bytes at once).
 */
function claimedIssuer(bytes: Uint8Array): string {
  return bytes.length >= 5 + PUBLIC_KEY_BYTES ? toHex(bytes.subarray(5, 5 + PUBLIC_KEY_BYTES)) : "";
}

/** The committee change queue of a member's node; ERR_COMMITTEE_NO_KEY on a node without a committee key. */
function changeQueue(ctx: MethodContext): ChangeQueue {
  if (!ctx.committeeChanges) throw new ApiError(E.COMMITTEE_NO_KEY, "this node holds no committee key (--coordinator-key): queue the change on the members' nodes");
  return ctx.committeeChanges;
}

/** Checks the admin token (constant time). */
function admin(ctx: MethodContext, p: Params): void {
  if (!ctx.adminToken || !ctx.peering) throw new ApiError(PeerErrorCode.ADMIN_DISABLED, "admin methods are disabled (start the node with --admin-token)");
  const given = Buffer.from(typeof p.token === "string" ? p.token : "");
  const want = Buffer.from(ctx.adminToken);
  if (given.length !== want.length || !timingSafeEqual(given, want)) throw new ApiError(PeerErrorCode.UNAUTHORIZED, "wrong admin token");
}

/** Does the proof of work for a client: rate limited per connection, queue bounded per node. */
async function remotePow(ctx: MethodContext, caller: Caller, bytes: Uint8Array, extra: (issuer: Uint8Array) => number): Promise<Uint8Array> {
  if (!ctx.pow) throw new ApiError(E.REMOTE_POW_DISABLED, "this node does not do proof of work for clients");
  const now = Date.now();
  while (caller.powTimes.length && caller.powTimes[0] <= now - 60_000) caller.powTimes.shift();
  if (caller.powTimes.length >= API_LIMITS.remotePowPerMinute) throw new ApiError(E.REMOTE_POW_BUSY, `at most ${API_LIMITS.remotePowPerMinute} remote PoW requests per minute`);
  if (ctx.pow.queued >= API_LIMITS.remotePowQueue) throw new ApiError(E.REMOTE_POW_BUSY, "remote PoW queue is full; try again later");
  // A transaction the node will refuse anyway gets no work: it goes on unchanged, and the node
  // refuses it with its code (and counts the refusal) like any other.
  const d = decodeTransaction(bytes);
  if (!d.ok || d.value.tx.networkId !== ctx.node.params.networkId) return bytes;
  caller.powTimes.push(now);
  const copy = Uint8Array.from(bytes);
  const difficulty = requiredDifficulty(copy.length, ctx.node.params.baseDifficulty, extra(d.value.tx.issuer));
  ctx.pow.queued++;
  try {
    const r = await ctx.pow.pool.search(powRoot(copy), difficulty);
    if (!r) throw new ApiError(E.INTERNAL, "remote PoW gave up");
    return setNonce(copy, r.nonce);
  } finally {
    ctx.pow.queued--;
  }
}
