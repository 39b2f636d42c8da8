/**
 * Snapshot files (node/snapshot/, docs/storage.md "Snapshot files") from a real node: LMDB in a
 * temporary folder, transfers and data records confirmed by milestones, a committee change carried
 * by milestone 2 (from the genesis coordinator to bob, effective at 4), milestones 4 and 5 signed
 * by bob. Full snapshots at 3 and 5 and a delta from 3 to 5 are written from the stopped node's
 * directory and verified; every kind of damage and forgery fails with its code; the delta on top
 * of the full snapshot at 3 gives the state of the full snapshot at 5; a damaged database yields no
 * file; an import starts a node at milestone 5 that confirms a transfer of an imported output in
 * milestone 6, and whose directory snapshots again at 6.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { Code } from "../../../client/protocol/codes";
import { decodeTransaction, type Payload } from "../../../client/protocol/codec";
import { attach, milestonePayload, signMilestone, signTransaction, stampSync } from "../../../client/protocol/build";
import { addressOf, KeyPair } from "../../../client/protocol/keys";
import { PROTOCOL_VERSION } from "../../../client/protocol/limits";
import type { MilestonePayload } from "../../../client/protocol/payloads";
import { blake2b256 } from "../../../core-wasm/src/blake2b";
import { Coordinator } from "../../../node/coordinator";
import { genesisTransactionId } from "../../../node/ledger/genesis";
import { TangleNode } from "../../../node/tangle-node";
import { requiredDifficulty } from "../../../node/validation/pipeline";
import { encodeOutputValue, keys } from "../../../node/storage/schema";
import { Store } from "../../../node/storage/store";
import { createSnapshot, importSnapshot, SnapshotHeader, SnapshotReader, SnapshotWriter, verifySnapshot, SnapshotVerdict } from "../../../node/snapshot";
import { alice, bob, buildMilestone, buildTx, cleanupDirs, coordinator, coordinatorSeed, dataPayload, testGenesis, tmpDir } from "../_helpers";

const genesis = testGenesis();
const g = genesisTransactionId(genesis);
const aliceAddr = addressOf(alice.publicKey);
const bobAddr = addressOf(bob.publicKey);
let dir: string;
let files: string;
const full3 = () => path.join(files, "full-3.snap");
const full5 = () => path.join(files, "full-5.snap");
const delta35 = () => path.join(files, "delta-3-5.snap");
/** What the node itself said at 3 and 5: ledger roots, state hashes, unspent outputs. */
const at: Record<number, { root: string; stateHash: string; unspent: number; milestoneId: string }> = {};
let transferAt5: { txId: Uint8Array; index: number; amount: bigint };

function transfer(inputs: { txId: Uint8Array; index: number }[], outputs: { address: Uint8Array; amount: bigint }[]): Payload {
  return { type: "transfer", inputs, outputs };
}

async function record(node: TangleNode, index: number): Promise<void> {
  const unspent = (node as unknown as { ledger: { utxo: { unspentCount: number } } }).ledger.utxo.unspentCount;
  at[index] = { root: toHex(node.proveOutput(g, 0).ledgerRoot), stateHash: toHex(node.stateHash), unspent, milestoneId: node.latestMilestone!.id };
}

beforeAll(async () => {
  dir = tmpDir();
  files = tmpDir();
  let node = await TangleNode.open({ dataDir: dir, genesis });
  const coord = new Coordinator(node, coordinatorSeed, { intervalMs: 1e9 });
  const stream = new Uint8Array(32).fill(7);
  // 1: a data record and a transfer alice → bob.
  const d0 = await node.submit(buildTx(node, alice, dataPayload(stream, 0)));
  const t1 = await node.submit(buildTx(node, alice, transfer([{ txId: g, index: 0 }], [{ address: bobAddr, amount: 300n }, { address: aliceAddr, amount: 700n }])));
  await coord.issue();
  // 2: a record, and the committee change to bob alone from index 4.
  const d1 = await node.submit(buildTx(node, alice, dataPayload(stream, 1, fromHex(d0.id))));
  await node.submit(buildMilestone(node, { over: { committeeChange: { effectiveIndex: 4, threshold: 1, members: [bob.publicKey] } } }).bytes);
  // 3: bob pays alice from t1's output.
  const t3 = await node.submit(buildTx(node, bob, transfer([{ txId: fromHex(t1.id), index: 0 }], [{ address: aliceAddr, amount: 100n }, { address: bobAddr, amount: 200n }])));
  await coord.issue();
  expect(node.ledgerIndex).toBe(3);
  await record(node, 3);
  await node.close();
  await createSnapshot(dir, full3(), genesis);

  node = await TangleNode.open({ dataDir: dir, genesis });
  // 4 and 5, signed by bob: alice spends genesis output 1, bob spends t3's change.
  await node.submit(buildTx(node, alice, transfer([{ txId: g, index: 1 }], [{ address: bobAddr, amount: 500n }])));
  await node.submit(buildMilestone(node, { signers: [bob] }).bytes);
  const t5 = await node.submit(buildTx(node, bob, transfer([{ txId: fromHex(t3.id), index: 1 }], [{ address: aliceAddr, amount: 150n }, { address: bobAddr, amount: 50n }])));
  await node.submit(buildTx(node, alice, dataPayload(stream, 2, fromHex(d1.id))));
  await node.submit(buildMilestone(node, { signers: [bob] }).bytes);
  expect(node.ledgerIndex).toBe(5);
  expect(node.getMetadata(t5.id)).toMatchObject({ confirmedBy: 5, conflict: null });
  transferAt5 = { txId: fromHex(t5.id), index: 0, amount: 150n };
  await record(node, 5);
  await node.close();
  await createSnapshot(dir, full5(), genesis);
  await createSnapshot(dir, delta35(), genesis, { deltaFrom: full3() });
}, 60_000);

afterAll(cleanupDirs);

function expectFailure(v: SnapshotVerdict, code: string): void {
  expect(v.ok ? { ok: true } : { ok: false, code: v.code }).toEqual({ ok: false, code });
}

/** Writes a copy of `from` with its header changed by `edit` (entries as they are; a new checksum). */
function rewrite(from: string, to: string, edit: (h: SnapshotHeader) => SnapshotHeader): string {
  const r = SnapshotReader.open(from);
  const w = SnapshotWriter.create(to, edit({ ...r.header }));
  for (const k of r.deletedKeys()) w.addDeleted(k);
  for (const e of r.entries()) w.addEntry(e.key, e.value);
  r.finish();
  w.finish();
  return to;
}

/** A copy of `from` with `change` applied to its bytes; the checksum recomputed when `fixChecksum`. */
function damaged(from: string, name: string, change: (b: Uint8Array) => Uint8Array, fixChecksum: boolean): string {
  let b = change(Uint8Array.from(fs.readFileSync(from)));
  if (fixChecksum) b.set(blake2b256(b.subarray(0, b.length - 32)), b.length - 32);
  const to = path.join(files, name);
  fs.writeFileSync(to, b);
  return to;
}

/** The milestone transaction of `file` re-issued by the coordinator with `edit` applied to its payload. */
function reissuedMilestone(file: string, edit: (p: MilestonePayload) => MilestonePayload, issuer: KeyPair = coordinator): Uint8Array {
  const r = SnapshotReader.open(file);
  const d = decodeTransaction(r.header.milestone);
  r.close();
  if (!d.ok || d.value.tx.payload.type !== "milestone") throw new Error("no milestone");
  const tx = d.value.tx;
  const signed = signTransaction({ version: PROTOCOL_VERSION, networkId: genesis.networkId, issuer: issuer.publicKey, payload: edit(tx.payload as MilestonePayload) }, issuer.secretKey);
  const bytes = attach(signed, tx.parents, tx.timestamp);
  return stampSync(bytes, requiredDifficulty(bytes.length, genesis.baseDifficulty));
}

test("full snapshots at 3 and 5 verify against the genesis: the milestone, its ledger root and the entries the node held", async () => {
  for (const [file, index] of [[full3(), 3], [full5(), 5]] as const) {
    const v = await verifySnapshot(file, genesis);
    expect(v).toMatchObject({ ok: true, kind: "full", index, milestoneId: at[index].milestoneId, ledgerRoot: at[index].root, stateHash: at[index].stateHash, entries: at[index].unspent, entryRecords: at[index].unspent, deletedRecords: 0, committeeChanges: 1, bytes: fs.statSync(file).size });
  }
  // The entries are exactly the ledger's unspent outputs, in entry key order.
  const r = SnapshotReader.open(full5());
  const keys = [...r.entries()].map((e) => toHex(e.key));
  r.finish();
  expect(keys).toEqual([...keys].sort());
  expect(keys).toContain(`01${toHex(transferAt5.txId)}00`);
  expect(keys).not.toContain(`01${toHex(g)}00`); // spent by milestone 1
});

test("the delta from 3 to 5 on top of the full snapshot at 3 gives the full snapshot at 5", async () => {
  const v = await verifySnapshot(delta35(), genesis, { base: full3() });
  expect(v).toMatchObject({ ok: true, kind: "delta", index: 5, ledgerRoot: at[5].root, stateHash: at[5].stateHash, entries: at[5].unspent, base: { index: 3, ledgerRoot: at[3].root } });
  if (!v.ok) return;
  // Spent since 3: genesis output 1 and t3's change; created: 4's and 5's outputs.
  expect(v.deletedRecords).toBe(2);
  expect(v.entryRecords).toBe(3);
  expect(v.bytes).toBeLessThan(fs.statSync(full5()).size);
  // Without its base, or on another base, it is not checked.
  expectFailure(await verifySnapshot(delta35(), genesis), Code.ERR_SNAPSHOT_BASE);
  expectFailure(await verifySnapshot(delta35(), genesis, { base: full5() }), Code.ERR_SNAPSHOT_BASE);
  expectFailure(await verifySnapshot(full5(), genesis, { base: full3() }), Code.ERR_SNAPSHOT_BASE);
  // A delta that deletes an entry its base does not hold (checksum made right).
  const r = SnapshotReader.open(delta35());
  const firstDeleted = [...r.deletedKeys()][0].slice();
  r.close();
  const bytes = fs.readFileSync(delta35());
  const at0 = bytes.indexOf(Buffer.from(firstDeleted));
  const ghost = damaged(delta35(), "delta-ghost.snap", (b) => (b[at0 + 33] ^= 0x80, b), true);
  expectFailure(await verifySnapshot(ghost, genesis, { base: full3() }), Code.ERR_SNAPSHOT_DELTA);
});

test("a tampered entry fails: by its checksum, and by the ledger root when the checksum is made to fit", async () => {
  const bytes = fs.readFileSync(full5());
  const entry = Buffer.concat([Buffer.of(34, 1), Buffer.from(transferAt5.txId), Buffer.of(0)]);
  const amountAt = bytes.indexOf(entry) + entry.length + 2 + 32; // key, u16 value length, address
  expect(bytes.readBigUInt64LE(amountAt)).toBe(150n);
  const more = (b: Uint8Array) => (Buffer.from(b.buffer).writeBigUInt64LE(151n, amountAt), b);
  expectFailure(await verifySnapshot(damaged(full5(), "entry.snap", more, false), genesis), Code.ERR_SNAPSHOT_CHECKSUM);
  expectFailure(await verifySnapshot(damaged(full5(), "entry-fixed.snap", more, true), genesis), Code.ERR_SNAPSHOT_LEDGER_ROOT);
  // An entry left out (the count and the chunk adjusted by writing the file again): the root differs.
  const dropped = path.join(files, "dropped.snap");
  const r = SnapshotReader.open(full5());
  const w = SnapshotWriter.create(dropped, { ...r.header, entryCount: r.header.entryCount - 1 });
  for (const e of r.entries()) if (toHex(e.key) !== `01${toHex(transferAt5.txId)}00`) w.addEntry(e.key, e.value);
  r.finish();
  w.finish();
  expectFailure(await verifySnapshot(dropped, genesis), Code.ERR_SNAPSHOT_LEDGER_ROOT);
});

test("a tampered milestone or signature fails with its code, and so does a committee chain with a change left out", async () => {
  // A member's signature that does not verify (the transaction itself re-issued validly).
  const badSig = reissuedMilestone(full5(), (p) => ({ ...p, signatures: p.signatures.map((s) => ({ ...s, signature: s.signature.map((x, i) => (i === 5 ? x ^ 1 : x)) })) }), bob);
  expectFailure(await verifySnapshot(rewrite(full5(), path.join(files, "bad-sig.snap"), (h) => ({ ...h, milestone: badSig })), genesis), Code.ERR_MILESTONE_BAD_SIGNATURE);
  // Signed by a key that was never a member.
  const forged = reissuedMilestone(
    full5(),
    (p) => {
      const { signatures: _, ...fields } = p;
      const d = decodeTransaction(SnapshotReader.open(full5()).header.milestone);
      const parents = d.ok ? d.value.tx.parents : [];
      return milestonePayload(fields, [signMilestone(genesis.networkId, parents, fields, alice.publicKey, alice.secretKey)]);
    },
    bob,
  );
  expectFailure(await verifySnapshot(rewrite(full5(), path.join(files, "forged.snap"), (h) => ({ ...h, milestone: forged })), genesis), Code.ERR_MILESTONE_NOT_MEMBER);
  // Milestone 5 is bob's: without the change that made bob the committee, bob is no member.
  expectFailure(await verifySnapshot(rewrite(full5(), path.join(files, "no-change.snap"), (h) => ({ ...h, changes: [] })), genesis), Code.ERR_MILESTONE_NOT_MEMBER);
  // The issuer's signature of the milestone transaction changed (the committee's still holds).
  const r5 = SnapshotReader.open(full5());
  const ms5 = r5.header.milestone;
  r5.close();
  const d5 = decodeTransaction(ms5);
  if (!d5.ok) throw new Error("milestone 5 does not decode");
  const flipped = Uint8Array.from(ms5);
  flipped[d5.value.essenceLength + 10] ^= 1;
  expectFailure(await verifySnapshot(rewrite(full5(), path.join(files, "ms-bytes.snap"), (h) => ({ ...h, milestone: flipped })), genesis), Code.ERR_SNAPSHOT_MILESTONE);
  // Another validly signed milestone (3's) in the file of 5, with the header naming 3 and its root: the entries are 5's.
  const r3 = SnapshotReader.open(full3());
  const h3 = r3.header;
  r3.close();
  expectFailure(await verifySnapshot(rewrite(full5(), path.join(files, "ms3.snap"), (h) => ({ ...h, milestone: h3.milestone })), genesis), Code.ERR_SNAPSHOT_MILESTONE);
  expectFailure(await verifySnapshot(rewrite(full5(), path.join(files, "ms3-root.snap"), (h) => ({ ...h, index: 3, ledgerRoot: h3.ledgerRoot, milestone: h3.milestone })), genesis), Code.ERR_SNAPSHOT_LEDGER_ROOT);
  // A change milestone that carries no change.
  expectFailure(await verifySnapshot(rewrite(full5(), path.join(files, "not-change.snap"), (h) => ({ ...h, changes: [h3.milestone] })), genesis), Code.ERR_SNAPSHOT_MILESTONE);
});

test("another network or genesis, a truncated file, bytes after the checksum and a bad magic fail with their codes", async () => {
  expectFailure(await verifySnapshot(full5(), testGenesis({ networkId: 98 })), Code.ERR_SNAPSHOT_WRONG_NETWORK);
  expectFailure(await verifySnapshot(full5(), testGenesis({ outputs: [{ address: toHex(aliceAddr), amount: "1500" }] })), Code.ERR_SNAPSHOT_WRONG_NETWORK);
  const size = fs.statSync(full5()).size;
  for (const keep of [0, 5, 60, 300, size - 200, size - 33, size - 1]) {
    const cut = damaged(full5(), `cut-${keep}.snap`, (b) => b.subarray(0, keep), false);
    expectFailure(await verifySnapshot(cut, genesis), Code.ERR_SNAPSHOT_TRUNCATED);
  }
  expectFailure(await verifySnapshot(damaged(full5(), "longer.snap", (b) => Uint8Array.from([...b, 0]), false), genesis), Code.ERR_SNAPSHOT_MALFORMED);
  expectFailure(await verifySnapshot(damaged(full5(), "magic.snap", (b) => ((b[0] ^= 1), b), true), genesis), Code.ERR_SNAPSHOT_MALFORMED);
  expectFailure(await verifySnapshot(damaged(full5(), "version.snap", (b) => ((b[8] = 2), b), true), genesis), Code.ERR_SNAPSHOT_MALFORMED);
});

test("create refuses a directory a node is running on, and one of another network; verification changes nothing", async () => {
  const before = fs.readFileSync(full5());
  const node = await TangleNode.open({ dataDir: dir, genesis });
  try {
    await expect(createSnapshot(dir, path.join(files, "busy.snap"), genesis)).rejects.toMatchObject({ code: Code.ERR_DATA_DIR_IN_USE });
  } finally {
    await node.close();
  }
  await expect(createSnapshot(dir, path.join(files, "other.snap"), testGenesis({ networkId: 98 }))).rejects.toMatchObject({ code: Code.ERR_GENESIS_MISMATCH });
  expect(fs.existsSync(path.join(files, "busy.snap"))).toBe(false);
  expect(fs.existsSync(path.join(files, "other.snap"))).toBe(false);
  expect(fs.readFileSync(full5()).equals(before)).toBe(true);
});

test("a database whose unspent outputs do not give its milestone's ledger root yields no file, full or delta", async () => {
  const copy = tmpDir();
  fs.copyFileSync(path.join(dir, "data.mdb"), path.join(copy, "data.mdb"));
  const store = await Store.open(copy);
  await store.utxo.put(keys.output(new Uint8Array(32).fill(9), 0), encodeOutputValue(aliceAddr, 5n, 5));
  await store.close();
  for (const [name, opts] of [["damaged-full.snap", {}], ["damaged-delta.snap", { deltaFrom: full3() }]] as const) {
    const out = path.join(files, name);
    await expect(createSnapshot(copy, out, genesis, opts)).rejects.toMatchObject({ code: Code.ERR_SNAPSHOT_LEDGER_ROOT });
    expect([fs.existsSync(out), fs.existsSync(`${out}.partial`)]).toEqual([false, false]);
  }
});

test("solid entry points: what arrived after the snapshot's milestone solidifies on the imported node, whose next milestone the original node applies alike", async () => {
  const a = tmpDir();
  const na = await TangleNode.open({ dataDir: a, genesis });
  const stream = new Uint8Array(32).fill(9);
  const r0 = await na.submit(buildTx(na, alice, dataPayload(stream, 0)));
  const t = await na.submit(buildTx(na, alice, transfer([{ txId: g, index: 0 }], [{ address: bobAddr, amount: 1000n }])));
  await new Coordinator(na, coordinatorSeed, { intervalMs: 1e9 }).issue();
  expect(na.getMetadata(t.id)).toMatchObject({ confirmedBy: 1 });
  // After milestone 1, not confirmed yet: a record on r0 and t (not on the milestone), and a transfer on top of it.
  const r1 = buildTx(na, alice, dataPayload(stream, 1, fromHex(r0.id)), [r0.id, t.id]);
  const r1id = (await na.submit(r1)).id;
  const r2 = buildTx(na, bob, transfer([{ txId: fromHex(t.id), index: 0 }], [{ address: aliceAddr, amount: 1000n }]), [r1id, r0.id]);
  const r2id = (await na.submit(r2)).id;
  await na.close();
  const file = path.join(files, "entry-points.snap");
  expect(await createSnapshot(a, file, genesis)).toMatchObject({ index: 1, entryPoints: 2 });
  expect(await verifySnapshot(file, genesis)).toMatchObject({ ok: true, entryPoints: 2 });

  const b = path.join(tmpDir(), "b");
  await importSnapshot(file, b, genesis);
  const nb = await TangleNode.open({ dataDir: b, genesis, solidifyTimeoutMs: 1000 });
  let ms2: Uint8Array;
  try {
    expect([nb.isEntryPoint(r0.id), nb.isEntryPoint(t.id)]).toEqual([true, true]);
    // As gossip would bring them: solid on the entry points.
    await nb.submit(r1);
    await nb.submit(r2);
    ms2 = buildMilestone(nb, { parents: [nb.latestMilestone!.id, r2id] }).bytes;
    await nb.submit(ms2);
    expect(nb.ledgerIndex).toBe(2);
    expect([nb.getMetadata(r1id)?.confirmedBy, nb.getMetadata(r2id)?.confirmedBy, nb.getMetadata(r2id)?.conflict]).toEqual([2, 2, null]);
    expect(nb.balance(aliceAddr).confirmed).toBe(500n + 1000n);
  } finally {
    await nb.close();
  }
  // The node with the whole history applies the imported node's milestone 2: same cone, same state.
  const again = await TangleNode.open({ dataDir: a, genesis });
  try {
    await again.submit(ms2);
    expect(again.ledgerIndex).toBe(2);
    expect(again.getMetadata(r2id)).toMatchObject({ confirmedBy: 2, conflict: null });
    const nb2 = await TangleNode.open({ dataDir: b, genesis });
    try {
      expect(toHex(again.stateHash)).toBe(toHex(nb2.stateHash));
      expect(toHex(again.proveOutput(g, 0).ledgerRoot)).toBe(toHex(nb2.proveOutput(g, 0).ledgerRoot));
      expect(nb2.isEntryPoint(r0.id)).toBe(true); // kept through a restart
    } finally {
      await nb2.close();
    }
  } finally {
    await again.close();
  }
});

test("an imported snapshot starts a node at its milestone: same ledger, committee chain, and a transfer of an imported output confirms", async () => {
  const target = path.join(tmpDir(), "imported");
  const s = await importSnapshot(full5(), target, genesis);
  expect(s).toMatchObject({ index: 5, ledgerRoot: at[5].root });
  expect(fs.readdirSync(target).filter((f) => !f.startsWith("data.mdb"))).toEqual([]);
  const node = await TangleNode.open({ dataDir: target, genesis });
  try {
    expect(node.ledgerIndex).toBe(5);
    expect(toHex(node.stateHash)).toBe(at[5].stateHash);
    expect(toHex(node.proveOutput(g, 0).ledgerRoot)).toBe(at[5].root);
    expect(node.latestMilestone!.id).toBe(at[5].milestoneId);
    expect(node.balance(aliceAddr).confirmed).toBe(700n + 100n + 150n);
    expect(node.balance(bobAddr).confirmed).toBe(500n + 50n);
    // bob's milestones are accepted (the chain was rebuilt from the imported change), the genesis coordinator's are not.
    const t = await node.submit(buildTx(node, alice, transfer([transferAt5], [{ address: bobAddr, amount: 150n }])));
    await expect(node.submit(buildMilestone(node).bytes)).rejects.toMatchObject({ code: Code.ERR_MILESTONE_RETIRED_SIGNER });
    await node.submit(buildMilestone(node, { signers: [bob] }).bytes);
    expect(node.ledgerIndex).toBe(6);
    expect(node.getMetadata(t.id)).toMatchObject({ confirmedBy: 6, conflict: null });
    expect(node.balance(bobAddr).confirmed).toBe(700n);
  } finally {
    await node.close();
  }
  // The imported directory snapshots again at 6: the change milestone travels on, milestones 1 to 4 are not there.
  const full6 = path.join(files, "full-6.snap");
  await createSnapshot(target, full6, genesis);
  expect(await verifySnapshot(full6, genesis)).toMatchObject({ ok: true, index: 6, committeeChanges: 1, entries: at[5].unspent });
  const delta56 = path.join(files, "delta-5-6.snap");
  await createSnapshot(target, delta56, genesis, { deltaFrom: full5() });
  expect(await verifySnapshot(delta56, genesis, { base: full5() })).toMatchObject({ ok: true, index: 6, deletedRecords: 1, entryRecords: 1 });
  // The delta from 3 to 5 imported on the full snapshot at 3: the same node at 5.
  const fromDelta = path.join(tmpDir(), "from-delta");
  expect(await importSnapshot(delta35(), fromDelta, genesis, { base: full3() })).toMatchObject({ kind: "delta", index: 5, ledgerRoot: at[5].root, entries: at[5].unspent });
  const nd = await TangleNode.open({ dataDir: fromDelta, genesis });
  try {
    expect([nd.ledgerIndex, toHex(nd.stateHash), toHex(nd.proveOutput(g, 0).ledgerRoot)]).toEqual([5, at[5].stateHash, at[5].root]);
    expect([nd.balance(aliceAddr).confirmed, nd.balance(bobAddr).confirmed]).toEqual([700n + 100n + 150n, 500n + 50n]);
    // Every output of the full snapshot at 5, and no other, with its address and amount.
    const r = SnapshotReader.open(full5());
    const inFull: string[] = [];
    for (const e of r.entries()) inFull.push(`${toHex(e.key.subarray(1, 33))}:${e.key[33]}:${toHex(e.value.subarray(0, 32))}:${Buffer.from(e.value).readBigUInt64LE(32)}`);
    r.finish();
    const held = [aliceAddr, bobAddr].flatMap((a) => nd.outputs(a).map((o) => `${toHex(o.txId)}:${o.index}:${toHex(o.address)}:${o.amount}`));
    expect(held.sort()).toEqual(inFull.sort());
  } finally {
    await nd.close();
  }
  await expect(importSnapshot(delta35(), path.join(tmpDir(), "no-base"), genesis)).rejects.toMatchObject({ code: Code.ERR_SNAPSHOT_BASE });
  // Only into an empty directory; a bad file imports nothing.
  await expect(importSnapshot(full5(), target, genesis)).rejects.toMatchObject({ code: Code.ERR_SNAPSHOT_IMPORT_TARGET });
  const other = path.join(tmpDir(), "bad");
  await expect(importSnapshot(path.join(files, "entry-fixed.snap"), other, genesis)).rejects.toMatchObject({ code: Code.ERR_SNAPSHOT_LEDGER_ROOT });
  expect(fs.existsSync(other) ? fs.readdirSync(other) : []).toEqual([]);
});
