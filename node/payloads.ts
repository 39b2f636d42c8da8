/**
 * The node's part of each payload type, in one table beside the payload modules
 * (client/protocol/payloads/): who may issue it (validation stage 6, validation/issuer.ts), the
 * storage indexes written with it (in the same LMDB write as the transaction, storage/store.ts),
 * and the pushes it makes to API subscribers when it arrives and when a milestone confirms it
 * (api/server.ts). One entry per payload type; the compiler insists on each, so a new payload type
 * cannot be forgotten here. What only one payload type means to the node (a milestone's white flag,
 * a transfer's pending balances) stays with the component that does it (milestone-applier.ts,
 * ledger/).
 */
import type { Transaction } from "../client/protocol/codec";
import type { MilestonePayload, PayloadName, PayloadOf, TransferPayload } from "../client/protocol/payloads";
import { isMilestone, isTransfer } from "../client/protocol/payloads";
import { toHex } from "../client/protocol/bytes";
import { ProtocolErrorCode as E } from "../client/protocol/errors";
import { addressOf } from "../client/protocol/keys";
import type { TopicPush } from "../client/api/types";
import type { ConflictReason } from "./ledger/errors";
import { DB, keys } from "./storage/schema";
import { reject, Rejection, ValidationParams } from "./validation/types";

/** A transaction whose payload is of the type named `K`. */
export type TxOf<K extends PayloadName> = Transaction & { payload: PayloadOf<K> };

/** The databases of storage/schema.ts that hold payloads' index entries (value: the tx id); the store opens each. */
export const INDEX_DBS = ["streams"] as const satisfies readonly (keyof typeof DB)[];
export type IndexDb = (typeof INDEX_DBS)[number];

/** One index entry: written under `key` in `db`, with the transaction's id as its value. */
export interface IndexEntry {
  db: IndexDb;
  key: Buffer;
}

/** A push to the subscribers of a topic (docs/api.md "Topics"), typed by the client's push types as node/api/topics.ts's are. */
export type PayloadPush = TopicPush<`stream:${string}` | `address:${string}`>;

export interface NodePayload<K extends PayloadName> {
  /** Validation stage 6: a rejection when this issuer may not issue this payload. */
  checkIssuer?(tx: TxOf<K>, params: ValidationParams): Rejection | undefined;
  /** Index entries to write with the transaction. */
  indexes?(tx: TxOf<K>): IndexEntry[];
  /** Pushes when the transaction was stored (after the `transactions` topic's). */
  arrived?(id: string, tx: TxOf<K>): PayloadPush[];
  /** Pushes when milestone `milestoneIndex` confirmed it, with white flag's verdict (after `tx:<id>`). */
  confirmed?(id: string, tx: TxOf<K>, milestoneIndex: number, conflict: ConflictReason | null): PayloadPush[];
}

export const NODE_PAYLOADS: { readonly [K in PayloadName]: NodePayload<K> } = {
  transfer: {
    arrived: (id, tx) => [...transferAddresses(tx)].map((a) => ({ topic: `address:${a}`, data: { event: "pending", txId: id } })),
    confirmed: (id, tx, milestoneIndex, conflict) =>
      [...transferAddresses(tx)].map((a) => ({ topic: `address:${a}`, data: { event: "confirmed", txId: id, milestoneIndex, conflict } })),
  },
  data: {
    indexes: (tx) => [{ db: "streams", key: keys.stream(tx.payload.streamId, tx.payload.sequence) }],
    arrived: (id, tx) => [{ topic: `stream:${toHex(tx.payload.streamId)}`, data: { id, sequence: tx.payload.sequence } }],
  },
  milestone: {
    // The issuer must be a committee member (of the genesis or of a change this node applied); the
    // k-of-n signatures inside are checked against the committee in force at the milestone's index
    // before it is stored (milestone-applier.ts, validation/committee.ts).
    // A node behind (syncing) does not know yet the members a later change names: their
    // milestones are judged once the ones before them are applied (tangle-node.ts), not refused
    // here, or the peer that served them would be banned for a valid milestone.
    checkIssuer: (tx, params) =>
      params.coordinatorKeys.has(toHex(tx.issuer)) || (params.committeeKnownTo !== undefined && tx.payload.index > params.committeeKnownTo())
        ? undefined
        : reject(E.NOT_COORDINATOR, "milestone issued by a key that is not a committee member of this network"),
  },
  // Anyone may issue a checkpoint: it only references tips, and confirms like data (no ledger effect).
  checkpoint: {},
};

/** The table's entry for the type of `tx`'s payload. */
export function nodePayload(tx: Transaction): NodePayload<PayloadName> {
  return NODE_PAYLOADS[tx.payload.type] as NodePayload<PayloadName>;
}

/** The milestone a transaction carries, if it carries one. */
export function milestoneOf(tx: Transaction): MilestonePayload | undefined {
  return isMilestone(tx.payload) ? tx.payload : undefined;
}

/** The transfer a transaction carries, if it carries one. */
export function transferOf(tx: Transaction): TransferPayload | undefined {
  return isTransfer(tx.payload) ? tx.payload : undefined;
}

/** Hex addresses a transfer touches: its issuer's (outgoing) and its outputs' (incoming). */
function transferAddresses(tx: TxOf<"transfer">): Set<string> {
  const out = new Set<string>();
  out.add(toHex(addressOf(tx.issuer)));
  for (const o of tx.payload.outputs) out.add(toHex(o.address));
  return out;
}
