/**
 * Committee messages between peers (node/peering/committee-relay.ts) with real keys and
 * signatures: valid ones are passed on once, invalid ones are invalid data, ones for another index
 * are neither judged nor passed on, signers count as reachable, and a member caught signing two
 * essences at one index is reported once with both.
 */
import { randomBytes } from "node:crypto";
import { toHex } from "../../../client/protocol/bytes";
import { signingHash } from "../../../client/protocol/codec";
import { ed25519 } from "../../../client/protocol/ed25519";
import { keyPairFromSeed } from "../../../client/protocol/keys";
import { PROTOCOL_VERSION } from "../../../client/protocol/limits";
import { milestoneEssence, type MilestoneFields } from "../../../client/protocol/payloads/milestone";
import { compareKeys } from "../../../node/committee/collector";
import { proposalSigningHash } from "../../../node/committee/proposal";
import { verifyEd25519 } from "../../../node/crypto/ed25519";
import { CommitteeRelay, Equivocation } from "../../../node/peering/committee-relay";
import { toWire } from "../../../node/peering/committee-wire";

const NETWORK = 77;
const keys = Array.from({ length: 5 }, () => keyPairFromSeed(randomBytes(32)));
const members = keys.slice(0, 4).map((k) => toHex(k.publicKey));
let now = 1_000;
const relay = () => new CommitteeRelay({ networkId: NETWORK, workingIndex: () => 5, committee: () => ({ members, threshold: 3 }), verify: verifyEd25519, now: () => now });

function proposal(index: number) {
  const parents = [randomBytes(32), randomBytes(32)].sort(compareKeys);
  const fields: MilestoneFields = { type: "milestone", index, timestamp: 1_700_000_000_000, previousMilestoneId: randomBytes(32), confirmedMerkleRoot: randomBytes(32), ledgerStateHash: randomBytes(32), ledgerRoot: randomBytes(32) };
  const hash = signingHash(milestoneEssence(PROTOCOL_VERSION, NETWORK, parents, fields));
  return { parents, fields, hash };
}
const sig = (i: number, hash: Uint8Array) => ({ t: "csig" as const, index: 5, essenceHash: hash, publicKey: keys[i].publicKey, signature: ed25519.sign(hash, keys[i].secretKey) });
const wire = (m: Parameters<typeof toWire>[0]) => toWire(m) as unknown as Record<string, unknown>;

test("valid messages pass once; invalid ones are invalid data; another index is not judged", async () => {
  const r = relay();
  const p = proposal(5);
  const prop = wire({ t: "cprop", round: 0, parents: p.parents, fields: p.fields, signatures: [{ publicKey: keys[1].publicKey, signature: ed25519.sign(p.hash, keys[1].secretKey) }] });
  expect(await r.receive(prop)).toEqual({ valid: true, pass: true });
  expect(await r.receive(prop)).toEqual({ valid: true, pass: false });
  expect(await r.receive(wire(sig(2, p.hash)))).toEqual({ valid: true, pass: true });
  // A stranger's signature, a member's over something else, a malformed frame.
  expect((await r.receive(wire(sig(4, p.hash)))).valid).toBe(false);
  expect((await r.receive(wire({ ...sig(3, p.hash), signature: ed25519.sign(randomBytes(32), keys[3].secretKey) }))).valid).toBe(false);
  expect(await r.receive({ t: "csig", index: 5 })).toMatchObject({ valid: false, why: expect.stringContaining("csig") });
  // Index 7 while working on 5: neither judged nor passed on. Index 6, the next one (its proposer
  // may propose before this node applied milestone 5), is judged like the working one.
  expect(await r.receive(wire({ ...sig(4, p.hash), index: 7 }))).toEqual({ valid: true, pass: false });
  expect((await r.receive(wire({ ...sig(4, p.hash), index: 6 }))).valid).toBe(false);
  // Signers seen: members 1 and 2 (not the stranger, not the forged one).
  expect(r.reachable(members, 1000)).toBe(2);
  now += 5_000;
  expect(r.reachable(members, 1000)).toBe(0);
});

test("a member signing two essences at one index is caught once, with both, and its messages still travel", async () => {
  const r = relay();
  const seen: Equivocation[] = [];
  r.onEquivocation = (e) => seen.push(e);
  const a = proposal(5);
  const b = proposal(5);
  expect(await r.receive(wire(sig(3, a.hash)))).toEqual({ valid: true, pass: true });
  expect(await r.receive(wire(sig(3, a.hash)))).toEqual({ valid: true, pass: false }); // the same one again: no evidence
  expect(seen).toEqual([]);
  expect(await r.receive(wire(sig(3, b.hash)))).toEqual({ valid: true, pass: true });
  expect(seen).toEqual([{ index: 5, member: members[3], essences: [toHex(a.hash), toHex(b.hash)], atMs: now }]);
  // Inside a proposal too; reported once per member and index.
  const prop = wire({ t: "cprop", round: 1, parents: b.parents, fields: b.fields, signatures: [{ publicKey: keys[3].publicKey, signature: ed25519.sign(b.hash, keys[3].secretKey) }] });
  expect((await r.receive(prop)).valid).toBe(true);
  expect(seen).toHaveLength(1);
  expect(r.equivocations()).toEqual(seen);
  // Honest members signing one essence each are not evidence.
  expect(await r.receive(wire(sig(1, a.hash)))).toEqual({ valid: true, pass: true });
  expect(await r.receive(wire(sig(2, b.hash)))).toEqual({ valid: true, pass: true });
  expect(seen).toHaveLength(1);
});

test("a proposal that binds nobody yet is valid only with its round's proposer's proposal signature", async () => {
  const r = relay();
  const p = proposal(5);
  // Index 5, round 2: the proposer is member (5 + 2) mod 4 = 3.
  const asked = (signer: number, round = 2) => wire({ t: "cprop", round, parents: p.parents, fields: p.fields, signatures: [], proposerSignature: ed25519.sign(proposalSigningHash(round, p.hash), keys[signer].secretKey) });
  expect((await r.receive(asked(1))).valid).toBe(false); // a member, not this round's proposer
  expect((await r.receive(asked(4))).valid).toBe(false); // a stranger
  // The proposer's signature over another round's proposal does not pass for this round's.
  const replayed = { ...asked(3, 2), round: 6 };
  expect((await r.receive(replayed)).valid).toBe(false);
  expect(r.reachable(members, 1000)).toBe(0);
  expect(await r.receive(asked(3))).toEqual({ valid: true, pass: true });
  // The proposer counts as reachable: it is up, and asking.
  expect(r.reachable(members, 1000)).toBe(1);
  // A wrong proposal signature makes a proposal invalid even with a member's valid signature beside it.
  const mixed = wire({ t: "cprop", round: 2, parents: p.parents, fields: p.fields, signatures: [{ publicKey: keys[1].publicKey, signature: ed25519.sign(p.hash, keys[1].secretKey) }], proposerSignature: randomBytes(64) });
  expect((await r.receive(mixed)).valid).toBe(false);
});
