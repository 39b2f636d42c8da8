/**
 * The node's events: one payload object per event, typed by one map, so a listener that expects
 * another shape fails to compile (as lodestar's chain emitter). The API server, peering, metrics
 * and the command line listen; only the node and its components emit.
 */
import { EventEmitter } from "node:events";
import type { Transaction } from "../client/protocol/codec";
import type { ConflictReason } from "./ledger/errors";
import type { Divergence, Milestone } from "../client/api/types";

/** A milestone as the node reports it (getMilestone, the `milestones` topic): the API's own type. */
export type MilestoneInfo = Milestone;

/** A milestone this node refused: its ledger differs; confirmation stops (the API's own type). */
export type { Divergence };

/** A transaction stored and in the window (gossip, pushes). */
export interface TransactionEvent {
  id: string;
  tx: Transaction;
  bytes: Uint8Array;
  /** The peer that sent it, if one did (gossip skips it). */
  source?: string;
}

/** A submission acknowledged as new (its write, and for a milestone its ledger changes, durable). */
export interface AcceptedEvent {
  id: string;
  tx: Transaction;
  source?: string;
}

/** A submission refused, at whatever stage, by its code. */
export interface RejectedEvent {
  code: string;
}

/** Parents a waiting transaction needs that nobody here is bringing (peering asks for them). */
export interface MissingEvent {
  ids: string[];
  /** The peer that sent the child, which should have them. */
  source?: string;
}

/** A milestone applied: what it confirmed, in white-flag order. */
export interface MilestoneEvent extends MilestoneInfo {
  includedIds: string[];
  conflicts: { id: string; reason: ConflictReason }[];
  /** When each included transaction arrived here, in `includedIds` order; NaN where not known in memory. */
  receivedMs: number[];
}

export interface NodeEvents {
  /** A submission came in (before any check). */
  received: void;
  rejected: RejectedEvent;
  accepted: AcceptedEvent;
  transaction: TransactionEvent;
  missing: MissingEvent;
  milestone: MilestoneEvent;
  diverged: Divergence;
  /** close() began. */
  closing: void;
}

type Args<T> = [T] extends [void] ? [] : [T];

/** An event emitter whose event names and payloads come from one map `E`. */
export class TypedEmitter<E> {
  private readonly emitter = new EventEmitter();

  on<K extends keyof E & string>(event: K, listener: (...payload: Args<E[K]>) => void): this {
    this.emitter.on(event, listener as (...a: unknown[]) => void);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: (...payload: Args<E[K]>) => void): this {
    this.emitter.once(event, listener as (...a: unknown[]) => void);
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: (...payload: Args<E[K]>) => void): this {
    this.emitter.off(event, listener as (...a: unknown[]) => void);
    return this;
  }

  listenerCount<K extends keyof E & string>(event: K): number {
    return this.emitter.listenerCount(event);
  }

  protected emit<K extends keyof E & string>(event: K, ...payload: Args<E[K]>): boolean {
    return this.emitter.emit(event, ...payload);
  }
}
