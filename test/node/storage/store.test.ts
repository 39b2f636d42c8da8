/**
 * The LMDB store (node/storage/) in temp folders: transactions, indexes and state survive a
 * reopen; genesis and milestone ledger writes are atomic and ordered; a database of another schema
 * version is refused at open with what to do.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { Store } from "../../../node/storage/store";
import { blake2b256 } from "../../../core-wasm/src/blake2b";
import { Transaction, sortParents } from "../../../client/protocol/codec";
import { PROTOCOL_VERSION } from "../../../client/protocol/limits";

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-store-"));
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function dataTx(streamId: Uint8Array, sequence: number, parents = sortParents([randomBytes(32), randomBytes(32)])): Transaction {
  return {
    version: PROTOCOL_VERSION,
    networkId: 1,
    issuer: new Uint8Array(32).fill(5),
    payload: { type: "data", streamId, sequence, prevRecordId: sequence === 0 ? new Uint8Array(32) : randomBytes(32), contentType: "x", data: new Uint8Array(3) },
    signature: new Uint8Array(64),
    timestamp: 1000 + sequence,
    parents,
    nonce: 0n,
  };
}

test("transactions, indexes and state survive a reopen", async () => {
  const dir = tmp();
  let s = await Store.open(dir);
  const stream = randomBytes(32);
  const ids: Uint8Array[] = [];
  // Approvers are indexed for stored parents (a parent is always stored before its children).
  const parent = randomBytes(32);
  expect(await s.addTransaction(parent, Uint8Array.of(7), dataTx(randomBytes(32), 0), s.nextSeq(), 1)).toBe(true);
  for (let i = 0; i < 5; i++) {
    const id = blake2b256(Uint8Array.of(i, i, i)); // reads check the bytes against their id
    ids.push(id);
    const tx = dataTx(stream, 4 - i, sortParents([parent, randomBytes(32)]));
    expect(await s.addTransaction(id, Uint8Array.of(i, i, i), tx, s.nextSeq(), 77)).toBe(true);
  }
  // A duplicate is refused inside the same atomic write.
  expect(await s.addTransaction(ids[0], Uint8Array.of(9), dataTx(stream, 9), s.nextSeq(), 0)).toBe(false);
  await s.close();

  s = await Store.open(dir);
  expect(s.nextSeq()).toBe(6);
  expect(Array.from(s.getTransactionBytes(ids[2])!)).toEqual([2, 2, 2]);
  expect(s.getMeta(ids[3])).toEqual({ seq: 4, receivedMs: 77 });
  expect([...s.arrivals(1)].map((a) => Buffer.from(a.id).toString("hex"))).toEqual(ids.map((i) => Buffer.from(i).toString("hex")));
  expect([...s.arrivals(4)].map((a) => [a.seq, Array.from(a.bytes)])).toEqual([[4, [3, 3, 3]], [5, [4, 4, 4]]]);
  // Stream records come back in sequence order, whatever the arrival order.
  const recs = s.streamRecords(stream, 1, 3);
  expect(recs.map((r) => r.sequence)).toEqual([1, 2, 3]);
  expect(Buffer.from(recs[0].id).toString("hex")).toBe(Buffer.from(ids[3]).toString("hex"));
  expect(s.getTransactionBytes(randomBytes(32))).toBeUndefined();
  expect(s.getMeta(randomBytes(32))).toBeUndefined();
  expect(s.approversOf(parent).map((x) => Buffer.from(x).toString("hex")).sort()).toEqual(ids.map((i) => Buffer.from(i).toString("hex")).sort());
  expect(s.approversOf(randomBytes(32))).toEqual([]);
  await s.close();
});

test("genesis and milestone ledger writes are atomic and ordered", async () => {
  const dir = tmp();
  const s = await Store.open(dir);
  const g = randomBytes(32);
  const addr = randomBytes(32);
  await s.initGenesis(g, [{ txId: g, index: 0, address: addr, amount: 100n, milestone: 0 }], [{ address: addr, amount: 100n }], randomBytes(32));
  await s.initGenesis(g, [], [], randomBytes(32)); // idempotent for the same genesis
  await expect(s.initGenesis(randomBytes(32), [], [], randomBytes(32))).rejects.toMatchObject({ code: "ERR_GENESIS_MISMATCH" });
  expect(s.balance(addr)).toBe(100n);

  const id = randomBytes(32);
  await s.addTransaction(id, Uint8Array.of(1), dataTx(randomBytes(32), 0), s.nextSeq(), 1);
  const to = randomBytes(32);
  const write = {
    record: { index: 1, id: randomBytes(32), timestamp: 5, merkleRoot: randomBytes(32), stateHash: randomBytes(32), included: [id] },
    metaUpdates: [{ id, confirmedBy: 1 }],
    consumed: [{ txId: g, index: 0, address: addr, amount: 100n, spentBy: id }],
    created: [{ txId: id, index: 0, address: to, amount: 100n, milestone: 1 }],
    balances: [
      { address: addr, amount: 0n },
      { address: to, amount: 100n },
    ],
    ledgerIndex: 1,
    stateHash: randomBytes(32),
  };
  // Out of order: refused, nothing written.
  await expect(s.applyMilestone({ ...write, ledgerIndex: 2 })).rejects.toMatchObject({ code: "ERR_MILESTONE_ORDER" });
  expect(s.balance(to)).toBe(0n);
  expect(s.getOutput(g, 0)).toBeDefined();
  await s.applyMilestone(write);
  expect(s.ledgerIndex()).toBe(1);
  expect(s.balance(addr)).toBe(0n);
  expect(s.balance(to)).toBe(100n);
  expect(s.getOutput(g, 0)).toBeUndefined();
  expect(s.getOutput(id, 0)).toMatchObject({ amount: 100n, milestone: 1 });
  expect(s.getMeta(id)).toMatchObject({ confirmedBy: 1 });
  expect(s.getMilestone(1)!.index).toBe(1);
  expect([...s.outputs()]).toHaveLength(1);
  const spent = [...s.spentOutputs()];
  expect(spent).toHaveLength(1);
  expect(spent[0]).toMatchObject({ index: 0, amount: 100n, milestone: 1 });
  expect(Buffer.from(spent[0].spentBy).equals(Buffer.from(id))).toBe(true);
  expect(s.sizeBytes()).toBeGreaterThan(0);
  await s.close();
});

test("a database of another schema version is refused at open, with what to do", async () => {
  const dir = tmp();
  const s = await Store.open(dir);
  await s.state.put("schemaVersion", 1);
  await s.close();
  await expect(Store.open(dir)).rejects.toMatchObject({ code: "ERR_SCHEMA_VERSION", message: expect.stringContaining("this node reads 3") });
});
