/**
 * A member's node and a proposal that changes the committee (node/committee/driver.ts `check`,
 * docs/committee.md "Changing the committee"): a real node (LMDB in a temp folder) with the key of
 * member 2 of four (k = 3), its committee driver, and proposals of index 1 signed by the round's
 * proposer, handed to the driver as the peers would. A proposal carrying a change that is not queued
 * on this node, or another change than the one queued, gets no signature; once the operator queues
 * exactly that change, the same proposal is signed. A proposal without a change is signed while a
 * change is queued (a member that queued early holds nothing up).
 */
import { randomBytes } from "node:crypto";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { signingHash } from "../../../client/protocol/codec";
import { ed25519 } from "../../../client/protocol/ed25519";
import { keyPairFromSeed } from "../../../client/protocol/keys";
import { ID_BYTES, PROTOCOL_VERSION } from "../../../client/protocol/limits";
import { milestoneEssence, type CommitteeChange, type MilestoneFields } from "../../../client/protocol/payloads";
import { ChangeQueue } from "../../../node/committee/change-queue";
import { CommitteeDriver } from "../../../node/committee/driver";
import type { CommitteeMessage } from "../../../node/committee/member";
import { proposerOf, roundAt } from "../../../node/committee/rounds";
import { proposalSigningHash } from "../../../node/committee/proposal";
import { milestonePayloadFor } from "../../../node/ledger/whiteflag";
import { TangleNode } from "../../../node/tangle-node";
import { cleanupDirs, testGenesis, tmpDir } from "../_helpers";

const seeds = [1, 2, 3, 4].map((i) => new Uint8Array(32).fill(0x50 + i));
const keys = seeds.map((s) => keyPairFromSeed(s));
const members = keys.map((k) => toHex(k.publicKey));
const genesis = testGenesis({ committee: { members, threshold: 3 } });
const timing = { intervalMs: 500, roundTimeoutMs: 1000 };
const NOW = 10_000_000;
const fifth = toHex(randomBytes(32));

const opened: { node: TangleNode; driver: CommitteeDriver }[] = [];
afterAll(async () => {
  for (const o of opened) {
    await o.driver.stop();
    await o.node.close();
  }
  cleanupDirs();
});

/** Member `me`'s node and driver on a fixed clock; what it broadcasts is collected. */
async function memberNode(me: number) {
  const dataDir = tmpDir();
  const node = await TangleNode.open({ dataDir, genesis, now: () => NOW });
  const sent: CommitteeMessage<MilestoneFields>[] = [];
  const changes = ChangeQueue.open(dataDir);
  const driver = new CommitteeDriver(node, seeds[me], { dataDir, ...timing, changes, broadcast: (m) => sent.push(m) });
  driver.start();
  opened.push({ node, driver });
  return { node, driver, sent, changes };
}

/** The proposal of index 1 in the round under way, asked for by that round's proposer (never member `me`). */
function proposal(node: TangleNode, me: number, committeeChange?: CommitteeChange): CommitteeMessage<MilestoneFields> {
  const round = roundAt(NOW, 0, timing);
  const proposer = proposerOf(1, round, 4);
  if (proposer === me) throw new Error("the clock makes this member the proposer; pick another NOW");
  const parents = node.selectParents(2).map((h) => fromHex(h)).sort(Buffer.compare);
  const wf = node.whiteFlag(1, parents);
  const fields: MilestoneFields = {
    ...milestonePayloadFor(wf, NOW),
    previousMilestoneId: new Uint8Array(ID_BYTES),
    ledgerRoot: node.ledgerRootAfter(wf),
    ...(committeeChange ? { committeeChange } : {}),
  };
  const hash = signingHash(milestoneEssence(PROTOCOL_VERSION, node.params.networkId, parents, fields));
  // As a proposer asks (docs/committee.md): its proposal signature, no signature over the essence yet.
  return { t: "cprop", round, parents, fields, signatures: [], proposerSignature: ed25519.sign(proposalSigningHash(round, hash), keys[proposer].secretKey) };
}

const signedBy = (sent: CommitteeMessage<MilestoneFields>[], me: number) => sent.filter((m) => m.t === "csig" && toHex(m.publicKey) === members[me]);
const change = (over: Partial<{ members: string[]; threshold: number; effectiveIndex: number }> = {}) => ({ members: [members[0], members[1], members[2], fifth], threshold: 3, effectiveIndex: 5, ...over });
const wire = (c: ReturnType<typeof change>): CommitteeChange => ({ effectiveIndex: c.effectiveIndex, threshold: c.threshold, members: c.members.map((m) => fromHex(m)) });

test("a change not queued here, or another one, is not signed; the same proposal is signed once exactly that change is queued", async () => {
  const me = 1;
  const { node, driver, sent, changes } = await memberNode(me);
  const p = proposal(node, me, wire(change()));

  expect(await driver.receive(p)).toBe(true);
  expect(signedBy(sent, me)).toHaveLength(0);

  for (const other of [change({ threshold: 4 }), change({ effectiveIndex: 6 }), change({ members: [members[0], members[1], fifth, members[2]] })]) {
    changes.queue(other, node.ledgerIndex);
    expect(await driver.receive(p)).toBe(true);
    expect(signedBy(sent, me)).toHaveLength(0);
  }

  changes.queue(change(), node.ledgerIndex);
  expect(await driver.receive(p)).toBe(true);
  const sigs = signedBy(sent, me);
  expect(sigs).toHaveLength(1);
  if (p.t !== "cprop") throw new Error("expected a proposal");
  const hash = signingHash(milestoneEssence(PROTOCOL_VERSION, node.params.networkId, p.parents, p.fields));
  expect(sigs[0].t === "csig" && toHex(sigs[0].essenceHash)).toBe(toHex(hash));
});

test("a proposal without a change is signed while a change is queued here", async () => {
  const me = 1;
  const { node, driver, sent, changes } = await memberNode(me);
  changes.queue(change(), node.ledgerIndex);
  expect(await driver.receive(proposal(node, me))).toBe(true);
  expect(signedBy(sent, me)).toHaveLength(1);
});
