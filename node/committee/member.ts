/**
 * One committee member's part in producing milestone after milestone (docs/committee.md): it
 * proposes in its rounds, checks and signs the others' proposals, gathers signatures, and hands a
 * milestone with k signatures to its node to attach. Transport, clock, the node's white flag and
 * the signature scheme are passed in, so the rules run the same in a test with four members in one
 * process as in four node processes.
 *
 * Per index (the one after the node's latest applied milestone) it keeps the proposals it has
 * seen, by essence hash, each with the signatures gathered for it so far. The rules:
 *
 *   - In its round (rounds.ts) a member proposes once. If it signed a proposal at this index
 *     already, it proposes that one again (the sign guard lets it sign nothing else); otherwise, if
 *     others signed a proposal it can check, it joins the one with the most signatures; only then
 *     does it build a new one. So a proposer that fails after some members signed costs a round,
 *     not the index. It builds a new one in a round after the first only if it was listening
 *     (working on the index, with a peer) when that round's announcements went out; otherwise it
 *     passes the round (a member restarted mid-index would split the members).
 *   - Proposing does not bind: the proposer asks with a proposal signature (proposal.ts) and signs
 *     the essence itself only once the others' signatures are one short of k (or if it signed it
 *     before), so proposals nobody could check leave nobody locked.
 *   - It signs a proposal only after its node computed the same fields for the same parents
 *     (`check`), and only with the sign guard's permission (written down before the signature
 *     leaves: sign-guard.ts).
 *   - A proposal counts only with its round's proposer's proposal signature, or (an announcement)
 *     at least one valid member signature: a non-member cannot make members work; every signature
 *     is checked over the essence hash it names.
 *   - The proposer of the round under way, holding k signatures for the essence it proposed
 *     (re-proposing counts), submits the milestone; nobody else does (one milestone transaction
 *     per index). If the round ends first, the next round's proposer joins that essence, which is
 *     complete, and submits it.
 *
 * Safety (never two valid milestones at one index) rests on the sign guard: two essences both
 * reaching k would need 2k - n members to sign both. Liveness has a known gap, written in
 * docs/committee.md: members split between two essences with neither reaching k (a partition
 * during a round) cannot move without an operator.
 */
import { fromHex, toHex } from "../../client/protocol/bytes";
import { CommitteeKeys, MemberSignature, SignatureCollector } from "./collector";
import { nextTurn, proposerOf, roundAt, roundDueMs, RoundTiming } from "./rounds";
import { proposalSigningHash } from "./proposal";

/** What a member needs of its node and the network. `F` is the milestone's signed fields. */
export interface MemberDeps<F extends { index: number }> {
  /** This member's public key (hex) and its Ed25519 signature over 32 bytes (an essence hash, a proposal's hash). */
  publicKey: string;
  sign(hash: Uint8Array): Uint8Array;
  /** The committee in force at an index. */
  committee(index: number): CommitteeKeys;
  /** The sign guard (sign-guard.ts): the last index and essence signed; permission to sign (throws when refused). */
  guard: { readonly lastSigned: { index: number; essenceHash: string } | undefined; permit(index: number, essenceHash: string): void };
  /** H(milestone essence) of fields attached to parents. */
  essenceHash(parents: readonly Uint8Array[], fields: F): Uint8Array;
  /** A new proposal for `index` from this node's tangle (parents and fields), or undefined if it cannot now. */
  build(index: number): Promise<{ parents: Uint8Array[]; fields: F } | undefined>;
  /**
   * Whether this node computes exactly `fields` for these parents (white flag, roots, state).
   * `transient`: it cannot tell yet (parents or their cone not here, its ledger behind): asked again later.
   */
  check(parents: readonly Uint8Array[], fields: F): Promise<{ ok: true } | { ok: false; reason: string; transient?: boolean }>;
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean;
  /** Sends a message to the other members (through the peers: gossip). */
  broadcast(m: CommitteeMessage<F>): void;
  /** Attaches the milestone: fields, parents and at least k signatures sorted by key. */
  submit(parents: Uint8Array[], fields: F, signatures: MemberSignature[]): Promise<void>;
  /** The clock rounds are timed by (milliseconds). */
  now(): number;
  /** Events worth a log line; `debug`: one per round or signature, for tracing only. */
  log?(event: string, details: Record<string, unknown>, debug?: boolean): void;
}

export type CommitteeMessage<F> =
  /**
   * A proposal: the milestone's fields and parents, and the signatures over its essence its sender
   * knows of. `proposerSignature`: the round's proposer asks for it (./proposal.ts); without it, a
   * member's announcement of what it signed, which must carry at least one signature.
   */
  | { t: "cprop"; round: number; parents: Uint8Array[]; fields: F; signatures: MemberSignature[]; proposerSignature?: Uint8Array }
  /** One member's signature over an essence hash. */
  | { t: "csig"; index: number; essenceHash: Uint8Array; publicKey: Uint8Array; signature: Uint8Array };

interface Known<F> {
  parents: Uint8Array[];
  fields: F;
  hash: Uint8Array;
  collector: SignatureCollector;
  /** Whether this node's check agreed (undefined: not checked yet). */
  checked?: boolean;
  /** The check under way, if one is (one at a time per proposal). */
  checking?: Promise<boolean>;
  /** This member proposed it (in some round). */
  mine: boolean;
  submitted: boolean;
}

/** Signatures kept for essences whose proposal has not arrived (per index, bounded). */
const MAX_EARLY_SIGNATURES = 256;
/** Valid messages for the index after the working one, kept until this member works on it. */
const MAX_AHEAD_MESSAGES = 64;

export class CommitteeMember<F extends { index: number }> {
  private index = 0;
  private since = 0;
  private readonly known = new Map<string, Known<F>>();
  private early: { hash: string; publicKey: string; signature: Uint8Array }[] = [];
  /**
   * Valid messages for the next index, which arrive before this member applied the milestone
   * before it: the proposer of the next index, which applied it first, proposes at once, and a
   * proposal dropped here would never come again (it is sent once), costing a round.
   */
  private ahead: CommitteeMessage<F>[] = [];
  private proposedRound = -1;
  private announcedRound = 0;
  private busy = false;
  /** When this member began working on the index, and when its node last got a peer after having none (its clock). */
  private advancedMs = 0;
  private connectedMs = 0;

  constructor(
    private readonly deps: MemberDeps<F>,
    private readonly timing: RoundTiming,
  ) {}

  /** The index this member works on. */
  get workingIndex(): number {
    return this.index;
  }

  /** Proposals seen for the working index, with how many signatures each has. */
  proposals(): { essenceHash: string; signatures: number; mine: boolean }[] {
    return [...this.known.values()].map((k) => ({ essenceHash: toHex(k.hash), signatures: k.collector.count, mine: k.mine }));
  }

  /**
   * Work on `index` from now; its rounds are timed from `atMs`: the timestamp of milestone
   * `index - 1` (the same on every node), or 0 (the Unix epoch) for index 1, which every node
   * shares too.
   */
  advance(index: number, atMs: number): void {
    if (index <= this.index) return;
    this.index = index;
    this.since = atMs;
    this.advancedMs = this.deps.now();
    this.known.clear();
    this.early = [];
    this.proposedRound = -1;
    this.announcedRound = 0;
    const now = this.ahead.filter((m) => indexOf(m) === index);
    this.ahead = this.ahead.filter((m) => indexOf(m) > index);
    for (const m of now) void this.receive(m);
  }

  /**
   * The node got a peer after having none (it started, or was cut off): announcements sent before
   * may not have reached it (see `propose`).
   */
  peersConnected(nowMs: number): void {
    this.connectedMs = Math.max(this.connectedMs, nowMs);
  }

  private members(): CommitteeKeys {
    return this.deps.committee(this.index);
  }

  private myPosition(): number {
    return this.members().members.indexOf(this.deps.publicKey);
  }

  /** How long the proposer of a round after the first waits, once it is due, for the others' announcements. */
  private get gatherMs(): number {
    return Math.floor(this.timing.roundTimeoutMs / 2);
  }

  /** When this member should next act (announce or propose) at the working index, by the caller's clock. */
  nextActionMs(nowMs: number): number {
    const me = this.myPosition();
    if (me < 0 || this.index === 0) return Infinity;
    const turn = nextTurn(me, this.index, this.members().members.length, nowMs, this.since, this.timing);
    const next = roundAt(nowMs, this.since, this.timing) + 1;
    return Math.min(turn.atMs + (turn.round > 0 ? this.gatherMs : 0), this.since + this.timing.intervalMs + next * this.timing.roundTimeoutMs);
  }

  /**
   * Called by the driver's timer. When a round after the first begins, a member that signed at this
   * index announces what it signed (with the signatures it knows), so that the round's proposer,
   * which waits `gatherMs` before it acts, joins it instead of splitting the members. Then the
   * round's proposer proposes, once per round.
   */
  async tick(nowMs: number): Promise<void> {
    if (this.busy || this.index === 0) return;
    const me = this.myPosition();
    if (me < 0) return;
    const { members } = this.members();
    const round = roundAt(nowMs, this.since, this.timing);
    if (nowMs < this.since + this.timing.intervalMs) return;
    if (round > this.announcedRound) {
      this.announcedRound = round;
      const signed = this.deps.guard.lastSigned;
      const k = signed && signed.index === this.index ? this.known.get(signed.essenceHash) : undefined;
      if (k) this.deps.broadcast({ t: "cprop", round, parents: k.parents, fields: k.fields, signatures: k.collector.signatures() });
    }
    if (proposerOf(this.index, round, members.length) !== me || this.proposedRound >= round) return;
    if (round > 0 && nowMs < this.since + this.timing.intervalMs + round * this.timing.roundTimeoutMs + this.gatherMs) return;
    this.busy = true;
    try {
      this.proposedRound = round;
      await this.propose(round);
    } finally {
      this.busy = false;
    }
  }

  private async propose(round: number): Promise<void> {
    const index = this.index;
    const signed = this.deps.guard.lastSigned;
    let pick: Known<F> | undefined;
    if (signed && signed.index === index) {
      pick = this.known.get(signed.essenceHash);
      // Signed before a restart, its proposal not seen since: nothing else may be proposed; wait for it to come round again.
      if (!pick) return this.deps.log?.("waiting for the proposal it signed", { index, essenceHash: signed.essenceHash });
    } else {
      // Join the proposal others signed most, if this node agrees with it. One that two or more
      // members signed but this node cannot check yet (its parents not here) is not answered with
      // a new essence: that could split the members; this round passes, the next may join it.
      const candidates = [...this.known.values()].filter((k) => k.collector.count > 0).sort((a, b) => b.collector.count - a.collector.count);
      let undecided: Known<F> | undefined;
      for (const k of candidates) {
        if (await this.agrees(k)) {
          pick = k;
          break;
        }
        if (k.checked === undefined && k.collector.count >= 2) undecided ??= k;
      }
      if (!pick && undecided) return this.deps.log?.("passing the round: a proposal others signed cannot be checked here yet", { index, round, essenceHash: toHex(undecided.hash), signatures: undecided.collector.count });
      // A member that began listening after this round's announcements went out (it advanced to
      // the index late, was restarted, or had no peer) may not know what the others signed: a new
      // essence could split them. It passes; the next round's proposer heard them.
      const listeningMs = Math.max(this.advancedMs, this.connectedMs);
      if (!pick && round > 0 && listeningMs > roundDueMs(round, this.since, this.timing)) {
        return this.deps.log?.("passing the round: this member was not listening when the round's announcements went out", { index, round });
      }
      if (!pick) {
        const built = await this.deps.build(index);
        if (!built || this.index !== index) return;
        const since = this.deps.guard.lastSigned;
        if (since && since.index === index) {
          // It signed another member's proposal while building its own: that one, then.
          pick = this.known.get(since.essenceHash);
          if (!pick) return;
        } else {
          pick = this.remember(built.parents, built.fields);
          pick.checked = true;
        }
      }
    }
    if (this.index !== index) return;
    pick.mine = true;
    this.deps.log?.("proposing", { index, round, essenceHash: toHex(pick.hash), signatures: pick.collector.count }, true);
    // Proposing does not bind: the proposer signs the essence (below, bindIfDue) only once the
    // others' signatures make it complete, or if it signed it before.
    if (this.deps.guard.lastSigned?.index === index && this.deps.guard.lastSigned.essenceHash === toHex(pick.hash)) this.signIfAllowed(pick);
    const proposerSignature = this.deps.sign(proposalSigningHash(round, pick.hash));
    this.deps.broadcast({ t: "cprop", round, parents: pick.parents, fields: pick.fields, signatures: pick.collector.signatures(), proposerSignature });
    await this.settle(pick);
  }

  /** A message from another member (through the peers). Returns whether it was valid (worth relaying). */
  async receive(m: CommitteeMessage<F>): Promise<boolean> {
    if (this.index > 0 && indexOf(m) === this.index + 1) return this.keepAhead(m);
    if (m.t === "csig") return this.receiveSignature(m.index, m.essenceHash, m.publicKey, m.signature);
    const index = m.fields.index;
    if (index !== this.index) return false;
    const hash = this.deps.essenceHash(m.parents, m.fields);
    const hashHex = toHex(hash);
    const { members } = this.members();
    // The round's proposer asking (its proposal signature), or at least one valid member
    // signature over the essence (an announcement): otherwise it is nobody's proposal.
    const proposer = members[proposerOf(index, m.round, members.length)];
    let fromProposer = false;
    if (m.proposerSignature !== undefined) {
      fromProposer = this.deps.verify(proposalSigningHash(m.round, hash), m.proposerSignature, fromHex(proposer, "public key"));
      if (!fromProposer) return false;
    }
    const probe = new SignatureCollector(this.members(), hash, this.deps.verify);
    for (const s of m.signatures) probe.add(toHex(s.publicKey), s.signature);
    if (!fromProposer && probe.count === 0) return false;
    const k = this.known.get(hashHex) ?? this.remember(m.parents, m.fields, hash);
    for (const s of m.signatures) k.collector.add(toHex(s.publicKey), s.signature);
    if (this.index !== index) return true;
    // Signed only when the proposer of its round asks, and that round is about now (a round apart
    // either way, for clocks that differ a little): another member's announcement of what it
    // signed only adds signatures, or unlocked members could split between two essences.
    const current = roundAt(this.deps.now(), this.since, this.timing);
    if (fromProposer && Math.abs(m.round - current) <= 1 && (await this.agrees(k))) this.signIfAllowed(k);
    await this.settle(k);
    return true;
  }

  /** A message for the next index: kept (bounded) if it is valid there, handled once this member works on it. */
  private keepAhead(m: CommitteeMessage<F>): boolean {
    const index = indexOf(m);
    const committee = this.deps.committee(index);
    let valid: boolean;
    if (m.t === "csig") valid = committee.members.includes(toHex(m.publicKey)) && this.deps.verify(m.essenceHash, m.signature, m.publicKey);
    else {
      const hash = this.deps.essenceHash(m.parents, m.fields);
      const proposer = committee.members[proposerOf(index, m.round, committee.members.length)];
      if (m.proposerSignature !== undefined) valid = this.deps.verify(proposalSigningHash(m.round, hash), m.proposerSignature, fromHex(proposer, "public key"));
      else {
        const probe = new SignatureCollector(committee, hash, this.deps.verify);
        for (const s of m.signatures) probe.add(toHex(s.publicKey), s.signature);
        valid = probe.count > 0;
      }
    }
    if (valid && this.ahead.length < MAX_AHEAD_MESSAGES) this.ahead.push(m);
    return valid;
  }

  private async receiveSignature(index: number, hash: Uint8Array, publicKey: Uint8Array, signature: Uint8Array): Promise<boolean> {
    if (index !== this.index) return false;
    const hashHex = toHex(hash);
    const key = toHex(publicKey);
    if (!this.members().members.includes(key) || !this.deps.verify(hash, signature, publicKey)) return false;
    const k = this.known.get(hashHex);
    if (!k) {
      if (this.early.length < MAX_EARLY_SIGNATURES && !this.early.some((e) => e.hash === hashHex && e.publicKey === key)) this.early.push({ hash: hashHex, publicKey: key, signature });
      return true;
    }
    // A repeat (it came inside a proposal too, or by another path) is valid, only not new.
    if (k.collector.add(key, signature) === "added") await this.settle(k);
    return true;
  }

  private remember(parents: Uint8Array[], fields: F, hash = this.deps.essenceHash(parents, fields)): Known<F> {
    const hashHex = toHex(hash);
    const k: Known<F> = { parents, fields, hash, collector: new SignatureCollector(this.members(), hash, this.deps.verify), mine: false, submitted: false };
    this.known.set(hashHex, k);
    for (const e of this.early.filter((x) => x.hash === hashHex)) k.collector.add(e.publicKey, e.signature);
    this.early = this.early.filter((x) => x.hash !== hashHex);
    return k;
  }

  /** This node's verdict on `k`: kept once definite; a transient "cannot tell yet" is asked again next time. */
  private async agrees(k: Known<F>): Promise<boolean> {
    if (k.checked !== undefined) return k.checked;
    // A proposal and its announcements arrive several times (from each peer): one check at a time.
    k.checking ??= (async () => {
      try {
        const c = await this.deps.check(k.parents, k.fields);
        if (c.ok || !c.transient) k.checked = c.ok;
        if (!c.ok) this.deps.log?.(c.transient ? "proposal not checkable yet" : "proposal refused", { index: k.fields.index, essenceHash: toHex(k.hash), reason: c.reason });
        return c.ok;
      } finally {
        k.checking = undefined;
      }
    })();
    return k.checking;
  }

  /** Signs `k` if the guard allows; broadcasts the signature. */
  private signIfAllowed(k: Known<F>): void {
    if (this.myPosition() < 0 || k.collector.signers().includes(this.deps.publicKey)) return;
    const hashHex = toHex(k.hash);
    try {
      this.deps.guard.permit(k.fields.index, hashHex);
    } catch (err) {
      this.deps.log?.("not signed", { index: k.fields.index, essenceHash: hashHex, reason: (err as Error).message });
      return;
    }
    this.deps.log?.("signing", { index: k.fields.index, essenceHash: hashHex }, true);
    const signature = this.deps.sign(k.hash);
    k.collector.add(this.deps.publicKey, signature);
    this.deps.broadcast({ t: "csig", index: k.fields.index, essenceHash: k.hash, publicKey: fromHex(this.deps.publicKey, "public key"), signature });
  }

  /** After `k` gained signatures: the proposer's own signature if now due, then the milestone if complete. */
  private async settle(k: Known<F>): Promise<void> {
    await this.bindIfDue(k);
    await this.maybeSubmit(k);
  }

  /**
   * A proposer signs the essence it proposed once the other members' signatures are one short of
   * the threshold (its own completes it), if its node agrees: before that its proposal binds
   * nobody, so proposals that the others cannot check yet (a burst still arriving) leave no member
   * locked to an essence that cannot complete.
   */
  private async bindIfDue(k: Known<F>): Promise<void> {
    if (!k.mine || this.index !== k.fields.index || k.collector.signers().includes(this.deps.publicKey)) return;
    if (k.collector.count < this.members().threshold - 1) return;
    if (await this.agrees(k)) this.signIfAllowed(k);
  }

  /**
   * Submits `k` once complete, only by the proposer of the round under way that proposed it: two
   * members submitting one essence would make two milestone transactions (other issuers, other
   * signature sets) for one index, and nodes applying different ones would disagree on the next
   * milestone's previous id and merkle root. A completion that arrives in another member's round
   * waits for that member, which joins the complete essence and submits it.
   */
  private async maybeSubmit(k: Known<F>): Promise<void> {
    if (!k.mine || k.submitted || !k.collector.complete || this.index !== k.fields.index) return;
    const { members } = this.members();
    if (members[proposerOf(this.index, roundAt(this.deps.now(), this.since, this.timing), members.length)] !== this.deps.publicKey) return;
    k.submitted = true;
    await this.deps.submit(k.parents, k.fields, k.collector.signatures());
  }
}

/** The index a committee message is for. */
function indexOf<F extends { index: number }>(m: CommitteeMessage<F>): number {
  return m.t === "csig" ? m.index : m.fields.index;
}
