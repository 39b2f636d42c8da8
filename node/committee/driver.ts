/**
 * A committee member on a node (docs/committee.md): wires the member's rules (./member.ts) to the
 * node's tangle, clock and key, and to the peers that carry its messages. Used when the node holds
 * the key of a member of a committee that needs more than one signature; a committee of one keeps
 * the coordinator (../coordinator.ts), which is the same thing with nobody to ask.
 *
 * What the node provides the rules:
 *   - build: the previous milestone, the top of the checkpoints it sweeps every unconfirmed tip
 *     into (../checkpoints.ts) and URTS tips as parents (eight at most), white flag over them, the
 *     previous milestone's id and the ledger root after them (as the coordinator builds);
 *   - check: the same computation for a proposal's parents, once they are here (asked of the peers
 *     by gossip; a proposal whose parents do not arrive within half a round is not signed), and a
 *     timestamp between the previous milestone's and a little past this node's clock;
 *   - submit: the milestone transaction, signed by this member's key and stamped, submitted to the
 *     node, which stores, applies and gossips it like any milestone;
 *   - the sign guard's file in the data directory.
 */
import { attach, milestonePayload, signTransaction, stampSync } from "../../client/protocol/build";
import { equalBytes, fromHex, toHex } from "../../client/protocol/bytes";
import { milestoneEssence, MilestoneFields, MilestoneSignature } from "../../client/protocol/payloads/milestone";
import { ed25519 } from "../../client/protocol/ed25519";
import { keyPairFromSeed, KeyPair } from "../../client/protocol/keys";
import { ID_BYTES, PROTOCOL_VERSION } from "../../client/protocol/limits";
import { signingHash } from "../../client/protocol/codec";
import { verifyEd25519 } from "../crypto/ed25519";
import { Code } from "../../client/protocol/codes";
import { milestonePayloadFor } from "../ledger/whiteflag";
import { requiredDifficulty } from "../validation/pipeline";
import type { TangleNode } from "../tangle-node";
import type { MilestoneEvent } from "../events";
import { MilestoneCheckpoints } from "../checkpoints";
import { CommitteeMember, CommitteeMessage } from "./member";
import { SignGuard } from "./sign-guard";
import { defaultRoundTimeoutMs } from "./rounds";
import { ChangeQueue, proposalChangeVerdict } from "./change-queue";

export interface CommitteeDriverOptions {
  dataDir: string;
  intervalMs: number;
  /** A round's length after the first (default: rounds.ts defaultRoundTimeoutMs). */
  roundTimeoutMs?: number;
  /**
   * The committee change an operator queued on this node (./change-queue.ts): proposed in this
   * member's rounds while the chain allows a change, and the only change it signs.
   */
  changes?: ChangeQueue;
  /** Sends a committee message to every peer. */
  broadcast(m: CommitteeMessage<MilestoneFields>): void;
  log?(event: string, details: Record<string, unknown>, debug?: boolean): void;
}

/** How far past this node's clock a proposal's timestamp may be. */
export const MAX_PROPOSAL_CLOCK_AHEAD_MS = 10_000;

export class CommitteeDriver {
  private readonly keys: KeyPair;
  /** The proposer sweeps every unconfirmed tip into checkpoints before it builds (../checkpoints.ts). */
  private readonly checkpoints: MilestoneCheckpoints;
  readonly member: CommitteeMember<MilestoneFields>;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  // Rounds are timed from the previous milestone's own timestamp, which every node reads alike (a
  // member that restarted, or synced, counts the same rounds as the others: docs/committee.md).
  private readonly onMilestone = (e: MilestoneEvent) => {
    this.member.advance(e.index + 1, e.timestamp);
    this.schedule();
  };

  constructor(
    private readonly node: TangleNode,
    seed: Uint8Array,
    private readonly opts: CommitteeDriverOptions,
  ) {
    this.keys = keyPairFromSeed(seed);
    this.checkpoints = new MilestoneCheckpoints(node, this.keys);
    const publicKey = toHex(this.keys.publicKey);
    const networkId = node.params.networkId;
    const roundTimeoutMs = opts.roundTimeoutMs ?? defaultRoundTimeoutMs(opts.intervalMs);
    this.member = new CommitteeMember<MilestoneFields>(
      {
        publicKey,
        sign: (h) => ed25519.sign(h, this.keys.secretKey),
        committee: (index) => node.committees.at(index),
        guard: SignGuard.open(opts.dataDir),
        essenceHash: (parents, fields) => signingHash(milestoneEssence(PROTOCOL_VERSION, networkId, parents, fields)),
        build: async (index) => this.build(index),
        check: async (parents, fields) => this.check(parents, fields, roundTimeoutMs / 2),
        verify: verifyEd25519,
        broadcast: (m) => opts.broadcast(m),
        submit: (parents, fields, signatures) => this.submit(parents, fields, signatures),
        now: () => node.now(),
        log: opts.log,
      },
      { intervalMs: opts.intervalMs, roundTimeoutMs },
    );
  }

  get publicKey(): Uint8Array {
    return this.keys.publicKey;
  }

  start(): void {
    this.node.on("milestone", this.onMilestone);
    // Before milestone 1 there is no timestamp every node shares: rounds are counted from the Unix
    // epoch then, so members started at different times still agree on whose round it is.
    const latest = this.node.latestMilestone;
    this.member.advance(this.node.ledgerIndex + 1, latest && latest.index === this.node.ledgerIndex ? latest.timestamp : 0);
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.node.off("milestone", this.onMilestone);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The node got a peer after having none (peering calls it). */
  peersConnected(nowMs: number): void {
    this.member.peersConnected(nowMs);
  }

  /** A committee message from a peer; whether it was valid (the peers pass on only valid ones). */
  receive(m: CommitteeMessage<MilestoneFields>): Promise<boolean> {
    return this.member.receive(m);
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    const now = this.node.now();
    const at = this.member.nextActionMs(now);
    const wait = Number.isFinite(at) ? Math.max(0, at - now) : this.opts.intervalMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.member
        .tick(this.node.now())
        .catch((err: Error) => this.opts.log?.("committee round failed", { err: err.message }))
        .finally(() => this.schedule());
    }, Math.min(wait, 60_000) + 1);
  }

  private async parentsFor(): Promise<Uint8Array[]> {
    const node = this.node;
    const chosen = new Set<string>();
    if (node.latestMilestone) chosen.add(node.latestMilestone.id);
    for (const t of await this.checkpoints.sweep(8 - chosen.size, (err) => this.opts.log?.("checkpoints failed", { err: err.message }))) chosen.add(t);
    for (const t of node.selectParents(7)) if (chosen.size < 8) chosen.add(t);
    return [...chosen].sort().map((h) => fromHex(h));
  }

  private fieldsFor(index: number, parents: readonly Uint8Array[], timestamp: number): MilestoneFields {
    const node = this.node;
    const wf = node.whiteFlag(index, parents);
    // The queued committee change, when the chain allows one at this index (check compares it apart).
    const committeeChange = this.opts.changes?.forMilestone(index, (c) => node.committees.checkChange(index, c).ok);
    return {
      ...milestonePayloadFor(wf, timestamp),
      previousMilestoneId: node.latestMilestone ? fromHex(node.latestMilestone.id) : new Uint8Array(ID_BYTES),
      ledgerRoot: node.ledgerRootAfter(wf),
      ...(committeeChange ? { committeeChange } : {}),
    };
  }

  private async build(index: number): Promise<{ parents: Uint8Array[]; fields: MilestoneFields } | undefined> {
    if (this.node.closed || this.node.diverged || !this.node.writable || this.node.ledgerIndex + 1 !== index) return undefined;
    const parents = await this.parentsFor();
    if (this.node.ledgerIndex + 1 !== index) return undefined;
    return { parents, fields: this.fieldsFor(index, parents, this.node.now()) };
  }

  private async check(parents: readonly Uint8Array[], fields: MilestoneFields, waitMs: number): Promise<{ ok: true } | { ok: false; reason: string; transient?: boolean }> {
    const node = this.node;
    if (node.ledgerIndex + 1 !== fields.index) return { ok: false, reason: `this node's ledger is at ${node.ledgerIndex}`, transient: true };
    // A change only when it is exactly the one queued here (not queued yet: transient, the operator may be about to).
    const change = proposalChangeVerdict(this.opts.changes?.queued, fields.index, fields.committeeChange, node.committees.checkChange(fields.index, fields.committeeChange));
    if (!change.ok) return change;
    const latest = node.latestMilestone;
    if (latest && fields.timestamp < latest.timestamp) return { ok: false, reason: "timestamp before the previous milestone's" };
    if (fields.timestamp > node.now() + MAX_PROPOSAL_CLOCK_AHEAD_MS) return { ok: false, reason: "timestamp ahead of this node's clock" };
    // The parents come by gossip (the proposer has them); those not here yet are asked of the peers.
    const until = node.now() + waitMs;
    const here = (h: string) => node.isEntryPoint(h) || node.window.recent.has(h) || node.hasTransaction(h);
    let asked = false;
    for (;;) {
      const missing = parents.map(toHex).filter((h) => !here(h));
      if (!missing.length) break;
      if (node.now() >= until) return { ok: false, reason: `${missing.length} parent(s) not here`, transient: true };
      if (!asked) node.requestTransactions(missing);
      asked = true;
      await new Promise((r) => setTimeout(r, 20));
    }
    // White flag over a cone not all here yet (ERR_TX_NOT_SOLID: a burst still arriving, asked of
    // the peers by the solidifier) is tried again until the same deadline: giving up at once cost
    // the round, 1.75 s, whenever a proposal outran the transactions it confirms.
    let mine: MilestoneFields;
    for (;;) {
      try {
        mine = this.fieldsFor(fields.index, parents, fields.timestamp);
        break;
      } catch (err) {
        const notSolid = (err as { code?: unknown }).code === Code.ERR_TX_NOT_SOLID;
        if (!notSolid || node.now() >= until || node.ledgerIndex + 1 !== fields.index) return { ok: false, reason: (err as Error).message, transient: notSolid };
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    for (const f of ["previousMilestoneId", "confirmedMerkleRoot", "ledgerStateHash", "ledgerRoot"] as const) {
      if (!equalBytes(mine[f], fields[f])) return { ok: false, reason: `${f} differs from this node's` };
    }
    return { ok: true };
  }

  private async submit(parents: Uint8Array[], fields: MilestoneFields, signatures: MilestoneSignature[]): Promise<void> {
    const node = this.node;
    const payload = milestonePayload(fields, signatures);
    const signed = signTransaction({ version: PROTOCOL_VERSION, networkId: node.params.networkId, issuer: this.keys.publicKey, payload }, this.keys.secretKey);
    const bytes = attach(signed, parents, node.now());
    stampSync(bytes, requiredDifficulty(bytes.length, node.params.baseDifficulty));
    try {
      await node.submit(bytes, { source: "committee" });
    } catch (err) {
      this.opts.log?.("milestone not taken", { index: fields.index, err: (err as Error).message });
    }
  }
}
