/**
 * Committee members producing milestones together (node/committee/member.ts): four members with
 * k = 3, real Ed25519 keys, real sign-guard files in temp directories, and the messages passed
 * between them in this process (the transport is the one part simulated: the peer protocol
 * carries the same messages between node processes). A milestone is "applied" when a member
 * submits one with k valid signatures; every member then works on the next index.
 *
 * What the node would compute is a deterministic function of the index and the parents here
 * (`value`), so a proposal with anything else in its fields is one the others' check refuses.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { blake2b256 } from "../../../core-wasm/src/blake2b";
import { toHex } from "../../../client/protocol/bytes";
import { ed25519 } from "../../../client/protocol/ed25519";
import { keyPairFromSeed } from "../../../client/protocol/keys";
import { compareKeys, MemberSignature } from "../../../node/committee/collector";
import { CommitteeMember, CommitteeMessage } from "../../../node/committee/member";
import { SignGuard } from "../../../node/committee/sign-guard";
import { verifyEd25519 } from "../../../node/crypto/ed25519";

interface Fields {
  index: number;
  value: string;
}

const enc = new TextEncoder();
const valueFor = (index: number, parents: readonly Uint8Array[]) => toHex(blake2b256(enc.encode(`${index}:${parents.map(toHex).join(",")}`)));
const essenceHash = (parents: readonly Uint8Array[], f: Fields) => blake2b256(enc.encode(`essence:${f.index}:${parents.map(toHex).join(",")}:${f.value}`));

const timing = { intervalMs: 250, roundTimeoutMs: 1000 };

interface Applied {
  index: number;
  essence: string;
  parents: Uint8Array[];
  fields: Fields;
  signatures: MemberSignature[];
  submitter: number;
  atMs: number;
}

class Net {
  readonly dirs: string[] = [];
  readonly keys = Array.from({ length: 4 }, () => keyPairFromSeed(randomBytes(32)));
  readonly pubs = this.keys.map((k) => toHex(k.publicKey));
  readonly members: (CommitteeMember<Fields> | undefined)[] = [];
  /** Members whose messages go nowhere and who get none (down or cut off). */
  readonly down = new Set<number>();
  readonly applied: Applied[] = [];
  readonly log: string[] = [];
  now = 1_000_000;
  /** A member's proposals use these fields instead of the computed ones (a faulty proposer). */
  lie?: number;
  /** Members whose node cannot check proposals yet (their parents not there): a transient "cannot tell". */
  readonly blind = new Set<number>();
  /** Members that send but receive nothing (cut off one way). */
  readonly deaf = new Set<number>();
  /** Members that apply milestones late: they go on to the next index only when `back` is called. */
  readonly lagging = new Set<number>();
  /** The essences (hex) each member sent a signature over, by "member:index". */
  readonly signedBy = new Map<string, Set<string>>();
  private queue: [number, CommitteeMessage<Fields>][] = [];

  constructor(readonly threshold = 3) {
    for (let i = 0; i < 4; i++) this.dirs.push(fs.mkdtempSync(path.join(os.tmpdir(), `member-${i}-`)));
    for (let i = 0; i < 4; i++) this.start(i);
  }

  start(i: number): void {
    const guard = SignGuard.open(this.dirs[i]);
    const m = new CommitteeMember<Fields>(
      {
        publicKey: this.pubs[i],
        sign: (h) => ed25519.sign(h, this.keys[i].secretKey),
        committee: () => ({ members: this.pubs, threshold: this.threshold }),
        guard,
        essenceHash,
        build: async (index) => {
          const parents = [randomBytes(32), randomBytes(32)].sort(compareKeys);
          return { parents, fields: { index, value: this.lie === i ? "made up" : valueFor(index, parents) } };
        },
        check: async (parents, f) =>
          this.blind.has(i) ? { ok: false, reason: "parents not here", transient: true } : f.value === valueFor(f.index, parents) ? { ok: true } : { ok: false, reason: "white flag differs" },
        verify: verifyEd25519,
        broadcast: (msg) => {
          if (this.down.has(i)) return;
          if (msg.t === "csig") {
            const at = `${i}:${msg.index}`;
            this.signedBy.set(at, (this.signedBy.get(at) ?? new Set()).add(toHex(msg.essenceHash)));
          }
          for (let j = 0; j < 4; j++) if (j !== i) this.queue.push([j, msg]);
        },
        submit: async (parents, fields, signatures) => {
          this.apply({ index: fields.index, essence: toHex(essenceHash(parents, fields)), parents, fields, signatures, submitter: i, atMs: this.now });
        },
        now: () => this.now,
        log: (event, d) => this.log.push(`${i} ${event} ${JSON.stringify(d)}`),
      },
      timing,
    );
    const latest = this.applied.at(-1);
    m.advance((latest?.index ?? 0) + 1, latest?.atMs ?? this.now);
    this.members[i] = m;
  }

  private apply(a: Applied): void {
    const latest = this.applied.at(-1)?.index ?? 0;
    if (a.index !== latest + 1) return; // a second copy of the same milestone: an ordinary transaction
    this.applied.push(a);
    this.members.forEach((m, j) => m && !this.down.has(j) && !this.lagging.has(j) && m.advance(a.index + 1, this.now));
  }

  /** Delivers every queued message (and what they cause), then lets every member's timer run. */
  async settle(): Promise<void> {
    for (let guard = 0; guard < 10_000; guard++) {
      const next = this.queue.shift();
      if (!next) break;
      const [to, msg] = next;
      if (this.down.has(to) || this.deaf.has(to)) continue;
      await this.members[to]?.receive(msg);
    }
  }

  async run(ms: number, stepMs = 50): Promise<void> {
    for (let t = 0; t < ms; t += stepMs) {
      this.now += stepMs;
      for (let i = 0; i < 4; i++) if (!this.down.has(i)) await this.members[i]?.tick(this.now);
      await this.settle();
    }
  }

  /** A member back after being down: it catches up with the milestones applied meanwhile (sync). */
  back(i: number): void {
    this.down.delete(i);
    const latest = this.applied.at(-1);
    if (latest) this.members[i]?.advance(latest.index + 1, latest.atMs);
  }

  cleanup(): void {
    for (const d of this.dirs) fs.rmSync(d, { recursive: true, force: true });
  }
}

/** Every applied milestone: k or more valid signatures of distinct members, sorted by key, over its essence. */
function expectValid(net: Net): void {
  net.applied.forEach((a, i) => {
    expect(a.index).toBe(i + 1);
    expect(a.signatures.length).toBeGreaterThanOrEqual(net.threshold);
    for (let j = 1; j < a.signatures.length; j++) expect(compareKeys(a.signatures[j - 1].publicKey, a.signatures[j].publicKey)).toBeLessThan(0);
    for (const s of a.signatures) {
      expect(net.pubs).toContain(toHex(s.publicKey));
      expect(verifyEd25519(essenceHash(a.parents, a.fields), s.signature, s.publicKey)).toBe(true);
    }
    expect(a.fields.value).toBe(valueFor(a.index, a.parents));
  });
}

let net: Net;
afterEach(() => net?.cleanup());

test("four members, k = 3: a milestone every interval, proposers in turn", async () => {
  net = new Net();
  await net.run(10 * 250 + 100);
  expect(net.applied.length).toBeGreaterThanOrEqual(9);
  expectValid(net);
  // Index i is proposed (and submitted) by member i mod 4 when nothing fails.
  for (const a of net.applied) expect(a.submitter).toBe(a.index % 4);
});

test("one member down: the others go on, losing one round timeout (and the gathering time) at each index it should propose", async () => {
  net = new Net();
  await net.run(1000);
  const before = net.applied.length;
  net.down.add(2);
  await net.run(8000);
  const during = net.applied.slice(before);
  expect(during.length).toBeGreaterThanOrEqual(4);
  expectValid(net);
  for (const a of during) {
    expect(a.signatures.map((s) => toHex(s.publicKey))).not.toContain(net.pubs[2]);
    // Member 2's indexes (i mod 4 = 2) go to member 3 in round 1.
    if (a.index % 4 === 2) expect(a.submitter).toBe(3);
  }
  const gaps = during.slice(1).map((a, j) => ({ index: a.index, ms: a.atMs - during[j].atMs }));
  // Interval, round timeout, and the half round timeout the next proposer waits for announcements.
  for (const g of gaps) expect(g.ms).toBe(g.index % 4 === 2 ? 250 + 1000 + 500 : 250);
});

test("two members down: no milestone at all; when one returns, they resume", async () => {
  net = new Net();
  await net.run(600);
  const before = net.applied.length;
  net.down.add(1);
  net.down.add(3);
  await net.run(6000);
  expect(net.applied.length).toBe(before);
  net.back(3);
  await net.run(6000);
  expect(net.applied.length).toBeGreaterThan(before + 2);
  expectValid(net);
});

test("a proposer that fails after one member signed: the next round re-proposes what was signed, and it completes", async () => {
  net = new Net();
  await net.run(600);
  const index = net.applied.length + 1;
  const proposer = index % 4;
  const next = (index + 1) % 4;
  // Only one member hears the proposer before it goes down.
  const hears = (proposer + 2) % 4;
  net.down.add(next); // the next round's proposer hears nothing of round 0 either
  const origDown = new Set(net.down);
  // Let round 0 happen with the proposer's messages reaching only `hears`.
  for (const j of [0, 1, 2, 3]) if (j !== proposer && j !== hears) net.down.add(j);
  await net.run(300);
  // `hears` signed the proposer's essence; now the proposer dies and the others come back.
  const signed = SignGuard.open(net.dirs[hears]).lastSigned;
  expect(signed?.index).toBe(index);
  net.down.clear();
  for (const j of origDown) if (j !== next) net.down.add(j);
  net.down.add(proposer);
  net.back(next);
  for (const j of [0, 1, 2, 3]) if (j !== proposer) net.back(j);
  await net.run(4000);
  const a = net.applied.find((x) => x.index === index);
  expect(a).toBeDefined();
  // The essence that was signed in round 0 is the one that got through: no member was made to sign twice.
  expect(a!.essence).toBe(signed!.essenceHash);
  expectValid(net);
});

test("a member restarted mid-round keeps its word: it signs nothing else at the index it signed", async () => {
  net = new Net();
  await net.run(600);
  const index = net.applied.length + 1;
  const proposer = index % 4;
  const restarted = (proposer + 1) % 4;
  // Round 0 reaches only `restarted`, which signs; then it restarts.
  for (const j of [0, 1, 2, 3]) if (j !== proposer && j !== restarted) net.down.add(j);
  await net.run(300);
  const signed = SignGuard.open(net.dirs[restarted]).lastSigned!;
  expect(signed.index).toBe(index);
  net.start(restarted); // a new process: only the guard file is left of what it knew
  expect(() => SignGuard.open(net.dirs[restarted]).permit(index, toHex(randomBytes(32)))).toThrow(expect.objectContaining({ code: "ERR_COMMITTEE_SIGNED_OTHER" }));
  // Everyone back; the signed essence is what the index gets.
  net.down.clear();
  for (const j of [0, 1, 2, 3]) net.back(j);
  await net.run(4000);
  // The index completes, and the restarted member signed nothing at it but what it signed before.
  const a = net.applied.find((x) => x.index === index)!;
  expect(a).toBeDefined();
  expect([...net.signedBy.get(`${restarted}:${index}`)!]).toEqual([signed.essenceHash]);
  if (a.essence !== signed.essenceHash) expect(a.signatures.map((x) => toHex(x.publicKey))).not.toContain(net.pubs[restarted]);
  expectValid(net);
});

test("a proposal the others' nodes do not compute is not signed, and costs only its round", async () => {
  net = new Net();
  await net.run(600);
  const index = net.applied.length + 1;
  net.lie = index % 4;
  await net.run(3000);
  const a = net.applied.find((x) => x.index === index)!;
  expect(a.submitter).not.toBe(net.lie);
  expect(net.log.some((l) => l.includes("proposal refused") && l.includes("white flag differs"))).toBe(true);
  expectValid(net);
});

test("a proposal or a signature from a key outside the committee is not taken", async () => {
  net = new Net();
  await net.run(600);
  const m = net.members[0]!;
  const index = m.workingIndex;
  const outsider = keyPairFromSeed(randomBytes(32));
  const parents = [randomBytes(32), randomBytes(32)].sort(compareKeys);
  const fields = { index, value: valueFor(index, parents) };
  const h = essenceHash(parents, fields);
  const sig = { publicKey: outsider.publicKey, signature: ed25519.sign(h, outsider.secretKey) };
  expect(await m.receive({ t: "cprop", round: 0, parents, fields, signatures: [sig] })).toBe(false);
  expect(await m.receive({ t: "csig", index, essenceHash: h, publicKey: outsider.publicKey, signature: sig.signature })).toBe(false);
  // A member's key with a signature over something else is not taken either.
  const forged = { publicKey: net.keys[1].publicKey, signature: ed25519.sign(randomBytes(32), net.keys[1].secretKey) };
  expect(await m.receive({ t: "cprop", round: 0, parents, fields, signatures: [forged] })).toBe(false);
  expect(m.proposals().map((p) => p.essenceHash)).not.toContain(toHex(h));
  expect(SignGuard.open(net.dirs[0]).lastSigned?.essenceHash).not.toBe(toHex(h));
});

test("a proposal two members signed that the next proposer cannot check yet: it passes its round instead of splitting them, and joins once it can", async () => {
  net = new Net();
  await net.run(600);
  const index = net.applied.length + 1;
  const proposer = index % 4;
  const next = (index + 1) % 4;
  const other = (index + 3) % 4;
  const third = (index + 2) % 4;
  // Round 0 reaches `other` and `third`, which sign: two signatures; the proposer hears none of
  // them (so it does not complete the essence) and goes down. `next` cannot check it (its
  // parents not there).
  net.down.add(next);
  net.deaf.add(proposer);
  await net.run(300);
  net.deaf.delete(proposer);
  const signed = SignGuard.open(net.dirs[other]).lastSigned!;
  expect(signed.index).toBe(index);
  expect(SignGuard.open(net.dirs[third]).lastSigned!.essenceHash).toBe(signed.essenceHash);
  net.down.clear();
  net.down.add(proposer); // the proposer is gone
  net.back(next);
  net.blind.add(next);
  await net.run(1000 + 600);
  expect(net.log.some((l) => l.startsWith(`${next} passing the round`))).toBe(true);
  expect(net.applied.find((x) => x.index === index)).toBeUndefined();
  // Its parents arrive: the next round's proposer joins that essence and it completes; nobody signed another.
  net.blind.delete(next);
  await net.run(4000);
  const a = net.applied.find((x) => x.index === index)!;
  expect(a.essence).toBe(signed.essenceHash);
  expectValid(net);
});

test("members restarted after a round's announcements went out: the first to propose passes instead of building an essence that splits the members", async () => {
  net = new Net();
  await net.run(600);
  const index = net.applied.length + 1;
  const since = net.applied.at(-1)!.atMs;
  const [p, q, c, d] = [0, 1, 2, 3].map((k) => (index + k) % 4); // proposers of rounds 0..3
  // Round 0 reaches only q, which signs: two signatures. c and d are down through rounds 0 and 1
  // and the start of round 2, when p and q announce what they signed.
  net.down.add(c);
  net.down.add(d);
  await net.run(since + 250 + 2 * 1000 + 100 - net.now);
  const signed = SignGuard.open(net.dirs[q]).lastSigned!;
  expect(signed.index).toBe(index);
  // c and d restart (new processes) in round 2, c's round: c heard nothing of it.
  for (const j of [c, d]) {
    net.start(j);
    net.down.delete(j);
  }
  await net.run(4000);
  expect(net.log.some((l) => l.startsWith(`${c} passing the round: this member was not listening`))).toBe(true);
  // d, listening from before round 3's announcements, joins what p and q signed: the index gets it.
  const a = net.applied.find((x) => x.index === index)!;
  expect(a).toBeDefined();
  expect(a.essence).toBe(signed.essenceHash);
  expectValid(net);
});

test("proposals nobody can check yet bind nobody, not even their proposers: when the members can check again, the index completes (each proposer signing its own split four ways before)", async () => {
  net = new Net();
  await net.run(600);
  const index = net.applied.length + 1;
  // Every member's node is behind (a burst still arriving): for four rounds each proposer proposes
  // its own essence and nobody else can check it.
  for (let j = 0; j < 4; j++) net.blind.add(j);
  await net.run(250 + 4 * 1000 + 600);
  expect(net.applied.find((x) => x.index === index)).toBeUndefined();
  for (let j = 0; j < 4; j++) expect(net.signedBy.get(`${j}:${index}`)).toBeUndefined();
  expect(net.log.filter((l) => l.includes("proposal not checkable yet")).length).toBeGreaterThan(0);
  net.blind.clear();
  await net.run(4000);
  expect(net.applied.find((x) => x.index === index)).toBeDefined();
  expectValid(net);
});

test("a proposer signs its own proposal only when the others' signatures reach k - 1: then its own completes it", async () => {
  net = new Net();
  await net.run(600);
  const index = net.applied.length + 1;
  const proposer = index % 4;
  // Only one other member hears round 0: one signature, the proposer's would make two of three.
  for (const j of [0, 1, 2, 3]) if (j !== proposer && j !== (proposer + 2) % 4) net.down.add(j);
  await net.run(300);
  expect(net.signedBy.get(`${proposer}:${index}`)).toBeUndefined();
  expect(SignGuard.open(net.dirs[proposer]).lastSigned?.index).not.toBe(index);
  for (const j of [0, 1, 2, 3]) net.back(j);
  await net.run(3000);
  const a = net.applied.find((x) => x.index === index)!;
  expect(a.signatures.length).toBeGreaterThanOrEqual(3);
  expectValid(net);
});

test("a proposal for the next index that reaches members before they applied the milestone before it is kept, and signed once they do: its round is not lost", async () => {
  net = new Net();
  await net.run(600);
  const last = net.applied.length;
  const proposer = (last + 2) % 4; // of index last + 2, round 0
  const laggards = [(last + 3) % 4, last % 4];
  for (const j of laggards) net.lagging.add(j);
  while (net.applied.length < last + 1) await net.run(50);
  // Index last + 2 is proposed 250 ms after last + 1; the two laggards apply last + 1 at 400 ms.
  await net.run(400);
  expect(net.applied.length).toBe(last + 1);
  net.lagging.clear();
  for (const j of laggards) net.back(j);
  await net.run(500);
  const a = net.applied.find((x) => x.index === last + 2)!;
  expect(a).toBeDefined();
  // Completed by the proposer of round 0: besides it only one member did not lag, so a laggard's
  // signature over the proposal it kept made the third.
  expect(a.submitter).toBe(proposer);
  const signers = a.signatures.map((s) => toHex(s.publicKey));
  expect(laggards.some((j) => signers.includes(net.pubs[j]))).toBe(true);
  expectValid(net);
});
