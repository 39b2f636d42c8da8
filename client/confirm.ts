/**
 * Waiting for confirmation, with automatic reattachment.
 *
 * Every attachment of one signed essence spends the same inputs, so whichever the milestones reach
 * first is the one that counts and every other is left conflicting: reattaching can delay a
 * transfer but never send its value twice. The tracker therefore reattaches freely when
 *   - the node says `shouldReattach` (the attachment is lazy or left the node's window), or
 *   - `reattachAfterMilestones` milestones passed without confirming it,
 * and keeps listening to every attachment it made (`tx:<id>` topics), while checking their metadata
 * on each milestone, so a push missed during a reconnection is caught up.
 */
import type { ApiClient } from "./api/client";
import { isTransient, TangleClientError } from "./api/errors";
import { Code } from "./protocol/codes";
import type { Subscription } from "./api/subscription";
import type { ConflictReason, MilestonePush, TxConfirmedPush } from "./api/types";
import type { SignedEssence } from "./protocol/build";
import { attachAndSubmit, AttachEvent, AttachOptions } from "./attach";

export interface ConfirmOptions {
  /** Reattach after this many milestones without confirmation (default 5). */
  reattachAfterMilestones?: number;
  /** Stop waiting after this long; resolves with `confirmed: false` (default 60000 ms). */
  timeoutMs?: number;
  /** Reattachments at most (default 10). */
  maxReattachments?: number;
  /** Options for the reattachments (PoW engine, parent age bound, …). */
  attach?: AttachOptions;
  signal?: AbortSignal;
  onEvent?: (e: ConfirmEvent) => void;
}

export type ConfirmEvent =
  | { type: "milestone"; index: number; waited: number }
  | { type: "reattach"; reason: string; previous: string }
  | { type: "reattached"; id: string }
  | { type: "attach"; event: AttachEvent }
  | { type: "confirmed"; id: string; milestoneIndex: number; conflict: ConflictReason | null };

export interface ConfirmResult {
  confirmed: boolean;
  /** The attachment that was confirmed and applied (else the latest one). */
  id: string;
  /** Every attachment made, first one first. */
  attachments: string[];
  milestoneIndex: number | null;
  /** Set when every confirmed attachment was left without effect (e.g. its inputs were spent elsewhere). */
  conflict: ConflictReason | null;
}

type Ev = { kind: "tx"; data: TxConfirmedPush } | { kind: "milestone"; data: MilestonePush } | { kind: "reconnect" } | { kind: "wake" };

/** Waits until one attachment of `signed` (first attachment: `firstId`) is confirmed; see the file comment. */
export async function confirmWithReattach(client: ApiClient, signed: SignedEssence, firstId: string, opts: ConfirmOptions = {}): Promise<ConfirmResult> {
  const reattachAfter = opts.reattachAfterMilestones ?? 5;
  const maxReattachments = opts.maxReattachments ?? 10;
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const attachments: string[] = [];
  const subs: Subscription<unknown>[] = [];
  const conflicts = new Map<string, { milestoneIndex: number; conflict: ConflictReason | null }>();
  const events: Ev[] = [];
  let wake: (() => void) | undefined;
  const push = (e: Ev) => {
    events.push(e);
    wake?.();
  };
  const offReconnect = client.on("reconnect", () => push({ kind: "reconnect" }));
  const onAbort = () => push({ kind: "wake" });
  opts.signal?.addEventListener("abort", onAbort, { once: true });

  const track = async (id: string) => {
    attachments.push(id);
    const s = await client.subscribe(`tx:${id}`);
    s.on((data) => push({ kind: "tx", data }));
    subs.push(s as Subscription<unknown>);
  };

  let result: ConfirmResult | undefined;
  /** Records a confirmation; returns the final result once it is decided. */
  const settle = (id: string, milestoneIndex: number, conflict: ConflictReason | null): ConfirmResult | undefined => {
    if (conflicts.has(id)) return undefined;
    conflicts.set(id, { milestoneIndex, conflict });
    opts.onEvent?.({ type: "confirmed", id, milestoneIndex, conflict });
    if (conflict === null) return { confirmed: true, id, attachments, milestoneIndex, conflict: null };
    // A conflicting attachment: fine if another one applied (it is then confirmed by the same or an
    // earlier milestone, and its metadata says so). Decided once every attachment is confirmed.
    if (attachments.every((a) => conflicts.has(a))) {
      const applied = attachments.find((a) => conflicts.get(a)!.conflict === null);
      if (applied) return { confirmed: true, id: applied, attachments, milestoneIndex: conflicts.get(applied)!.milestoneIndex, conflict: null };
      return { confirmed: true, id, attachments, milestoneIndex, conflict };
    }
    return undefined;
  };

  /** Asks the node about every attachment not known to be confirmed; may reattach. */
  let sinceAttach = 0;
  const check = async (): Promise<ConfirmResult | undefined> => {
    let latestShouldReattach = false;
    for (const id of attachments) {
      if (conflicts.has(id)) continue;
      let meta;
      try {
        meta = await client.getTransactionMetadata(id);
      } catch (err) {
        if (isTransient(err) || (err as { code?: string }).code === Code.ERR_NOT_FOUND) continue;
        throw err;
      }
      if (meta.confirmedBy !== null) {
        const r = settle(id, meta.confirmedBy, meta.conflict);
        if (r) return r;
      } else if (id === attachments[attachments.length - 1]) latestShouldReattach = meta.shouldReattach;
    }
    const due = latestShouldReattach ? "the node says shouldReattach" : sinceAttach >= reattachAfter ? `${sinceAttach} milestones without confirmation` : undefined;
    if (due && attachments.length <= maxReattachments && !conflicts.has(attachments[attachments.length - 1])) {
      opts.onEvent?.({ type: "reattach", reason: due, previous: attachments[attachments.length - 1] });
      const a = await attachAndSubmit(client, signed, { ...opts.attach, signal: opts.signal, onEvent: (event) => opts.onEvent?.({ type: "attach", event }) });
      if (!attachments.includes(a.id)) await track(a.id);
      sinceAttach = 0;
      opts.onEvent?.({ type: "reattached", id: a.id });
    }
    return undefined;
  };

  let milestones: Subscription<MilestonePush> | undefined;
  try {
    milestones = await client.subscribe("milestones");
    milestones.on((data) => push({ kind: "milestone", data }));
    await track(firstId);
    result = await check();
    while (!result) {
      if (opts.signal?.aborted) throw new TangleClientError(Code.ERR_CLIENT_ABORTED, "aborted");
      const left = deadline - Date.now();
      if (left <= 0) break;
      if (events.length === 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(left, 2000));
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
        // No event for a while (pushes may be lost): look anyway.
        if (events.length === 0) result = await check();
        continue;
      }
      const e = events.shift()!;
      if (e.kind === "tx") result = settle(e.data.id, e.data.confirmedBy, e.data.conflict);
      else if (e.kind === "milestone") {
        sinceAttach++;
        opts.onEvent?.({ type: "milestone", index: e.data.index, waited: sinceAttach });
        result = await check();
      } else if (e.kind === "reconnect") result = await check();
    }
    return result ?? { confirmed: false, id: attachments[attachments.length - 1], attachments, milestoneIndex: null, conflict: null };
  } finally {
    offReconnect();
    opts.signal?.removeEventListener("abort", onAbort);
    await Promise.all([milestones, ...subs].map((s) => s?.close().catch(() => undefined)));
  }
}

/** Waits for the confirmation of already submitted transactions, without reattaching. */
export async function waitForConfirmation(client: ApiClient, ids: string[], opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Map<string, { milestoneIndex: number; conflict: ConflictReason | null }>> {
  const done = new Map<string, { milestoneIndex: number; conflict: ConflictReason | null }>();
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const milestones = await client.subscribe("milestones");
  try {
    let next = milestones.next();
    for (;;) {
      for (const id of ids) {
        if (done.has(id)) continue;
        try {
          const m = await client.getTransactionMetadata(id);
          if (m.confirmedBy !== null) done.set(id, { milestoneIndex: m.confirmedBy, conflict: m.conflict });
        } catch (err) {
          if (!isTransient(err) && (err as { code?: string }).code !== Code.ERR_NOT_FOUND) throw err;
        }
      }
      if (done.size === ids.length) return done;
      const left = deadline - Date.now();
      if (left <= 0 || opts.signal?.aborted) return done;
      let t: ReturnType<typeof setTimeout> | undefined;
      const tick = await Promise.race([next.then(() => true), new Promise<boolean>((r) => (t = setTimeout(() => r(false), Math.min(left, 2000))))]);
      clearTimeout(t);
      if (tick) next = milestones.next();
    }
  } finally {
    await milestones.close();
  }
}
