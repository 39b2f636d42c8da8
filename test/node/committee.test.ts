/**
 * k-of-n milestones (docs/protocol.md, Committee) on a real node (LMDB in a temp folder): a
 * committee of four with k = 3 whose keys the test holds. A milestone signed by three members is
 * applied; one with two signatures, a duplicated signer, an unsorted list, a non-member signer, a
 * signature that does not verify (made for other parents), and, after a committee change, a key
 * the change removed: each refused with its own code, nothing stored, the node not halted. The
 * change takes effect at its documented index, a second change while one waits is refused, and a
 * node reopened on the same data rebuilds the chain of committees from genesis. A validly signed
 * milestone with a wrong previous milestone id or ledger root halts the node, and so does a second
 * milestone a quorum signed at an index already applied (the committee signing twice).
 */
import { randomBytes } from "node:crypto";
import { attach, signTransaction, stampSync } from "../../client/protocol/build";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";
import { toHex } from "../../client/protocol/bytes";
import { decodeTransaction, signingHash, transactionId } from "../../client/protocol/codec";
import { signEssence, KeyPair, keyPairFromSeed } from "../../client/protocol/keys";
import type { CommitteeChange } from "../../client/protocol/payloads";
import { Code } from "../../client/protocol/codes";
import { TangleNode } from "../../node/tangle-node";
import { requiredDifficulty } from "../../node/validation/pipeline";
import { buildMilestone, buildTx, cleanupDirs, dataPayload, MilestoneOptions, testGenesis, tmpDir } from "./_helpers";

const M = [1, 2, 3, 4, 5].map((i) => keyPairFromSeed(new Uint8Array(32).fill(0xd0 + i)));
const [m1, m2, m3, m4, m5] = M;
const stranger = keyPairFromSeed(new Uint8Array(32).fill(0xee));
const genesis = testGenesis({ committee: { members: [m1, m2, m3, m4].map((k) => toHex(k.publicKey)), threshold: 3 } });

afterAll(cleanupDirs);

async function open(dir = tmpDir()): Promise<{ node: TangleNode; dir: string }> {
  return { node: await TangleNode.open({ dataDir: dir, genesis }), dir };
}

/** Submits and expects refusal with `code`: nothing stored, the ledger where it was, no halt. */
async function refused(node: TangleNode, bytes: Uint8Array, code: string): Promise<void> {
  const index = node.ledgerIndex;
  const stored = node.storedTransactions;
  await expect(node.submit(bytes)).rejects.toMatchObject({ code });
  expect(node.store.hasTransaction(transactionId(bytes))).toBe(false);
  expect([node.ledgerIndex, node.storedTransactions, node.diverged]).toEqual([index, stored, undefined]);
}

/**
 * A milestone of `signers` whose payload bytes are then changed by `patch` (at the offset of the
 * signature list), re-signed by its issuer and stamped: everything but the patched rule is valid.
 */
function patched(node: TangleNode, o: MilestoneOptions, patch: (sigs: Uint8Array) => void): Uint8Array {
  const { bytes } = buildMilestone(node, o);
  const d = decodeTransaction(bytes);
  if (!d.ok) throw new Error(d.code);
  const essence = bytes.slice(0, d.value.essenceLength);
  const count = d.value.tx.payload.type === "milestone" ? d.value.tx.payload.signatures.length : 0;
  patch(essence.subarray(essence.length - count * 96));
  const issuer = o.issuer ?? o.signers![0];
  const signed = { essenceBytes: essence, signature: signEssence(essence, issuer.secretKey) };
  expect(toHex(signingHash(essence))).not.toBe(toHex(signingHash(bytes.slice(0, d.value.essenceLength))));
  const out = attach(signed, d.value.tx.parents, node.now());
  return stampSync(out, requiredDifficulty(out.length, node.params.baseDifficulty));
}

const change = (effectiveIndex: number, members: KeyPair[], threshold: number): CommitteeChange => ({ effectiveIndex, threshold, members: members.map((k) => k.publicKey) });

test("3 of 4 members: applied; 2 signatures, a duplicated or unsorted list, a non-member, a bad signature: refused, each with its code, nothing stored", async () => {
  const { node } = await open();
  try {
    await refused(node, buildMilestone(node, { signers: [m1, m2] }).bytes, Code.ERR_MILESTONE_QUORUM);
    // Sorted by key, so the duplicate sits next to its first: copy entry 0's key into entry 1.
    await refused(node, patched(node, { signers: [m1, m2, m3] }, (s) => s.copyWithin(96, 0, 32)), Code.ERR_TX_MILESTONE_SIGNER_DUPLICATE);
    await refused(
      node,
      patched(node, { signers: [m1, m2, m3] }, (s) => {
        const first = s.slice(0, 96);
        s.copyWithin(0, 96, 192);
        s.set(first, 96);
      }),
      Code.ERR_TX_MILESTONE_SIGNATURES_UNSORTED,
    );
    await refused(node, buildMilestone(node, { signers: [m1, m2, stranger] }).bytes, Code.ERR_MILESTONE_NOT_MEMBER);
    // m3's signature of another state hash: it does not verify over this milestone's essence.
    const other = buildMilestone(node, { signers: [m3], over: { ledgerStateHash: randomBytes(32) } });
    await refused(
      node,
      patched(node, { signers: [m1, m2, m3] }, (s) => {
        const at = [0, 1, 2].find((i) => toHex(s.subarray(i * 96, i * 96 + 32)) === toHex(m3.publicKey))!;
        s.set(other.payload.signatures[0].signature, at * 96 + 32);
      }),
      Code.ERR_MILESTONE_BAD_SIGNATURE,
    );
    // A non-member issuer is refused at validation (step 6) before any of this.
    await refused(node, buildMilestone(node, { signers: [m1, m2, m3], issuer: stranger }).bytes, Code.ERR_TX_NOT_COORDINATOR);
    // Past the index after this node's ledger, an issuer it does not know may be a member named by
    // a committee change it has not applied yet (a node syncing from genesis): validation does not
    // judge it (the peer that served a valid milestone would be banned); the milestone waits for
    // those before it, here refused as out of order, and its issuer is judged once they are applied.
    await refused(node, buildMilestone(node, { signers: [m1, m2, m3], issuer: stranger, index: node.ledgerIndex + 3, over: { previousMilestoneId: randomBytes(32) } }).bytes, Code.ERR_MILESTONE_ORDER);

    const good = buildMilestone(node, { signers: [m2, m3, m4], issuer: m4 });
    expect(good.payload.signatures.map((s) => toHex(s.publicKey))).toEqual([m2, m3, m4].map((k) => toHex(k.publicKey)).sort());
    const r = await node.submit(good.bytes);
    expect(node.ledgerIndex).toBe(1);
    expect(node.latestMilestone!.id).toBe(r.id);
    // All four sign too.
    await node.submit(buildMilestone(node, { signers: M.slice(0, 4) }).bytes);
    expect(node.ledgerIndex).toBe(2);
  } finally {
    await node.close();
  }
});

test("a committee change takes effect at its index: the removed keys stop counting there, the new member counts; one change at a time; the chain is rebuilt from genesis at reopen", async () => {
  const { node, dir } = await open();
  try {
    await node.submit(buildMilestone(node, { signers: [m1, m2, m3] }).bytes); // 1
    // Milestone 2 (old committee) changes it from index 4: m1, m2, m5 with k = 2.
    await node.submit(buildMilestone(node, { signers: [m2, m3, m4], over: { committeeChange: change(4, [m1, m2, m5], 2) } }).bytes);
    expect(node.committees.at(3).threshold).toBe(3);
    expect(node.committees.at(4)).toEqual({ fromIndex: 4, members: [m1, m2, m5].map((k) => toHex(k.publicKey)), threshold: 2 });
    // Another change while this one waits: refused.
    await refused(node, buildMilestone(node, { signers: [m1, m2, m3], over: { committeeChange: change(9, [m1, m2], 2) } }).bytes, Code.ERR_MILESTONE_COMMITTEE_CHANGE);
    // Index 3: still the old committee (m5 is not a member yet).
    await refused(node, buildMilestone(node, { signers: [m1, m5], issuer: m1 }).bytes, Code.ERR_MILESTONE_NOT_MEMBER);
    await node.submit(buildMilestone(node, { signers: [m3, m4, m1], issuer: m3 }).bytes); // 3
    // Index 4: the new committee. m3 and m4 were removed: their keys are stale now.
    await refused(node, buildMilestone(node, { signers: [m1, m2, m3] }).bytes, Code.ERR_MILESTONE_RETIRED_SIGNER);
    await refused(node, buildMilestone(node, { signers: [m1] }).bytes, Code.ERR_MILESTONE_QUORUM);
    await node.submit(buildMilestone(node, { signers: [m1, m5], issuer: m5 }).bytes); // 4
    expect(node.ledgerIndex).toBe(4);
  } finally {
    await node.close();
  }
  // Reopened: the chain of committees comes back from the stored milestones.
  const again = await TangleNode.open({ dataDir: dir, genesis });
  try {
    expect(again.committees.at(5).members).toEqual([m1, m2, m5].map((k) => toHex(k.publicKey)));
    await refused(again, buildMilestone(again, { signers: [m3, m4], issuer: m1 }).bytes, Code.ERR_MILESTONE_RETIRED_SIGNER);
    await again.submit(buildMilestone(again, { signers: [m2, m5] }).bytes);
    expect(again.ledgerIndex).toBe(5);
  } finally {
    await again.close();
  }
});

test("validly signed, but another previous milestone or ledger root than this node's: refused and the node halts", async () => {
  for (const [over, code] of [
    [{ previousMilestoneId: randomBytes(32) }, Code.ERR_MILESTONE_PREVIOUS_MISMATCH],
    [{ ledgerRoot: randomBytes(32) }, Code.ERR_MILESTONE_LEDGER_ROOT_MISMATCH],
  ] as const) {
    const { node } = await open();
    try {
      await node.submit(buildMilestone(node, { signers: [m1, m2, m3] }).bytes);
      const bad = buildMilestone(node, { signers: [m1, m2, m3], over }).bytes;
      await expect(node.submit(bad)).rejects.toMatchObject({ code });
      expect(node.store.hasTransaction(transactionId(bad))).toBe(false);
      expect(node.diverged).toMatchObject({ index: 2, code });
    } finally {
      await node.close();
    }
  }
});

test("the milestone's signatures bind its parents: the same signed payload attached to other parents is refused", async () => {
  const { node } = await open();
  try {
    const record = await node.submit(buildTx(node, m1, dataPayload(randomBytes(32), 0)));
    const { bytes } = buildMilestone(node, { signers: [m1, m2, m3], parents: [record.id, toHex(node.genesisId)] });
    const d = decodeTransaction(bytes);
    if (!d.ok) throw new Error(d.code);
    // The issuer's transaction signature does not cover parents; the committee's does.
    const signed = { essenceBytes: bytes.slice(0, d.value.essenceLength), signature: d.value.tx.signature };
    const moved = attach(signed, [new Uint8Array(32), node.genesisId], node.now());
    await refused(node, stampSync(moved, requiredDifficulty(moved.length, node.params.baseDifficulty)), Code.ERR_MILESTONE_BAD_SIGNATURE);
    await node.submit(bytes);
    expect(node.ledgerIndex).toBe(1);
  } finally {
    await node.close();
  }
});

test("two valid milestones at one index: the node halts and names both; another attachment of the applied one, or a second without a quorum, is an ordinary transaction", async () => {
  const { node } = await open();
  try {
    const first = buildMilestone(node, { signers: [m1, m2, m3] });
    const firstId = (await node.submit(first.bytes)).id;
    expect(node.ledgerIndex).toBe(1);
    const record = await node.submit(buildTx(node, m4, dataPayload(randomBytes(32), 0)));

    // The same essence (same parents, same fields, same signatures) issued again by another member: ordinary.
    const d = decodeTransaction(first.bytes);
    if (!d.ok) throw new Error(d.code);
    const copy = signTransaction({ version: PROTOCOL_VERSION, networkId: node.params.networkId, issuer: m2.publicKey, payload: d.value.tx.payload }, m2.secretKey);
    const copyBytes = stampSync(attach(copy, first.parents, node.now()), requiredDifficulty(first.bytes.length, node.params.baseDifficulty));
    expect((await node.submit(copyBytes)).duplicate).toBe(false);
    // Index 1 again over another essence (other parents), signed by two members only: no quorum, ordinary.
    const parents = [record.id, toHex(node.genesisId)];
    const weak = buildMilestone(node, { signers: [m1, m4], index: 1, parents, over: { previousMilestoneId: new Uint8Array(32) } }).bytes;
    expect((await node.submit(weak)).duplicate).toBe(false);
    expect(node.diverged).toBeUndefined();

    // Index 1 over another essence, signed by three members (one of them signed the first too): the committee signed twice.
    const second = buildMilestone(node, { signers: [m2, m3, m4], index: 1, parents, over: { previousMilestoneId: new Uint8Array(32) } }).bytes;
    await expect(node.submit(second)).rejects.toMatchObject({ code: Code.ERR_MILESTONE_EQUIVOCATION });
    expect(node.store.hasTransaction(transactionId(second))).toBe(false);
    expect(node.diverged).toMatchObject({ index: 1, code: Code.ERR_MILESTONE_EQUIVOCATION, message: expect.stringContaining(firstId) });
    expect(node.diverged!.message).toContain(toHex(transactionId(second)));
    // Halted: a next milestone is not applied.
    await node.submit(buildMilestone(node, { signers: [m1, m2, m3] }).bytes).catch(() => undefined);
    expect(node.ledgerIndex).toBe(1);
  } finally {
    await node.close();
  }
});
