/**
 * node/tangle-node.ts with real LMDB in temp folders: storing, confirming and replaying;
 * transfers and conflicts; refusals by code; solidification (waiting, timeouts, the races its
 * fixes cover); divergence; a stored but unapplied milestone applied at the next start; the
 * typed events; and each submission's bytes decoded once and hashed once per use.
 */
import { randomBytes } from "node:crypto";
import * as blake2b from "../../core-wasm/src/blake2b";
import * as codec from "../../client/protocol/codec";
import { createMethods } from "../../node/api/methods";
import { ADAPTIVE_POW, AdaptivePow } from "../../node/adaptive-pow";
import { fromHex, toHex } from "../../client/protocol/bytes";
import { addressOf } from "../../client/protocol/keys";
import { ProtocolErrorCode } from "../../client/protocol/errors";
import { Coordinator } from "../../node/coordinator";
import { TangleNode } from "../../node/tangle-node";
import { genesisTransactionId } from "../../node/ledger/genesis";
import { alice, bob, buildMilestone, buildTx, cleanupDirs, coordinatorSeed, dataPayload, testGenesis, tmpDir } from "./_helpers";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";

afterAll(cleanupDirs);

async function openNode(dir = tmpDir(), extra = {}) {
  const node = await TangleNode.open({ dataDir: dir, genesis: testGenesis(), ...extra });
  const coord = new Coordinator(node, coordinatorSeed, { intervalMs: 1_000_000 });
  return { node, coord, dir };
}

test("data transactions are stored, confirmed by the next milestone, and survive a restart", async () => {
  const { node, coord, dir } = await openNode();
  const stream = randomBytes(32);
  const a = await node.submit(buildTx(node, alice, dataPayload(stream, 0)));
  expect(a.duplicate).toBe(false);
  const b = await node.submit(buildTx(node, alice, dataPayload(stream, 1, fromHex(a.id))));
  expect(node.getMetadata(a.id)).toMatchObject({ confirmedBy: null, conflict: null });
  // Idempotent: the same bytes again are acknowledged as a duplicate.
  const bytesB = node.getTransactionBytes(b.id)!;
  expect(await node.submit(bytesB)).toEqual({ id: b.id, duplicate: true });

  const ms1 = await coord.issue();
  expect(node.ledgerIndex).toBe(1);
  expect(node.getMetadata(a.id)!.confirmedBy).toBe(1);
  expect(node.getMetadata(b.id)!.confirmedBy).toBe(1);
  expect(node.getMetadata(ms1)).toMatchObject({ confirmedBy: 1, milestoneIndex: 1 });
  expect(node.latestMilestone!.included).toBe(2);
  expect(node.streamRecords(stream).map((r) => r.id)).toEqual([a.id, b.id]);
  const stateHash = toHex(node.stateHash);
  await coord.issue(); // an empty milestone still advances the chain
  expect(node.ledgerIndex).toBe(2);
  const stateHash2 = toHex(node.stateHash);
  expect(stateHash2).not.toBe(stateHash);
  await node.close();

  const openedAt = performance.now();
  const again = await TangleNode.open({ dataDir: dir, genesis: testGenesis() });
  const openMs = performance.now() - openedAt;
  expect(again.ledgerIndex).toBe(2);
  expect(toHex(again.stateHash)).toBe(stateHash2);
  expect(again.getMetadata(b.id)!.confirmedBy).toBe(1);
  // The open's own duration: more than nothing, at most what the caller saw.
  expect(again.startupMs).toBeGreaterThan(0);
  expect(again.startupMs).toBeLessThanOrEqual(openMs);
  // The window was rebuilt: new transactions attach and confirm.
  const c = await again.submit(buildTx(again, alice, dataPayload(stream, 2, fromHex(b.id))));
  await new Coordinator(again, coordinatorSeed, { intervalMs: 1e6 }).issue();
  expect(again.getMetadata(c.id)!.confirmedBy).toBe(3);
  await again.close();
});

test("a transfer moves confirmed balances; a double spend ends conflicting and changes nothing", async () => {
  const { node, coord } = await openNode();
  const g = genesisTransactionId(testGenesis());
  const aliceAddr = addressOf(alice.publicKey);
  const bobAddr = addressOf(bob.publicKey);
  expect(node.balance(aliceAddr).confirmed).toBe(1500n);
  const pay = (amount: bigint, to: Uint8Array) => ({
    type: "transfer" as const,
    inputs: [{ txId: g, index: 0 }],
    outputs: [
      { address: to, amount },
      { address: aliceAddr, amount: 1000n - amount },
    ],
  });
  const t1 = await node.submit(buildTx(node, alice, pay(300n, bobAddr)));
  expect(node.balance(bobAddr)).toMatchObject({ confirmed: 0n, pendingIncoming: 300n });
  expect(node.balance(aliceAddr).pendingOutgoing).toBe(1000n);
  const t2 = await node.submit(buildTx(node, alice, pay(400n, bobAddr)));
  await coord.issue();
  const m1 = node.getMetadata(t1.id)!;
  const m2 = node.getMetadata(t2.id)!;
  expect([m1.confirmedBy, m2.confirmedBy]).toEqual([1, 1]);
  const conflicts = [m1.conflict, m2.conflict];
  expect(conflicts.filter((c) => c === null)).toHaveLength(1);
  expect(conflicts).toContain("INPUT_SPENT");
  const winnerAmount = m1.conflict === null ? 300n : 400n;
  expect(node.balance(bobAddr)).toEqual({ confirmed: winnerAmount, pendingIncoming: 0n, pendingOutgoing: 0n, used: true });
  expect(node.balance(aliceAddr).confirmed).toBe(1500n - winnerAmount);
  // Spending bob's new output with alice's key is a wrong-owner conflict.
  const winner = m1.conflict === null ? t1.id : t2.id;
  const steal = await node.submit(
    buildTx(node, alice, { type: "transfer", inputs: [{ txId: fromHex(winner), index: 0 }], outputs: [{ address: aliceAddr, amount: winnerAmount }] }),
  );
  await coord.issue();
  expect(node.getMetadata(steal.id)!.conflict).toBe("INPUT_NOT_OWNED");
  expect(node.balance(bobAddr).confirmed).toBe(winnerAmount);
  await node.close();
});

test("bad transactions are refused with their code and change nothing", async () => {
  const { node } = await openNode();
  const before = node.storedTransactions;
  await expect(node.submit(new Uint8Array(10))).rejects.toMatchObject({ code: ProtocolErrorCode.TRUNCATED });
  await expect(node.submit("hello")).rejects.toMatchObject({ code: ProtocolErrorCode.NOT_BYTES });
  const good = buildTx(node, alice, dataPayload(randomBytes(32), 0));
  good[50] ^= 1; // inside the payload: the signature no longer verifies (or the PoW fails first)
  await expect(node.submit(good)).rejects.toMatchObject({ code: expect.stringMatching(/ERR_TX_(BAD_SIGNATURE|POW_INSUFFICIENT)/) });
  // A milestone from a non-coordinator key.
  const fake = buildMilestone(node, { signers: [alice] }).bytes;
  await expect(node.submit(fake)).rejects.toMatchObject({ code: ProtocolErrorCode.NOT_COORDINATOR });
  expect(node.storedTransactions).toBe(before);
  expect(node.ledgerIndex).toBe(0);
  await node.close();
  await expect(node.submit(good)).rejects.toMatchObject({ code: "ERR_NODE_CLOSED" });
});

test("a transaction waits for unknown parents, and gives up after the timeout", async () => {
  const { node } = await openNode(undefined, { solidifyTimeoutMs: 300 });
  const parent = buildTx(node, alice, dataPayload(randomBytes(32), 0));
  const { transactionId } = await import("../../client/protocol/codec");
  const parentId = toHex(transactionId(parent));
  const child = buildTx(node, bob, dataPayload(randomBytes(32), 0), [parentId, node.selectParents(2)[0]].sort());
  // The parent goes in once the child is waiting for it (the node announced it missing).
  const announced = new Promise((r) => node.once("missing", r));
  const waiting = node.submit(child);
  await announced;
  await node.submit(parent);
  const r = await waiting;
  expect(node.getMetadata(r.id)).toBeDefined();
  const orphan = buildTx(node, bob, dataPayload(randomBytes(32), 0), [toHex(randomBytes(32)), toHex(randomBytes(32))].sort());
  await expect(node.submit(orphan)).rejects.toMatchObject({ code: "ERR_TX_NOT_SOLID" });
  await node.close();
});

test("a parent stored while the child waits for another parent's write is not missed", async () => {
  // The child's parents: a milestone (its write and ledger update take two commits) and a data
  // transaction submitted after the child, which lands while the child awaits the milestone.
  const { node } = await openNode(undefined, { solidifyTimeoutMs: 3000 });
  const { coordinator } = await import("./_helpers");
  const { transactionId } = await import("../../client/protocol/codec");
  const parents = node.selectParents(2).map((p) => fromHex(p));
  const wf = node.whiteFlag(1, parents);
  void wf;
  void coordinator;
  const milestone = buildMilestone(node, { parents: parents.map(toHex) }).bytes;
  const sibling = buildTx(node, alice, dataPayload(randomBytes(32), 0));
  const child = buildTx(node, bob, dataPayload(randomBytes(32), 0), [toHex(transactionId(milestone)), toHex(transactionId(sibling))].sort());
  // The milestone's ledger commit is held back a little so the sibling surely lands first.
  const store = node.store as unknown as { applyMilestone: (...a: unknown[]) => Promise<unknown> };
  const apply = store.applyMilestone.bind(store);
  store.applyMilestone = async (...a: unknown[]) => {
    await new Promise((r) => setTimeout(r, 200));
    return apply(...a);
  };
  const m = node.submit(milestone);
  await new Promise((r) => setImmediate(r)); // the milestone's write is under way
  const results = await Promise.all([m, node.submit(child), node.submit(sibling)]);
  expect(results.map((r) => r.duplicate)).toEqual([false, false, false]);
  expect(node.getMetadata(results[1].id)).toBeDefined();
  expect(node.ledgerIndex).toBe(1);
  await node.close();
});

test("a parent that fails on its way in is announced as missing to whoever waits for it", async () => {
  const { node } = await openNode(undefined, { solidifyTimeoutMs: 400 });
  const { transactionId } = await import("../../client/protocol/codec");
  const unknown = toHex(randomBytes(32));
  // The parent itself waits for an unknown transaction and times out first.
  const parent = buildTx(node, alice, dataPayload(randomBytes(32), 0), [unknown, node.selectParents(2)[0]].sort());
  const parentId = toHex(transactionId(parent));
  const child = buildTx(node, bob, dataPayload(randomBytes(32), 0), [parentId, node.selectParents(2)[0]].sort());
  const missing: string[][] = [];
  node.on("missing", (e) => missing.push(e.ids));
  const p = node.submit(parent, { solidifyTimeoutMs: 100 });
  const c = node.submit(child, { solidifyTimeoutMs: 400 });
  await expect(p).rejects.toMatchObject({ code: "ERR_TX_NOT_SOLID" });
  await expect(c).rejects.toMatchObject({ code: "ERR_TX_NOT_SOLID" });
  // First only the grandparent was unknown; once the parent failed, the child asked for it.
  expect(missing).toEqual([[unknown], [parentId]]);
  await node.close();
});

test("a milestone whose ledger state differs is refused and the node reports the divergence", async () => {
  const { node } = await openNode();
  const diverged: unknown[] = [];
  node.on("diverged", (d) => diverged.push(d));
  const bad = buildMilestone(node, { over: { ledgerStateHash: randomBytes(32) } }).bytes;
  // Refused before it is stored (issue 15): the node halts, and the milestone travels no further.
  await expect(node.submit(bad)).rejects.toMatchObject({ code: "ERR_MILESTONE_STATE_MISMATCH" });
  const { transactionId } = await import("../../client/protocol/codec");
  expect(node.store.hasTransaction(transactionId(bad))).toBe(false);
  expect(node.ledgerIndex).toBe(0);
  expect(node.diverged).toMatchObject({ index: 1, code: "ERR_MILESTONE_STATE_MISMATCH" });
  expect(diverged).toHaveLength(1);
  await node.close();
});

test("the genesis of another network is refused for an existing database", async () => {
  const { node, dir } = await openNode();
  await node.close();
  await expect(TangleNode.open({ dataDir: dir, genesis: testGenesis({ networkId: 5 }) })).rejects.toMatchObject({ code: "ERR_GENESIS_MISMATCH" });
});

test("a milestone stored but not applied before a stop is applied at the next start", async () => {
  const { node, coord, dir } = await openNode();
  const stream = randomBytes(32);
  const a = await node.submit(buildTx(node, alice, dataPayload(stream, 0)));
  // Build the milestone as the coordinator would, but store it without applying it.
  const { decodeTransaction } = await import("../../client/protocol/codec");
  const { bytes } = buildMilestone(node);
  const d = decodeTransaction(bytes);
  if (!d.ok) throw new Error(d.code);
  const { transactionId } = await import("../../client/protocol/codec");
  await node.store.addTransaction(transactionId(bytes), bytes, d.value.tx, node.store.nextSeq(), node.now());
  void coord;
  await node.close();
  const again = await TangleNode.open({ dataDir: dir, genesis: testGenesis() });
  expect(again.ledgerIndex).toBe(1);
  expect(again.getMetadata(a.id)!.confirmedBy).toBe(1);
  expect(again.latestMilestone!.id).toBe(toHex(transactionId(bytes)));
  await again.close();
});

test("a transfer's bytes are decoded once and hashed once each for the id, the PoW root and the essence; an id given is not recomputed", async () => {
  const { node, coord } = await openNode();
  const g = genesisTransactionId(testGenesis());
  const transfer = (amount: bigint) => buildTx(node, alice, { type: "transfer", inputs: [{ txId: g, index: 0 }], outputs: [{ address: addressOf(bob.publicKey), amount }, { address: addressOf(alice.publicKey), amount: 1000n - amount }] });
  const bytes = transfer(10n);
  const d = codec.decodeTransaction(bytes);
  if (!d.ok) throw new Error(d.code);
  const essenceLength = d.value.essenceLength;
  // Which spans of the submitted buffer were hashed and decoded (other hashing, e.g. addresses, is not counted).
  const hashed: string[] = [];
  const hash = jest.spyOn(blake2b, "blake2b256");
  const decode = jest.spyOn(codec, "decodeTransaction");
  const span = (x: Uint8Array, whole: Uint8Array) =>
    x.buffer !== whole.buffer ? undefined : x.byteOffset === whole.byteOffset && x.length === whole.length ? "id" : x.length === whole.length - 8 ? "pow root" : x.length === essenceLength ? "essence" : `other ${x.length}`;
  try {
    for (const [sub, opts] of [
      [bytes, {}],
      [transfer(20n), { id: codec.transactionId(transfer(20n)) }],
    ] as const) {
      const given = Uint8Array.from(sub);
      hash.mockClear();
      decode.mockClear();
      const wanted = "id" in opts ? opts.id : undefined;
      await node.submit(given, wanted ? { id: wanted } : {});
      hashed.length = 0;
      for (const [arg] of hash.mock.calls) {
        const what = span(arg, given);
        if (what) hashed.push(what);
      }
      expect(hashed.sort()).toEqual(wanted ? ["essence", "pow root"] : ["essence", "id", "pow root"]);
      expect(decode.mock.calls.filter(([arg]) => arg === given)).toHaveLength(1);
    }
  } finally {
    hash.mockRestore();
    decode.mockRestore();
  }
  await coord.issue();
  await node.close();
});

test("events carry one typed payload each: received, accepted, transaction, rejected, milestone, closing", async () => {
  const { node, coord } = await openNode();
  const seen: string[] = [];
  node.on("received", () => seen.push("received"));
  node.on("accepted", (e) => seen.push(`accepted ${e.id.length} ${e.tx.payload.type}`));
  node.on("transaction", (e) => seen.push(`transaction ${e.id.length} ${e.bytes.length === bytes.length} ${e.source ?? "-"}`));
  node.on("rejected", (e) => seen.push(`rejected ${e.code}`));
  node.on("milestone", (e) => seen.push(`milestone ${e.index} ${e.included} ${e.includedIds.length} ${e.receivedMs.length} ${e.conflicts.length}`));
  node.on("closing", () => seen.push("closing"));
  const bytes = buildTx(node, alice, dataPayload(randomBytes(32), 0));
  await node.submit(bytes);
  await expect(node.submit(new Uint8Array(3))).rejects.toMatchObject({ code: ProtocolErrorCode.TRUNCATED });
  const ms = await coord.issue();
  await node.close();
  expect(seen).toEqual([
    "received",
    "transaction 64 true -",
    "accepted 64 data",
    "received",
    `rejected ${ProtocolErrorCode.TRUNCATED}`,
    "received",
    "milestone 1 1 1 1 0",
    `transaction 64 false -`,
    "accepted 64 milestone",
    "closing",
  ]);
  expect(ms).toHaveLength(64);
});

test("an API submission is decoded once (the issuer for adaptive PoW comes from the node's decoding) and counts for its issuer", async () => {
  const { node } = await openNode();
  // Three transactions per window at the base difficulty: the fourth would owe one extra bit.
  const adaptive = new AdaptivePow({ ...ADAPTIVE_POW, windowMs: 60_000, allowancePerSecond: 3 / 60 } as unknown as typeof ADAPTIVE_POW);
  const methods = createMethods({ node, adaptive, version: "test" });
  const caller = { powTimes: [], subscribe: () => [], unsubscribe: () => [] };
  const decode = jest.spyOn(codec, "decodeTransaction");
  const stream = randomBytes(32);
  try {
    let prev: Uint8Array | undefined;
    for (let i = 0; i < 3; i++) {
      const bytes = buildTx(node, alice, dataPayload(stream, i, prev));
      decode.mockClear();
      const r = (await methods.submitTransaction({ bytes }, caller)) as { id: string; duplicate: boolean };
      expect(r.duplicate).toBe(false);
      expect(decode.mock.calls.filter(([arg]) => arg === bytes)).toHaveLength(1);
      // A duplicate is neither decoded nor counted again.
      decode.mockClear();
      expect(await methods.submitTransaction({ bytes }, caller)).toEqual({ id: r.id, duplicate: true });
      expect(decode.mock.calls.filter(([arg]) => arg === bytes)).toHaveLength(0);
      prev = fromHex(r.id);
    }
  } finally {
    decode.mockRestore();
  }
  // Each new transaction was recorded for alice once (six records would owe two bits).
  expect(adaptive.extraBits(toHex(alice.publicKey), node.now())).toBe(1);
  await node.close();
});
