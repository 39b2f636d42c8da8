/** The committee's peer messages on the wire (node/peering/committee-wire.ts): round trip and refusals. */
import { randomBytes } from "node:crypto";
import { toHex } from "../../../client/protocol/bytes";
import { packFrame, unpackFrame } from "../../../client/protocol/frame";
import { keyPairFromSeed } from "../../../client/protocol/keys";
import { signMilestone, milestonePayload } from "../../../client/protocol/build";
import { compareKeys } from "../../../node/committee/collector";
import { fromWire, toWire } from "../../../node/peering/committee-wire";

const keys = [keyPairFromSeed(randomBytes(32)), keyPairFromSeed(randomBytes(32))];
const parents = [randomBytes(32), randomBytes(32), randomBytes(32)].sort(compareKeys);
const fields = {
  type: "milestone" as const,
  index: 7,
  timestamp: 1_760_000_000_000,
  previousMilestoneId: randomBytes(32),
  confirmedMerkleRoot: randomBytes(32),
  ledgerStateHash: randomBytes(32),
  ledgerRoot: randomBytes(32),
};
const signatures = milestonePayload(fields, keys.map((k) => signMilestone(42, parents, fields, k.publicKey, k.secretKey))).signatures;

/** Through msgpack and back, as a peer would read it. */
const viaFrame = (m: unknown) => unpackFrame(packFrame(m)) as Record<string, unknown>;

test("a proposal and a signature survive the wire unchanged", () => {
  const prop = fromWire(viaFrame(toWire({ t: "cprop", round: 2, parents, fields, signatures })));
  expect(prop.ok).toBe(true);
  if (!prop.ok || prop.msg.t !== "cprop") throw new Error("not a proposal");
  expect(prop.msg.round).toBe(2);
  // Rounds counted from the Unix epoch (before milestone 1) are large: still taken.
  const early = fromWire(viaFrame(toWire({ t: "cprop", round: 1_800_000_000, parents, fields, signatures })));
  expect(early.ok && early.msg.t === "cprop" && early.msg.round).toBe(1_800_000_000);
  expect(prop.msg.parents.map(toHex)).toEqual(parents.map(toHex));
  expect(prop.msg.fields).toEqual(fields);
  expect(prop.msg.signatures).toEqual(signatures);
  expect(prop.msg.proposerSignature).toBeUndefined();
  // A proposal that binds nobody yet: no signature over the essence, the proposer's proposal signature.
  const proposerSignature = randomBytes(64);
  const fresh = fromWire(viaFrame(toWire({ t: "cprop", round: 3, parents, fields, signatures: [], proposerSignature })));
  expect(fresh.ok && fresh.msg.t === "cprop" && { sigs: fresh.msg.signatures, p: fresh.msg.proposerSignature }).toEqual({ sigs: [], p: new Uint8Array(proposerSignature) });

  const sig = { t: "csig" as const, index: 7, essenceHash: randomBytes(32), publicKey: keys[0].publicKey, signature: randomBytes(64) };
  const back = fromWire(viaFrame(toWire(sig)));
  expect(back).toEqual({ ok: true, msg: sig });
});

test("malformed committee messages are invalid data, each with its reason", () => {
  const good = toWire({ t: "cprop", round: 0, parents, fields, signatures }) as Record<string, unknown>;
  const goodSig = toWire({ t: "csig", index: 7, essenceHash: randomBytes(32), publicKey: keys[0].publicKey, signature: randomBytes(64) }) as Record<string, unknown>;
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...good, round: -1 }, /round/],
    [{ ...good, round: 1.5 }, /round/],
    [{ ...good, round: 2 ** 32 }, /round/],
    [{ ...good, parents: [toHex(parents[0])] }, /parents/],
    [{ ...good, parents: [...parents].reverse().map(toHex) }, /sorted/],
    [{ ...good, parents: [toHex(parents[0]), toHex(parents[0])] }, /sorted/],
    [{ ...good, parents: parents.map((p) => toHex(p).toUpperCase()) }, /parents/],
    [{ ...good, fields: "00" }, /field bytes/],
    [{ ...good, fields: (good.fields as Uint8Array).subarray(0, 40) }, /cprop fields/],
    [{ ...good, fields: new Uint8Array([...(good.fields as Uint8Array), 0]) }, /cprop fields/],
    [{ ...good, signatures: "none" }, /bad cprop signatures/],
    [{ ...good, signatures: [...(good.signatures as unknown[])].reverse() }, /not sorted/],
    [{ ...good, signatures: [(good.signatures as unknown[])[0], (good.signatures as unknown[])[0]] }, /not sorted/],
    [{ ...good, signatures: [{ publicKey: "ab", signature: randomBytes(64) }] }, /bad cprop signature/],
    [{ ...good, signatures: [{ publicKey: toHex(keys[0].publicKey), signature: randomBytes(63) }] }, /bad cprop signature/],
    [{ ...good, signatures: [] }, /neither a proposer signature nor a signature/],
    [{ ...good, proposer: randomBytes(32) }, /proposer signature/],
    [{ ...goodSig, index: 0 }, /index/],
    [{ ...goodSig, essenceHash: "ab" }, /essenceHash/],
    [{ ...goodSig, publicKey: 5 }, /publicKey/],
    [{ ...goodSig, signature: new Uint8Array(63) }, /signature/],
    [{ t: "other" }, /not a committee message/],
  ];
  for (const [m, why] of cases) {
    const r = fromWire(m);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.why).toMatch(why);
  }
});
