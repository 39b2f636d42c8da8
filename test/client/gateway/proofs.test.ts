/**
 * The gateway keeps its records' inclusion proofs (client/gateway/gateway.ts, docs/proofs.md), and
 * the stream verifier falls back to them for records the node no longer has: a real node in this
 * process (dev coordinator, LMDB in a temporary folder), a gateway on an LMDB outbox in another
 * temporary folder. Pruning is not built yet, so the node "prunes" as the getStream contract test
 * does: the bodies of the oldest records are removed from its LMDB (their stream index rows stay).
 * The verifier then takes them from the stored proofs, checked against the dev genesis, says which
 * ones, and names a stored proof that was tampered with. `tangle stream verify --outbox` does the
 * same from the command line.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ApiClient, Gateway, LmdbOutbox, verifyStream } from "../../../client/node";
import { fromHex } from "../../../client/protocol/bytes";
import { decodeInclusionProof, verifyInclusionProof } from "../../../client/protocol/inclusion-proof";
import { devGenesis } from "../../../node/networks/dev";
import { keys } from "../../../node/storage/schema";
import { startTestNode, TestNode } from "../../support/node";
import { tangle } from "../../cli/_run";
import { gatewayKey } from "./_gateway";

let node: TestNode;
let tmp: string;

beforeAll(async () => {
  node = await startTestNode({ milestoneIntervalMs: 100 });
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

/** Removes a transaction's body from the node's database, as pruning will. */
async function pruneBody(id: string): Promise<void> {
  const seq = node.node.store.seqOf(fromHex(id))!;
  await node.node.store.tx.remove(keys.seq(seq));
  expect(node.node.getTransactionBytes(id)).toBeUndefined();
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
  }
  await until("five stored proofs", () => gw.outbox.proofs(streamId).length === 5);
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

  // The node loses the bodies of records 0..2.
  for (const p of stored.slice(0, 3)) await pruneBody(p.id);
  const without = await verifyStream(client, streamId, { issuer: keyPair.publicKey });
  expect(without.records.length).toBe(0);
  const report = await verifyStream(client, streamId, { issuer: keyPair.publicKey, storedProofs: { proofs: stored, trust: devGenesis() } });
  expect(report.problems).toEqual([]);
  expect(report.fromProofs).toEqual([0, 1, 2]);
  expect(report.records.map((r) => [r.sequence, r.source, r.ok])).toEqual([
    [0, "proof", true],
    [1, "proof", true],
    [2, "proof", true],
    [3, "node", true],
    [4, "node", true],
  ]);
  expect(report.records.every((r) => r.confirmedBy !== null && r.readings === 1)).toBe(true);

  // A stored proof tampered with is named, and the record it stood for is a gap.
  const tampered = stored.map((p) => (p.sequence === 1 ? { ...p, proof: Uint8Array.from(p.proof, (b, i) => (i === p.proof.length - 40 ? b ^ 1 : b)) } : p));
  const bad = await verifyStream(client, streamId, { storedProofs: { proofs: tampered, trust: devGenesis() } });
  expect(bad.ok).toBe(false);
  expect(bad.problems.map((p) => [p.kind, p.sequence])).toEqual(expect.arrayContaining([["bad-proof", 1], ["gap", 1]]));
  expect(bad.problems.find((p) => p.kind === "bad-proof")!.message).toMatch(/ERR_PROOF_/);

  // From the command line: the built `tangle stream verify --outbox`.
  const cli = await tangle(["stream", "verify", streamId, "--node", node.url, "--outbox", dir, "--network", "dev"]);
  expect([cli.code, cli.stderr]).toEqual([0, ""]);
  expect(cli.stdout).toContain("from stored proofs (the node no longer has them): 0..2; every other record from the node");
  const cliJson = await tangle(["stream", "verify", streamId, "--node", node.url, "--outbox", dir, "--json"]);
  expect(JSON.parse(cliJson.stdout)).toMatchObject({ ok: true, fromProofs: [0, 1, 2] });
  const noOutbox = await tangle(["stream", "verify", streamId, "--node", node.url]);
  expect(noOutbox.code).toBe(1);
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
