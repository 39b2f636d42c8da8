/**
 * The long load the pruning issue asks for (issue 17, "Tests and measurements"): a whole node from
 * the composition root (startTestNode: real LMDB in a temporary folder, its own dev coordinator
 * every 250 ms, a window of 64 arrivals, --pruning-depth 8), fed at least 2,400 data records of 3 KB in four
 * streams and a chain of transfers in between, through its in-process submit path, until the ledger
 * index reaches 8 depths (64 milestones), however fast the machine submits. While it runs,
 * the test fetches each record's inclusion proof through the API as soon as a milestone confirms it
 * (before the node prunes it) and samples pages in use (getNodeInfo.database), the bytes of the
 * submitted transactions the node still stores, and the RSS. Then:
 * - pages in use after the first prune stay within what the data still held needs (twice its
 *   bytes), what the kept milestones need (PAGES_PER_MILESTONE each) and a fixed 64 pages; the data
 *   held is what arrived since a few milestones below the pruning index (a depth's worth) and the
 *   streams' heads; and the pages in use beside the milestones' end far below what the data
 *   submitted would take (an archive's);
 * - the RSS grows by no more than a bound (the node's caches are bounded by configuration);
 * - the oldest records and transfers are gone, and every proof fetched before verifies offline
 *   against the dev genesis;
 * - the stream verifier, given those proofs, reports each stream as a whole, verified chain across
 *   the pruning index: the pruned sequences from the proofs, the rest from the node.
 * Nothing is timed: the load is a count of transactions, and waits are for conditions.
 */
import { fromHex } from "../../../client/protocol/bytes";
import { keyPairFromSeed, addressOf } from "../../../client/protocol/keys";
import type { Payload } from "../../../client/protocol/codec";
import { decodeInclusionProof, verifyInclusionProof } from "../../../client/protocol/inclusion-proof";
import { verifyStream } from "../../../client/gateway/verify";
import type { StoredProof } from "../../../client/gateway/outbox";
import { genesisTransactionId } from "../../../node/ledger/genesis";
import { DEV_SUPPLY, devGenesis, devWalletSeed } from "../../../node/networks/dev";
import { startTestNode, TestNode } from "../../support/node";
import { buildTx, dataPayload } from "../_helpers";

const STREAMS = 4;
const RECORDS = 2400;
const TRANSFER_EVERY = 10;
const DEPTH = 8;
/** The load goes on until the ledger index reaches this many depths (so most of it runs pruned, whatever the machine's speed). */
const LOAD_DEPTHS = 8;
/** Pages a kept milestone may take: measured 1.4 before pruned milestones were packed into keptTx, about 0.42 since (bench/pruning/pages.ts; docs/storage.md, Measured); 2 leaves room for small runs. */
const PAGES_PER_MILESTONE = 2;

let t: TestNode | undefined;

afterAll(async () => {
  await t?.close();
});

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test("a node pruned at a small depth under streams and transfers: pages and RSS bounded after the first prune, every proof made before verifies after, each stream a whole verified chain", async () => {
  t = await startTestNode({ client: true, milestoneIntervalMs: 250, pruningDepth: DEPTH, node: { window: 64 } });
  const node = t.node;
  const client = t.client!;
  const dev = keyPairFromSeed(devWalletSeed());
  const bob = addressOf(keyPairFromSeed(new Uint8Array(32).fill(0xb0)).publicKey);
  const streams = Array.from({ length: STREAMS }, (_, i) => new Uint8Array(32).fill(0x40 + i));
  const body = "x".repeat(3000);

  const records: { stream: number; sequence: number; id: string; bytes: number }[] = [];
  const heads: (string | undefined)[] = [];
  const proofs = new Map<string, Uint8Array>();
  const confirmedBy = new Map<string, number>();
  const transfers: string[] = [];
  let change = { txId: genesisTransactionId(devGenesis()), index: 0, amount: DEV_SUPPLY };
  let lastTransfer: string | undefined;
  /**
   * liveBytes: the bytes of the submitted transactions the node still stores; depthBytes: those
   * that arrived when the ledger index was at most 4 below the pruning index (a transaction is
   * confirmed by one of the next milestones after its arrival: checkpoints sweep every tip).
   */
  const samples: { ledgerIndex: number; pruningIndex: number; pagesInUse: number; pageSize: number; rss: number; bytesSubmitted: number; liveBytes: number; depthBytes: number }[] = [];
  /** at: the ledger index when it was submitted. */
  const submitted: { id: string; bytes: number; at: number }[] = [];
  let bytesSubmitted = 0;
  let proofBytes = 0;

  /** Fetches the proof of every record confirmed and not yet proved; returns how many are still waiting. */
  const fetchProofs = async (): Promise<number> => {
    let waiting = 0;
    for (const r of records) {
      if (proofs.has(r.id)) continue;
      if (node.getMetadata(r.id)?.confirmedBy == null) {
        waiting++;
        continue;
      }
      const p = await client.getInclusionProof(r.id);
      proofs.set(r.id, p.proof);
      confirmedBy.set(r.id, p.milestoneIndex);
      proofBytes += p.proof.length;
    }
    return waiting;
  };
  const sample = async () => {
    const info = await client.getNodeInfo();
    const liveBytes = submitted.reduce((n, x) => n + (node.hasTransaction(x.id) ? x.bytes : 0), 0);
    const depthBytes = submitted.reduce((n, x) => n + (x.at >= info.pruning.index - 4 ? x.bytes : 0), 0);
    samples.push({ ledgerIndex: info.confirmedMilestoneIndex, pruningIndex: info.pruning.index, pagesInUse: info.database.pagesInUse, pageSize: info.database.pageSize, rss: process.memoryUsage().rss, bytesSubmitted, liveBytes, depthBytes });
  };

  for (let i = 0; i < RECORDS || node.ledgerIndex < LOAD_DEPTHS * DEPTH; i++) {
    const s = i % STREAMS;
    const sequence = Math.floor(i / STREAMS);
    const bytes = buildTx(node, dev, dataPayload(streams[s], sequence, heads[s] ? fromHex(heads[s]!) : undefined, body));
    const at = node.ledgerIndex;
    const id = (await node.submit(bytes)).id;
    heads[s] = id;
    records.push({ stream: s, sequence, id, bytes: bytes.length });
    submitted.push({ id, bytes: bytes.length, at });
    bytesSubmitted += bytes.length;
    // A transfer once the previous one is confirmed: one unit to bob, the rest back as change.
    if (i % TRANSFER_EVERY === 0 && (lastTransfer === undefined || node.getMetadata(lastTransfer)?.confirmedBy != null)) {
      const payload: Payload = { type: "transfer", inputs: [{ txId: change.txId, index: change.index }], outputs: [{ address: bob, amount: 1n }, { address: addressOf(dev.publicKey), amount: change.amount - 1n }] };
      const tb = buildTx(node, dev, payload);
      const tat = node.ledgerIndex;
      lastTransfer = (await node.submit(tb)).id;
      transfers.push(lastTransfer);
      submitted.push({ id: lastTransfer, bytes: tb.length, at: tat });
      bytesSubmitted += tb.length;
      change = { txId: fromHex(lastTransfer), index: 1, amount: change.amount - 1n };
    }
    // Proofs often (the node prunes DEPTH milestones, 2 s, after confirming), pages now and then.
    if (i % 10 === 9) await fetchProofs();
    if (i % 50 === 49) await sample();
  }
  // Every record confirmed and proved, then the node prunes on past them.
  await until("every record's proof", async () => (await fetchProofs()) === 0);
  await until("the pruning index past the load's first half", () => node.pruningIndex >= confirmedBy.get(records[RECORDS / 2].id)!);
  await sample();

  // Pages in use after the first prune: what the data still held needs (the depth's worth: bodies
  // at one or two to a page, with their index entries; twice its bytes at most), what the kept
  // milestones need, and a fixed part; and the data held stays far below what was submitted.
  const firstPrune = samples.findIndex((x) => x.pruningIndex > 0);
  expect(firstPrune).toBeGreaterThanOrEqual(0);
  expect(firstPrune).toBeLessThan(samples.length / 2); // most of the load runs pruned
  const p0 = samples[firstPrune];
  const end = samples[samples.length - 1];
  for (const x of samples.slice(firstPrune)) {
    const bound = (2 * x.liveBytes) / x.pageSize + PAGES_PER_MILESTONE * x.ledgerIndex + 64;
    if (x.pagesInUse > bound) console.log(JSON.stringify(samples));
    expect(x.pagesInUse).toBeLessThanOrEqual(bound);
    // Held: what arrived since a few milestones below the pruning index, plus the streams' heads
    // and entry points (64 KiB); the archive would hold everything.
    expect(x.liveBytes).toBeLessThanOrEqual(x.depthBytes + 64 * 1024);
  }
  // Flat: after the load, the pages in use beside the kept milestones' are a small part of what the
  // submitted data takes (how many milestones the load spans depends on the machine's speed).
  const beside = (x: (typeof samples)[number]) => x.pagesInUse - PAGES_PER_MILESTONE * x.ledgerIndex;
  expect(beside(end)).toBeLessThan(end.bytesSubmitted / end.pageSize / 3);
  expect(Math.max(...samples.slice(firstPrune).map(beside))).toBeLessThan(end.bytesSubmitted / end.pageSize / 2);

  // RSS: the node's caches are bounded by configuration; the test itself holds the proofs.
  expect(end.rss - p0.rss).toBeLessThanOrEqual(64 * 2 ** 20 + 2 * proofBytes);

  // The first half of the records and of the transfers are gone; every proof verifies offline.
  const pruned = records.filter((r) => !node.hasTransaction(r.id));
  expect(pruned.length).toBeGreaterThanOrEqual(RECORDS / 2 - STREAMS);
  expect(transfers.length).toBeGreaterThan(10);
  expect(node.hasTransaction(transfers[0])).toBe(false);
  for (const r of records) {
    const d = decodeInclusionProof(proofs.get(r.id)!);
    if (!d.ok) throw new Error(`record ${r.id}: ${d.message}`);
    const v = verifyInclusionProof(d.value, devGenesis());
    expect([r.id, v.ok && v.transactionId, v.ok && v.milestoneIndex]).toEqual([r.id, r.id, confirmedBy.get(r.id)]);
  }
  // The ledger kept every transfer's effect: bob holds one unit per confirmed transfer.
  const confirmedTransfers = transfers.filter((id, i) => i < transfers.length - 1 || node.getMetadata(id)?.confirmedBy != null || !node.hasTransaction(id));
  expect(node.balance(bob).confirmed).toBe(BigInt(confirmedTransfers.length));

  // Each stream: a whole, verified chain across the pruning index, the pruned part from the proofs.
  for (let s = 0; s < STREAMS; s++) {
    const mine = records.filter((r) => r.stream === s);
    const stored: StoredProof[] = mine.map((r) => ({ sequence: r.sequence, id: r.id, proof: proofs.get(r.id)! }));
    const report = await verifyStream(client, streams[s], { issuer: dev.publicKey, storedProofs: { proofs: stored, trust: devGenesis() } });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.records.map((r) => r.id)).toEqual(mine.map((r) => r.id));
    // The node goes on pruning while it is read: what came from proofs is a first run of the
    // stream, up to at most the first sequence the node listed last.
    const firstOnNode = report.node!.firstSequence!;
    const j = report.fromProofs.length;
    expect(j).toBeGreaterThan(0);
    expect(j).toBeLessThanOrEqual(firstOnNode);
    expect(report.records.map((r) => r.source)).toEqual(mine.map((r) => (r.sequence < j ? "proof" : "node")));
    expect(report.records.every((r) => r.confirmedBy !== null)).toBe(true);
  }
}, 120_000);
