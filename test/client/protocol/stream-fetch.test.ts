/**
 * The stream reader's paging (client/gateway/verify.ts fetchStream / verifyStream) against a real
 * node started in this process (startTestNode): one stream with holes in its sequences, read with
 * small pages several at a time. Whatever the page size, pages in flight, start and cap, the
 * records must be exactly those the test published (from the list it kept, not from another read),
 * in order, each once; the number of getStream requests in flight must reach but never pass the
 * bound.
 */
import { ApiClient, fetchStream, verifyStream } from "../../../client/node";
import { attach, signTransaction, stampSync } from "../../../client/protocol/build";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { transactionId } from "../../../client/protocol/codec";
import { keyPairFromSeed } from "../../../client/protocol/keys";
import { devGenesis } from "../../../node/networks/dev";
import { requiredDifficulty } from "../../../node/validation/pipeline";
import { startTestNode, TestNode } from "../../support/node";
import { PROTOCOL_VERSION } from "../../../client/protocol/limits";

/** The sequences published: runs with holes 25..29, 32..199 and 201..999. */
const SEQUENCES = [...Array.from({ length: 25 }, (_, i) => i), 30, 31, 200, 1000, 1001, 1002, 1003, 1004];
const streamId = new Uint8Array(32).fill(0x5a);
const keyPair = keyPairFromSeed(new Uint8Array(32).fill(7));

let node: TestNode | undefined;
let client: ApiClient;
/** sequence → id, as submitted. */
const published = new Map<number, string>();

beforeAll(async () => {
  node = await startTestNode({ milestoneIntervalMs: 100 });
  client = await ApiClient.connect(node.url);
  let prev: Uint8Array = new Uint8Array(32);
  for (const sequence of SEQUENCES) {
    const signed = signTransaction(
      { version: PROTOCOL_VERSION, networkId: devGenesis().networkId, issuer: keyPair.publicKey, payload: { type: "data", streamId, sequence, prevRecordId: sequence === 0 ? new Uint8Array(32) : prev, contentType: "text/plain", data: Uint8Array.of(sequence & 0xff) } },
      keyPair.secretKey,
    );
    const parents = (await client.selectParents(2)).map((p) => fromHex(p));
    const unstamped = attach(signed, parents, Date.now());
    const bytes = stampSync(unstamped, requiredDifficulty(unstamped.length, devGenesis().baseDifficulty));
    const { id } = await client.submitTransaction(bytes);
    expect(id).toBe(toHex(transactionId(bytes)));
    published.set(sequence, id);
    prev = transactionId(bytes);
  }
}, 60_000);

afterAll(async () => {
  client?.close();
  await node?.close();
});

/** What a reader should get: the published records from `fromSeq`, at most `max`. */
function expected(fromSeq: number, max = Infinity): [number, string][] {
  return SEQUENCES.filter((s) => s >= fromSeq)
    .slice(0, max)
    .map((s) => [s, published.get(s)!]);
}

test("every page size, bound, start and cap gives exactly the published records, in order, once", async () => {
  for (const pageSize of [1, 2, 3, 7, 1000]) {
    for (const pagesInFlight of [1, 2, 5]) {
      for (const fromSeq of [0, 5, 24, 26, 31, 201, 1004, 2000]) {
        for (const maxRecords of [undefined, 1, 4, 29]) {
          const runs: number[][] = [];
          const got = await fetchStream(client, streamId, { pageSize, pagesInFlight, fromSeq, maxRecords, onRecords: (rs) => runs.push(rs.map((r) => r.sequence)) });
          const where = { pageSize, pagesInFlight, fromSeq, maxRecords };
          expect([where, got.map((r) => [r.sequence, r.id])]).toEqual([where, expected(fromSeq, maxRecords)]);
          expect([where, runs.flat()]).toEqual([where, got.map((r) => r.sequence)]);
        }
      }
    }
  }
}, 120_000);

test("up to pagesInFlight getStream requests are in flight at once, never more", async () => {
  for (const bound of [1, 3]) {
    let now = 0;
    let most = 0;
    const counting = Object.create(client) as ApiClient;
    counting.getStream = async (...args: Parameters<ApiClient["getStream"]>) => {
      most = Math.max(most, ++now);
      try {
        return await client.getStream(...args);
      } finally {
        now--;
      }
    };
    const got = await fetchStream(counting, streamId, { pageSize: 2, pagesInFlight: bound });
    expect(got.map((r) => r.sequence)).toEqual(SEQUENCES);
    expect(most).toBe(bound);
  }
});

test("verifyStream over small concurrent pages: every record checked, the holes named", async () => {
  const report = await verifyStream(client, streamId, { issuer: keyPair.publicKey, pageSize: 3, pagesInFlight: 4 });
  expect(report.records.map((r) => [r.sequence, r.id])).toEqual(expected(0));
  // A record right after a hole carries the gap problem; every other one passes every check.
  expect(report.records.filter((r) => !r.ok).map((r) => r.sequence)).toEqual([30, 200, 1000]);
  expect(report.problems.map((p) => [p.kind, p.sequence, p.toSequence])).toEqual([
    ["gap", 25, 29],
    ["gap", 32, 199],
    ["gap", 201, 999],
  ]);
});
