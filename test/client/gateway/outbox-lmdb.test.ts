/**
 * LmdbOutbox alone (real LMDB in a temporary directory): what it counts is what it can read back,
 * at every moment (the gateway re-runs a stream while `pending` says readings wait, and `readings`
 * must then return them, or it spins without ever letting the write commit); records awaiting their
 * inclusion proof and stored proofs survive a reopen, and storing a proof ends the wait in one write;
 * MemoryOutbox keeps the same books.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LmdbOutbox } from "../../../client/gateway/outbox-lmdb";
import { MemoryOutbox } from "../../../client/gateway/outbox";

let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-outbox-lmdb-"))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const stream = "5a".repeat(32);

test("pending() counts only readings that readings() returns, while an addReadings is still being written", async () => {
  const outbox = LmdbOutbox.open(path.join(tmp, "a"));
  try {
    const writing = outbox.addReadings(stream, [{ at: 1, bytes: Uint8Array.of(1) }, { at: 2, bytes: Uint8Array.of(2) }]);
    const counted = outbox.pending(stream).count;
    expect(outbox.readings(stream, 10).length).toBeGreaterThanOrEqual(counted);
    await writing;
    expect(outbox.pending(stream)).toEqual({ count: 2, bytes: 2, oldestAt: 1 });
    expect(outbox.readings(stream, 10).map((r) => [...r.bytes])).toEqual([[1], [2]]);
  } finally {
    await outbox.close();
  }
});

test("records awaiting a proof and stored proofs are kept across a reopen; saving a proof ends the wait", async () => {
  const dir = path.join(tmp, "b");
  const ids = ["01", "02", "03"].map((b) => b.repeat(32));
  let outbox = LmdbOutbox.open(dir);
  for (let i = 0; i < 3; i++) await outbox.ack(7, stream, { nextSequence: i + 1, prevId: ids[i] }, { sequence: i, id: ids[i] });
  await outbox.ack(7, "6b".repeat(32), { nextSequence: 1, prevId: ids[0] });
  expect(outbox.awaitingProofs(undefined, 10).map((a) => [a.sequence, a.id])).toEqual([
    [0, ids[0]],
    [1, ids[1]],
    [2, ids[2]],
  ]);
  expect(outbox.awaitingProofs(ids[0], 1).map((a) => a.id)).toEqual([ids[1]]);
  await outbox.saveProof({ streamId: stream, sequence: 1, id: ids[1] }, Uint8Array.of(9, 9));
  await outbox.dropAwaiting(ids[2]);
  await outbox.close();

  outbox = LmdbOutbox.open(dir);
  try {
    expect(outbox.awaitingProofs(undefined, 10).map((a) => a.id)).toEqual([ids[0]]);
    expect(outbox.proofs(stream)).toEqual([{ sequence: 1, id: ids[1], proof: Uint8Array.of(9, 9) }]);
    expect(outbox.proofs("6b".repeat(32))).toEqual([]);
    expect(outbox.head(7, stream)).toEqual({ nextSequence: 3, prevId: ids[2] });
  } finally {
    await outbox.close();
  }
});

test("MemoryOutbox keeps the same books of awaiting records and proofs", async () => {
  const outbox = new MemoryOutbox();
  const ids = ["03", "01", "02"].map((b) => b.repeat(32));
  for (let i = 0; i < 3; i++) await outbox.ack(7, stream, { nextSequence: i + 1, prevId: ids[i] }, { sequence: i, id: ids[i] });
  await outbox.ack(7, "6b".repeat(32), { nextSequence: 1, prevId: ids[0] });
  expect(outbox.awaitingProofs(undefined, 10).map((a) => [a.sequence, a.id])).toEqual([
    [1, ids[1]],
    [2, ids[2]],
    [0, ids[0]],
  ]);
  expect(outbox.awaitingProofs(ids[1], 1).map((a) => a.id)).toEqual([ids[2]]);
  await outbox.saveProof({ streamId: stream, sequence: 2, id: ids[2] }, Uint8Array.of(9));
  await outbox.saveProof({ streamId: stream, sequence: 0, id: ids[0] }, Uint8Array.of(8));
  await outbox.dropAwaiting(ids[1]);
  expect(outbox.awaitingProofs(undefined, 10)).toEqual([]);
  expect(outbox.proofs(stream)).toEqual([
    { sequence: 0, id: ids[0], proof: Uint8Array.of(8) },
    { sequence: 2, id: ids[2], proof: Uint8Array.of(9) },
  ]);
});
