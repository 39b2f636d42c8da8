/**
 * The API's topics (docs/api.md, Topics): which there are, how a subscribed name is parsed and
 * checked, and what each pushes when. The server (server.ts) keeps the connections and the hub that
 * fans pushes out; this file decides what a push is.
 *
 *   milestones            {index, id, timestamp, included, stateHash}   per applied milestone
 *   transactions          {id, type}                                    per stored transaction
 *   confirmed             {milestoneIndex, ids, conflicts}              per applied milestone
 *   address:<address>     {event: "pending" | "confirmed", …}           node/payloads.ts (transfer)
 *   tx:<id>               {id, confirmedBy, conflict}                   when a milestone confirms it
 *   stream:<streamId>     {id, sequence}                                node/payloads.ts (data)
 *
 * Every push is a `TopicPush` of client/api/types.ts: its data is the wire form of the client's
 * `TopicData` for that topic, so a push the client would read differently does not compile. The
 * pushes a payload type makes of its own are declared with it in node/payloads.ts, under the same
 * type.
 */
import { toHex } from "../../client/protocol/bytes";
import type { Transaction } from "../../client/protocol/codec";
import type { ConflictReason } from "../../client/protocol/codes";
import type { Topic, TopicPush } from "../../client/api/types";
import { parseAddress } from "../../client/wallet/address";
import type { MilestoneEvent, TransactionEvent } from "../events";
import { nodePayload } from "../payloads";
import { ApiError, ApiErrorCode as E } from "./errors";
import { API_LIMITS } from "./limits";

/** A topic's kind: the whole name of a topic without argument, else the part before the colon. */
export type TopicKind = Topic extends infer T ? (T extends `${infer K}:${string}` ? K : T) : never;

/** How a topic's argument is given: 64 hex characters, or an address (hex or bech32m of the network). */
type ArgumentForm = "hex32" | "address";

interface WithArgument {
  /** The argument's name in docs/api.md (`tx:<id>`). */
  readonly arg: string;
  readonly form: ArgumentForm;
}

/**
 * Every topic, by kind. The compiler holds the table to the client's `Topic` type: a kind the
 * client does not know, a missing one, or an argument where the client expects none (or the
 * reverse) does not compile.
 */
export const TOPICS = {
  milestones: {},
  transactions: {},
  confirmed: {},
  address: { arg: "address", form: "address" },
  tx: { arg: "id", form: "hex32" },
  stream: { arg: "streamId", form: "hex32" },
} as const satisfies { readonly [K in TopicKind]: `${K}:${string}` extends Topic ? WithArgument : Record<string, never> };

/** Each topic as docs/api.md writes it: `milestones`, `tx:<id>`, … */
export function documentedTopics(): string[] {
  return Object.entries(TOPICS).map(([kind, spec]) => ("arg" in spec ? `${kind}:<${spec.arg}>` : kind));
}

/** A subscription: the topic as the client named it (hex lowercased) and the key its pushes are published under. */
export interface TopicRef {
  name: string;
  key: string;
}

const HEX32 = /^[0-9a-fA-F]{64}$/;
const ADDRESS_TEXT = new RegExp(`^[0-9A-Za-z]{1,${API_LIMITS.maxTextParamChars}}$`);

function unknownTopic(t: string): never {
  throw new ApiError(E.BAD_TOPIC, `unknown topic '${t.slice(0, 80)}'`);
}

/**
 * Checks one topic (ERR_BAD_TOPIC names it when it is unknown or its address is not valid). Names
 * are case-sensitive except for hex arguments, which are lowercased. `address:` takes 64 hex
 * characters or a bech32m address of this network (`hrp`): pushes come under the name the client
 * used (lowercased), published under one key (`address:<hex>`) for both forms.
 */
export function parseTopic(t: string, hrp: string): TopicRef {
  const colon = t.indexOf(":");
  const kind = colon < 0 ? t : t.slice(0, colon);
  if (!Object.prototype.hasOwnProperty.call(TOPICS, kind)) unknownTopic(t);
  const spec: { arg?: string; form?: ArgumentForm } = TOPICS[kind as TopicKind];
  if (colon < 0) return spec.form ? unknownTopic(t) : { name: t, key: t };
  const arg = t.slice(colon + 1);
  if (!spec.form) unknownTopic(t);
  if (HEX32.test(arg)) {
    const name = `${kind}:${arg.toLowerCase()}`;
    return { name, key: name };
  }
  if (spec.form !== "address" || !ADDRESS_TEXT.test(arg)) unknownTopic(t);
  let address: Uint8Array;
  try {
    address = parseAddress(arg, hrp);
  } catch (err) {
    throw new ApiError(E.BAD_TOPIC, `topic '${t.slice(0, 100)}': ${(err as Error).message}`);
  }
  return { name: `${kind}:${arg.toLowerCase()}`, key: `${kind}:${toHex(address)}` };
}

/** Checks every topic of a subscribe or unsubscribe request; the first bad one refuses the request. */
export function parseTopics(topics: readonly string[], hrp: string): TopicRef[] {
  return topics.map((t) => parseTopic(t, hrp));
}

// ---- pushes ------------------------------------------------------------------------------------

/** Where pushes go (the server's hub): published to the subscribers of their topic. */
export interface PushSink {
  /** Whether the topic has subscribers (a push for nobody is not built). */
  has(topic: string): boolean;
  publish(push: TopicPush): void;
}

export const transactionPush = (e: TransactionEvent) => ({ topic: "transactions", data: { id: e.id, type: e.tx.payload.type } }) satisfies TopicPush<"transactions">;

export const milestonePush = (ms: MilestoneEvent) =>
  ({ topic: "milestones", data: { index: ms.index, id: ms.id, timestamp: ms.timestamp, included: ms.included, stateHash: ms.stateHash } }) satisfies TopicPush<"milestones">;

export const confirmedPush = (ms: MilestoneEvent) =>
  ({ topic: "confirmed", data: { milestoneIndex: ms.index, ids: ms.includedIds, conflicts: ms.conflicts } }) satisfies TopicPush<"confirmed">;

export const txConfirmedPush = (id: string, milestoneIndex: number, conflict: ConflictReason | null) =>
  ({ topic: `tx:${id}`, data: { id, confirmedBy: milestoneIndex, conflict } }) satisfies TopicPush<`tx:${string}`>;

/** A stored transaction: `transactions`, then its payload's own pushes (node/payloads.ts). */
export function publishTransaction(e: TransactionEvent, sink: PushSink): void {
  sink.publish(transactionPush(e));
  for (const p of nodePayload(e.tx).arrived?.(e.id, e.tx) ?? []) if (sink.has(p.topic)) sink.publish(p);
}

/**
 * An applied milestone: `milestones`, `confirmed`, then for each transaction it confirmed (its cone
 * in white-flag order, then the milestone itself) `tx:<id>` and its payload's own pushes, with white
 * flag's verdict. `stored` gives a confirmed transaction's decoded form, if the node still has it.
 */
export function publishMilestone(ms: MilestoneEvent, stored: (id: string) => Transaction | undefined, sink: PushSink): void {
  sink.publish(milestonePush(ms));
  sink.publish(confirmedPush(ms));
  const conflicts = new Map(ms.conflicts.map((c) => [c.id, c.reason]));
  for (const id of [...ms.includedIds, ms.id]) {
    const conflict = conflicts.get(id) ?? null;
    if (sink.has(`tx:${id}`)) sink.publish(txConfirmedPush(id, ms.index, conflict));
    const tx = stored(id);
    if (tx) for (const p of nodePayload(tx).confirmed?.(id, tx, ms.index, conflict) ?? []) if (sink.has(p.topic)) sink.publish(p);
  }
}
