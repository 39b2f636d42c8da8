/**
 * A committee change an operator queued on a member's node (docs/committee.md, "Changing the
 * committee"): the committee that should be in force from `effectiveIndex` on. The node's
 * proposer puts it into the next milestone it builds while the chain of committees allows a
 * change there; the node's member signs a proposal carrying a change only when the change is
 * exactly the one queued here. It is kept in the data directory (`committee-change.json`, replaced
 * atomically like the sign guard's record) so a restart keeps it, cleared once a milestone carrying
 * exactly it was applied, and stale, reported once in the log and in the status, when the ledger
 * went so far that no milestone can carry it any more.
 *
 * `validateChange`, `sameChange` and `proposalChangeVerdict` are the pure rules; `ChangeQueue`
 * adds the file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fromHex, toHex } from "../../client/protocol/bytes";
import { Code, CodedError } from "../../client/protocol/codes";
import { MAX_COMMITTEE_MEMBERS } from "../../client/protocol/limits";
import { thresholdAllowed, type CommitteeChange } from "../../client/protocol/payloads";
import { writeDurably } from "./sign-guard";

export const CHANGE_QUEUE_FILE = "committee-change.json";

/** The largest milestone index (u32 on the wire). */
const MAX_INDEX = 0xffffffff;

/** A queued change as the operator gave it: members as lowercase hex, in proposer order. */
export interface QueuedChange {
  members: string[];
  threshold: number;
  effectiveIndex: number;
}

export class ChangeQueueError extends CodedError {
  override name = "ChangeQueueError";
}

const HEX32 = /^[0-9a-fA-F]{64}$/;

/**
 * The payload's rules for a change (members 1..MAX_COMMITTEE_MEMBERS distinct 32-byte keys, n/2 <
 * threshold ≤ n) and an effective index a future milestone can carry: the next milestone is
 * `ledgerIndex + 1` and a change takes effect after the milestone that carries it, so
 * effectiveIndex ≥ ledgerIndex + 2. Throws a ChangeQueueError whose message names the field.
 */
export function validateChange(input: { members?: unknown; threshold?: unknown; effectiveIndex?: unknown }, ledgerIndex: number): QueuedChange {
  const { members, threshold, effectiveIndex } = input;
  if (!Array.isArray(members) || members.length < 1 || members.length > MAX_COMMITTEE_MEMBERS) {
    throw new ChangeQueueError(Code.ERR_COMMITTEE_CHANGE_MEMBERS, `members must be a list of 1..${MAX_COMMITTEE_MEMBERS} public keys`);
  }
  const keys: string[] = [];
  members.forEach((m, i) => {
    if (typeof m !== "string" || !HEX32.test(m)) throw new ChangeQueueError(Code.ERR_COMMITTEE_CHANGE_MEMBERS, `members[${i}] must be a public key of 64 hex characters`);
    const key = m.toLowerCase();
    if (keys.includes(key)) throw new ChangeQueueError(Code.ERR_COMMITTEE_CHANGE_MEMBERS, `members[${i}] repeats members[${keys.indexOf(key)}]`);
    keys.push(key);
  });
  if (typeof threshold !== "number" || !thresholdAllowed(threshold, keys.length)) {
    throw new ChangeQueueError(Code.ERR_COMMITTEE_CHANGE_THRESHOLD, `threshold must be an integer k with ${keys.length}/2 < k <= ${keys.length} (got ${String(threshold)})`);
  }
  if (typeof effectiveIndex !== "number" || !Number.isInteger(effectiveIndex) || effectiveIndex > MAX_INDEX || effectiveIndex < ledgerIndex + 2) {
    throw new ChangeQueueError(
      Code.ERR_COMMITTEE_CHANGE_INDEX,
      `effectiveIndex must be an integer from ${ledgerIndex + 2} (after the next milestone, ${ledgerIndex + 1}, which would carry the change) to ${MAX_INDEX} (got ${String(effectiveIndex)})`,
    );
  }
  return { members: keys, threshold, effectiveIndex };
}

/** Whether a milestone's change is exactly the queued one (members in the same order). */
export function sameChange(q: QueuedChange, c: { effectiveIndex: number; threshold: number; members: readonly (Uint8Array | string)[] }): boolean {
  const keys = c.members.map((m) => (typeof m === "string" ? m.toLowerCase() : toHex(m)));
  return q.effectiveIndex === c.effectiveIndex && q.threshold === c.threshold && keys.length === q.members.length && keys.every((k, i) => k === q.members[i]);
}

/** The wire form of a queued change. */
export function asCommitteeChange(q: QueuedChange): CommitteeChange {
  return { effectiveIndex: q.effectiveIndex, threshold: q.threshold, members: q.members.map((m) => fromHex(m)) };
}

export type ChangeVerdict = { ok: true } | { ok: false; reason: string; transient: boolean };

/**
 * Whether a member may sign a proposal for milestone `index` whose change is `change`: one without a
 * change always (a member that queued early does not hold the others up); one with a change only
 * when it is exactly the queued one. Not queued here, or queued otherwise, is `transient`: the
 * operator may queue it in a moment, and a proposal two members signed is then joined rather than
 * answered with another essence (member.ts). `chainAllows`: the chain of committees' verdict.
 */
export function proposalChangeVerdict(queued: QueuedChange | undefined, index: number, change: CommitteeChange | undefined, chainAllows: { ok: true } | { ok: false; message: string }): ChangeVerdict {
  if (!change) return { ok: true };
  if (!chainAllows.ok) return { ok: false, reason: chainAllows.message, transient: false };
  if (change.effectiveIndex <= index) return { ok: false, reason: `committee change effective at ${change.effectiveIndex}, not after milestone ${index}`, transient: false };
  if (!queued) return { ok: false, reason: "the proposal changes the committee and no change is queued on this node", transient: true };
  if (!sameChange(queued, change)) return { ok: false, reason: "the proposal's committee change differs from the one queued on this node", transient: true };
  return { ok: true };
}

function damaged(file: string, what: string): ChangeQueueError {
  return new ChangeQueueError(
    Code.ERR_COMMITTEE_CHANGE_DAMAGED,
    `the queued committee change (${file}) cannot be read: ${what}. Remove the file and queue the change again (tangle committee change)`,
  );
}

/** Parses the file's text; throws ERR_COMMITTEE_CHANGE_DAMAGED on anything but a valid change. */
export function parseQueuedChange(text: string, file: string): QueuedChange {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw damaged(file, "not JSON");
  }
  if (typeof v !== "object" || v === null || Object.keys(v).sort().join(",") !== "effectiveIndex,members,threshold") throw damaged(file, "not a record of {members, threshold, effectiveIndex}");
  try {
    return validateChange(v as QueuedChange, -1);
  } catch (err) {
    throw damaged(file, (err as Error).message);
  }
}

export interface ChangeQueueStatus {
  queued: QueuedChange | null;
  /** Why the queued change can no longer be carried, or null. */
  stale: string | null;
}

export class ChangeQueue {
  private staleReported = false;

  private constructor(
    private readonly file: string,
    private change: QueuedChange | undefined,
    private readonly log?: (message: string, details: Record<string, unknown>) => void,
  ) {}

  /** Reads the queue in `dataDir` (no file: nothing queued); a damaged file throws ERR_COMMITTEE_CHANGE_DAMAGED. */
  static open(dataDir: string, log?: (message: string, details: Record<string, unknown>) => void): ChangeQueue {
    const file = path.join(dataDir, CHANGE_QUEUE_FILE);
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return new ChangeQueue(file, undefined, log);
      throw damaged(file, (err as Error).message);
    }
    return new ChangeQueue(file, parseQueuedChange(text, file), log);
  }

  get queued(): QueuedChange | undefined {
    return this.change && { ...this.change, members: [...this.change.members] };
  }

  /** Validates and queues `input` (replacing any queued change) once it is on disk; nothing changes on a refusal. */
  queue(input: { members?: unknown; threshold?: unknown; effectiveIndex?: unknown }, ledgerIndex: number): QueuedChange {
    const next = validateChange(input, ledgerIndex);
    writeDurably(this.file, JSON.stringify(next) + "\n");
    this.change = next;
    this.staleReported = false;
    return this.queued!;
  }

  /** Removes the queued change; whether there was one. */
  cancel(): boolean {
    if (!this.change) return false;
    fs.rmSync(this.file, { force: true });
    this.change = undefined;
    return true;
  }

  /** Why the queued change can no longer be carried by a milestone (the next is ledgerIndex + 1), or undefined. */
  staleAt(ledgerIndex: number): string | undefined {
    const c = this.change;
    if (!c || c.effectiveIndex > ledgerIndex + 1) return undefined;
    return `the committee change queued for index ${c.effectiveIndex} was not carried by a milestone before it (the ledger is at ${ledgerIndex}); cancel it or queue it again with a later effective index`;
  }

  /**
   * The change to put into milestone `index`: the queued one, when it takes effect after `index` and
   * the chain allows a change there (`chainAllows`), else none.
   */
  forMilestone(index: number, chainAllows: (change: CommitteeChange) => boolean): CommitteeChange | undefined {
    const c = this.change;
    if (!c || c.effectiveIndex <= index) return undefined;
    const change = asCommitteeChange(c);
    return chainAllows(change) ? change : undefined;
  }

  /**
   * After milestone `ledgerIndex` was applied (and at open): clears the queued change once the chain
   * of committees holds exactly it (a milestone carrying it was applied); reports it stale, once,
   * when no milestone can carry it any more.
   */
  observe(ledgerIndex: number, epochs: readonly { fromIndex: number; members: readonly string[]; threshold: number }[]): void {
    const c = this.change;
    if (!c) return;
    if (epochs.some((e) => e.fromIndex > 1 && sameChange(c, { effectiveIndex: e.fromIndex, threshold: e.threshold, members: e.members }))) {
      this.cancel();
      this.log?.("committee: the queued change was applied; queue cleared", { effectiveIndex: c.effectiveIndex, threshold: c.threshold, members: c.members.length });
      return;
    }
    const stale = this.staleAt(ledgerIndex);
    if (stale && !this.staleReported) {
      this.staleReported = true;
      this.log?.(`committee: ${stale}`, { effectiveIndex: c.effectiveIndex, ledgerIndex });
    }
  }

  status(ledgerIndex: number): ChangeQueueStatus {
    return { queued: this.queued ?? null, stale: this.staleAt(ledgerIndex) ?? null };
  }
}
