/**
 * The node API client: typed methods for every node method (docs/api.md) and subscriptions, over
 * the request/response core of connection.ts (one WebSocket, msgpack frames, timeouts, reconnection
 * with exponential backoff that restores the subscriptions; subscriptions.ts keeps their books).
 *
 * Runs in Node and browsers: the WebSocket is injected (socket.ts), nothing here imports Node.
 */
import { ApiConnection } from "./connection";
import { ClientErrorCode as C, TangleClientError } from "./errors";
import type { ApiClientOptions, RequestOptions } from "./options";
import { addressParam, bigintOf, hex32 } from "./params";
import type { Subscription } from "./subscription";
import type {
  Balance,
  Bytes32,
  Difficulty,
  Milestone,
  NodeInfo,
  Outputs,
  OutputProof,
  InclusionProofResult,
  StreamPage,
  SubmitResult,
  Topic,
  TopicData,
  TransactionBytes,
  TransactionMetadata,
  WireResult,
} from "./types";

export { DEFAULT_BACKOFF } from "./options";
export type { ApiClientOptions, BackoffOptions, ClientEvents, ConnectionState, RequestOptions } from "./options";
export { addressParam, hex32, normalizeTopic } from "./params";

export class ApiClient extends ApiConnection {
  /** A client whose connection is open; rejects with ERR_CLIENT_CONNECT after `timeoutMs`. */
  static async connect(url: string, options: ApiClientOptions & { connectTimeoutMs?: number } = {}): Promise<ApiClient> {
    const c = new ApiClient(url, options);
    try {
      await c.ready(options.connectTimeoutMs ?? 10_000);
      return c;
    } catch (err) {
      c.close();
      throw err;
    }
  }

  // ---- methods (docs/api.md) ------------------------------------------------------------------

  ping(o?: RequestOptions): Promise<"pong"> {
    return this.request("ping", undefined, o);
  }

  getNodeInfo(o?: RequestOptions): Promise<NodeInfo> {
    return this.request("getNodeInfo", undefined, o);
  }

  /** Bits the issuer's next transaction of `size` bytes needs (adaptive extra bits included). */
  getDifficulty(issuer: Bytes32, size?: number, o?: RequestOptions): Promise<Difficulty> {
    return this.request("getDifficulty", { issuer: hex32("issuer", issuer), ...(size === undefined ? {} : { size }) }, o);
  }

  /** 2..8 tips to attach to, sorted. */
  async selectParents(count?: number, o?: RequestOptions): Promise<string[]> {
    const r = await this.request<WireResult<"selectParents">>("selectParents", count === undefined ? undefined : { count }, o);
    return r.parents;
  }

  /** Resolves once the node validated and durably stored the transaction (or already had it). */
  submitTransaction(bytes: Uint8Array, options: RequestOptions & { pow?: boolean } = {}): Promise<SubmitResult> {
    if (!(bytes instanceof Uint8Array)) return Promise.reject(new TangleClientError(C.BAD_ARGUMENT, "bytes must be a Uint8Array"));
    const { pow, ...o } = options;
    return this.request("submitTransaction", pow ? { bytes, pow: true } : { bytes }, o);
  }

  async getTransaction(id: Bytes32, o?: RequestOptions): Promise<TransactionBytes> {
    const r = await this.request<WireResult<"getTransaction">>("getTransaction", { id: hex32("id", id) }, o);
    return { id: r.id, bytes: new Uint8Array(r.bytes) };
  }

  getTransactionMetadata(id: Bytes32, o?: RequestOptions): Promise<TransactionMetadata> {
    return this.request("getTransactionMetadata", { id: hex32("id", id) }, o);
  }

  /** `address`: 32 bytes, 64 hex characters or bech32m of the node's network. */
  async getBalance(address: Bytes32, o?: RequestOptions): Promise<Balance> {
    const r = await this.request<WireResult<"getBalance">>("getBalance", { address: addressParam("address", address) }, o);
    if (typeof r.used !== "boolean") throw new TangleClientError(C.BAD_RESPONSE, "used is not a boolean");
    return {
      address: r.address,
      bech32: r.bech32,
      confirmed: bigintOf("confirmed", r.confirmed),
      pending: { incoming: bigintOf("pending.incoming", r.pending?.incoming), outgoing: bigintOf("pending.outgoing", r.pending?.outgoing) },
      used: r.used,
    };
  }

  /** `address`: 32 bytes, 64 hex characters or bech32m of the node's network. */
  async getOutputs(address: Bytes32, o?: RequestOptions): Promise<Outputs> {
    const r = await this.request<WireResult<"getOutputs">>("getOutputs", { address: addressParam("address", address) }, o);
    return { address: r.address, bech32: r.bech32, outputs: r.outputs.map((x) => ({ txId: x.txId, index: x.index, amount: bigintOf("amount", x.amount) })) };
  }

  /** Proof that output (txId, index) is unspent or not at the node's latest milestone (OutputProof). */
  async getOutputProof(txId: Bytes32, index: number, o?: RequestOptions): Promise<OutputProof> {
    const r = await this.request<WireResult<"getOutputProof">>("getOutputProof", { txId: hex32("txId", txId), index }, o);
    return { ...r, amount: r.amount === null ? null : bigintOf("amount", r.amount) };
  }

  /** The inclusion proof of a confirmed transaction, in its byte form (docs/proofs.md); ERR_NOT_CONFIRMED while unconfirmed. */
  async getInclusionProof(id: Bytes32, o?: RequestOptions): Promise<InclusionProofResult> {
    const r = await this.request<WireResult<"getInclusionProof">>("getInclusionProof", { id: hex32("id", id) }, o);
    return { ...r, proof: new Uint8Array(r.proof) };
  }

  getMilestone(index: number | "latest", o?: RequestOptions): Promise<Milestone> {
    return this.request("getMilestone", { index }, o);
  }

  async getStream(streamId: Bytes32, options: RequestOptions & { fromSeq?: number; limit?: number } = {}): Promise<StreamPage> {
    const { fromSeq, limit, ...o } = options;
    const params: Record<string, unknown> = { streamId: hex32("streamId", streamId) };
    if (fromSeq !== undefined) params.fromSeq = fromSeq;
    if (limit !== undefined) params.limit = limit;
    const r = await this.request<WireResult<"getStream">>("getStream", params, o);
    return { ...r, records: r.records.map((x) => ({ ...x, bytes: new Uint8Array(x.bytes) })) };
  }

  // ---- subscriptions --------------------------------------------------------------------------

  /**
   * Subscribes to a topic. The subscription survives reconnections (the client subscribes again on
   * every open). Several local subscriptions to one topic share one subscription on the node.
   */
  subscribe<T extends Topic>(topic: T, o?: RequestOptions): Promise<Subscription<TopicData<T>>> {
    return this.subscriptions.subscribe<TopicData<T>>(topic, o);
  }

  /** Topics subscribed on the node (restored after reconnecting). */
  subscribedTopics(): string[] {
    return this.subscriptions.list();
  }
}
