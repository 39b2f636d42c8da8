/**
 * The gateway keeps its records' inclusion proofs (client/gateway/gateway.ts, docs/proofs.md), and
 * the stream verifier falls back to them for records the node pruned: a real node in this process
 * (dev coordinator, LMDB in a temporary folder, a window of 8 arrivals), a gateway on an LMDB
 * outbox in another temporary folder. The node prunes for real (node/pruning/executor.ts) up to the
 * milestone that confirmed record 2: records 0..2 and their stream index entries go, and getStream
 * says so (firstSequence 3, the pruning index). The verifier then takes them from the stored
 * proofs, checked against the dev genesis, says which ones, reports a whole chain, and names a
 * stored proof that was tampered with; without the proofs it names the pruned gap. `tangle stream
 * verify --outbox` does the same from the command line.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ApiClient, Gateway, LmdbOutbox, verifyStream } from "../../../client/node";
import { fromHex } from "../../../client/protocol/bytes";
import { decodeInclusionProof, verifyInclusionProof } from "../../../client/protocol/inclusion-proof";
import { devGenesis } from "../../../node/networks/dev";
import { pruneTo } from "../../../node/pruning/executor";
import { startTestNode, TestNode } from "../../support/node";
import { tangle } from "../../cli/_run";
import { gatewayKey } from "./_gateway";

let node: TestNode;
let tmp: string;

beforeAll(async () => {
  node = await startTestNode({ milestoneIntervalMs: 100, node: { window: 8 } });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-gateway-proofs-"));
}, 30_000);

afterAll(async () => {
  await node?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function until(what: string, f: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Prunes the node up to milestone `target` as its pruner does (entry points first), once that milestone's cone left the window. */
async function pruneThrough(target: number): Promise<void> {
  const n = node.node;
  await until("the milestone's cone out of the window", () => n.store.seqOf(fromHex(n.getMilestone(target)!.id))! < n.windowFloorSeq);
  const { entryPoints } = await pruneTo(n.store, target, { onDeleted: (ids) => n.forgetPruned(ids), onEntryPoints: (e) => n.addEntryPoints(e) });
  n.addEntryPoints(entryPoints);
}

test("the gateway stores each confirmed record's proof, durably; the verifier uses the node where it has the records and the proofs where it does not, and says which", async () => {
  const dir = path.join(tmp, "outbox-a");
  const client = await ApiClient.connect(node.url);
  const keyPair = gatewayKey();
  let gw = new Gateway({ client, keyPair, outbox: LmdbOutbox.open(dir), maxDelayMs: 10, maxReadingsPerRecord: 1, proofIntervalMs: 50 });
  const streamId = gw.streamId("no2-harbour-3");
  const proofEvents: number[] = [];
  gw.on("proof", (e) => proofEvents.push(e.sequence));
  for (let i = 0; i < 5; i++) {
    await gw.publish("no2-harbour-3", { no2: 20 + i });
    await gw.flush(10_000);
    // Each record confirmed before the next is published: each by a milestone of its own.
    await until(`record ${i} confirmed`, () => node.node.streamRecords(fromHex(streamId), 0, 10).every((r) => node.node.getMetadata(r.id)?.confirmedBy != null));
  }
  await until("five stored proofs", () => gw.outbox.proofs(streamId).length === 5 && proofEvents.length === 5);
  expect(proofEvents.sort()).toEqual([0, 1, 2, 3, 4]);
  expect(gw.outbox.awaitingProofs(undefined, 100)).toEqual([]);
  await gw.close();

  // Kept on disk: a new gateway on the same outbox has them, each valid against the dev genesis.
  gw = new Gateway({ client, keyPair, outbox: LmdbOutbox.open(dir), keepProofs: false });
  const stored = gw.outbox.proofs(streamId);
  await gw.close();
  expect(stored.map((p) => p.sequence)).toEqual([0, 1, 2, 3, 4]);
  const page = await client.getStream(streamId);
  expect(stored.map((p) => p.id)).toEqual(page.records.map((r) => r.id));
  for (const p of stored) {
    const d = decodeInclusionProof(p.proof);
    if (!d.ok) throw new Error(d.message);
    expect(verifyInclusionProof(d.value, devGenesis())).toMatchObject({ ok: true, transactionId: p.id, payloadType: "data" });
  }

  // Everything on the node: the proofs are not needed.
  const whole = await verifyStream(client, streamId, { issuer: keyPair.publicKey, storedProofs: { proofs: stored, trust: devGenesis() } });
  expect([whole.ok, whole.fromProofs, whole.records.map((r) => r.source)]).toEqual([true, [], ["node", "node", "node", "node", "node"]]);

  // The node prunes records 0..2 (through the milestone that confirmed record 2).
  const confirmedBy = stored.map((p) => node.node.getMetadata(p.id)!.confirmedBy!);
  expect(new Set(confirmedBy).size).toBe(5);
  await pruneThrough(confirmedBy[2]);
  // Records 0..2 go, 3 and 4 stay; one of 1..2 may stay as a solid entry point (a transaction
  // confirmed later approves it), and then those above it wait with it (a stream is pruned from
  // its lowest sequence up). `k`: the first sequence the node still holds.
  const k = stored.findIndex((p) => node.node.hasTransaction(p.id));
  expect(k).toBeGreaterThanOrEqual(1);
  expect(k).toBeLessThanOrEqual(3);
  expect(stored.map((p) => node.node.hasTransaction(p.id))).toEqual(stored.map((p) => p.sequence >= k));
  const prunedSeqs = Array.from({ length: k }, (_, i) => i);
  const pruned = await client.getStream(streamId);
  expect([pruned.records.map((r) => r.sequence), pruned.firstSequence, pruned.lastSequence]).toEqual([[1, 2, 3, 4].slice(k - 1), k, 4]);
  expect(pruned.pruningIndex).toBe(confirmedBy[2]);

  // Without the proofs: the records from k verify (the first one's link is not checked: it is
  // marked), and the missing 0..k-1 is a gap the node pruned.
  const without = await verifyStream(client, streamId, { issuer: keyPair.publicKey });
  expect(without.records.map((r) => [r.sequence, r.source, r.ok])).toEqual([1, 2, 3, 4].slice(k - 1).map((s) => [s, "node", s !== k]));
  expect(without.ok).toBe(false);
  expect(without.node).toEqual({ firstSequence: k, lastSequence: 4, pruningIndex: confirmedBy[2] });
  expect(without.problems.map((p) => [p.kind, p.sequence, p.toSequence, p.pruned])).toEqual([["gap", 0, k - 1, true]]);
  expect(without.problems[0].message).toBe(`sequences 0..${k - 1} are missing: the node pruned them (it lists the stream from sequence ${k}, pruning index ${confirmedBy[2]}); the gateway's stored inclusion proofs (its outbox) can stand in`);

  // With them: a whole, verified chain across the pruning index, each record's source named.
  const report = await verifyStream(client, streamId, { issuer: keyPair.publicKey, storedProofs: { proofs: stored, trust: devGenesis() } });
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
  expect(report.fromProofs).toEqual(prunedSeqs);
  expect(report.records.map((r) => r.id)).toEqual(stored.map((p) => p.id));
  expect(report.records.map((r) => r.confirmedBy)).toEqual(confirmedBy);
  expect(report.records.map((r) => [r.sequence, r.source, r.ok])).toEqual(stored.map((p) => [p.sequence, p.sequence < k ? "proof" : "node", true]));
  expect(report.records.every((r) => r.confirmedBy !== null && r.readings === 1)).toBe(true);

  // A stored proof tampered with is named, and the record it stood for is a gap.
  const tampered = stored.map((p) => (p.sequence === 0 ? { ...p, proof: Uint8Array.from(p.proof, (b, i) => (i === p.proof.length - 40 ? b ^ 1 : b)) } : p));
  const bad = await verifyStream(client, streamId, { storedProofs: { proofs: tampered, trust: devGenesis() } });
  expect(bad.ok).toBe(false);
  expect(bad.problems.map((p) => [p.kind, p.sequence, p.toSequence])).toEqual([
    ["bad-proof", 0, undefined],
    ["gap", 0, 0],
  ]);
  expect(bad.problems.find((p) => p.kind === "bad-proof")!.message).toMatch(/ERR_PROOF_/);
  expect(bad.problems.find((p) => p.kind === "gap")).toMatchObject({ pruned: true, message: expect.stringContaining("no stored proof has it") });

  // From the command line: the built `tangle stream verify --outbox`.
  const cli = await tangle(["stream", "verify", streamId, "--node", node.url, "--outbox", dir, "--network", "dev"]);
  expect([cli.code, cli.stderr]).toEqual([0, ""]);
  expect(cli.stdout).toContain(`the node pruned sequences 0..${k - 1} (it lists the stream from sequence ${k}; pruning index ${confirmedBy[2]})`);
  expect(cli.stdout).toContain(`from stored proofs (the node no longer has them): 0..${k - 1}; every other record from the node`);
  const cliJson = await tangle(["stream", "verify", streamId, "--node", node.url, "--outbox", dir, "--json"]);
  expect(JSON.parse(cliJson.stdout)).toMatchObject({ ok: true, fromProofs: prunedSeqs, node: { firstSequence: k, lastSequence: 4 } });
  const noOutbox = await tangle(["stream", "verify", streamId, "--node", node.url]);
  expect(noOutbox.code).toBe(1);
  expect(noOutbox.stdout).toContain(`sequences 0..${k - 1} are missing: the node pruned them`);
  client.close();
}, 90_000);

test("a record the node does not know stops waiting for its proof; an unconfirmed one waits", async () => {
  const outbox = LmdbOutbox.open(path.join(tmp, "outbox-b"));
  const client = await ApiClient.connect(node.url);
  const keyPair = gatewayKey();
  const gw = new Gateway({ client, keyPair, outbox, proofIntervalMs: 3_600_000 });
  try {
    const unknown = "ab".repeat(32);
    await outbox.ack(devGenesis().networkId, gw.streamId("ghost"), { nextSequence: 1, prevId: unknown }, { sequence: 0, id: unknown });
    expect(outbox.awaitingProofs(undefined, 10).map((a) => a.id)).toEqual([unknown]);
    expect(await gw.fetchProofs()).toBe(0);
    expect(outbox.awaitingProofs(undefined, 10)).toEqual([]);
  } finally {
    await gw.close();
    client.close();
  }
}, 30_000);
