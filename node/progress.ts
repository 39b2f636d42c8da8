/**
 * Whether the node is making progress (issue 15, defect 3): a node that stopped moving must say
 * so, on /health (503 "not making progress: …") and once in its log, instead of looking healthy.
 *
 * - A coordinator that has issued no milestone for STALL_INTERVALS intervals (at least 10 s)
 *   while it could (writable, not halted): coordinator.ts `stalled`.
 * - A node whose ledger index has not moved for `followStallMs` while a connected peer has proved
 *   a later milestone (peering's `bestKnownMilestone`, verified claims only).
 * - On a network whose committee needs more than one signature: no milestone while fewer than k
 *   members were seen signing lately (committee/watch.ts), on every node.
 *
 * A full disk, a halted ledger and damaged storage are reported by their own reasons first.
 */
import type { Coordinator } from "./coordinator";
import type { Logger } from "./logger";

export interface ProgressSources {
  now(): number;
  ledgerIndex(): number;
  /** Highest milestone index a connected peer proved (0 without peering). */
  bestKnownMilestone(): number;
  coordinator?: Pick<Coordinator, "stalled">;
  /** A committee that cannot sign (committee/watch.ts), on every node of a network with k > 1. */
  committee?: { stalled(): string | undefined };
}

export class ProgressWatch {
  private lastIndex: number;
  private lastMoveMs: number;
  private reported?: string;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly s: ProgressSources,
    /** How long a ledger may stay put while peers are ahead. */
    private readonly followStallMs: number,
  ) {
    this.lastIndex = s.ledgerIndex();
    this.lastMoveMs = s.now();
  }

  /** Why the node is not making progress, or undefined. */
  stalled(): string | undefined {
    const index = this.s.ledgerIndex();
    const now = this.s.now();
    const best = this.s.bestKnownMilestone();
    if (index !== this.lastIndex || best <= index) {
      this.lastIndex = index;
      this.lastMoveMs = now;
    }
    const committee = this.s.committee?.stalled();
    if (committee) return `not making progress: ${committee}`;
    const coordinator = this.s.coordinator?.stalled();
    if (coordinator) return `not making progress: ${coordinator}`;
    if (best > index && now - this.lastMoveMs > this.followStallMs) {
      return `not making progress: ledger at milestone ${index} for ${Math.round((now - this.lastMoveMs) / 1000)} s while peers proved milestone ${best}`;
    }
    return undefined;
  }

  /** Checks every `everyMs`, logging a warning on entering the state and a line on leaving it. */
  start(log: Logger, everyMs = 1000): void {
    this.timer = setInterval(() => {
      const why = this.stalled();
      if (why && !this.reported) log.warn({ ledgerIndex: this.s.ledgerIndex() }, why);
      else if (!why && this.reported) log.info({ ledgerIndex: this.s.ledgerIndex() }, "making progress again");
      this.reported = why;
    }, everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
