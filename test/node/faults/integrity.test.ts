/**
 * Integrity on read (issue 15, defect 1): a transaction whose stored bytes no longer hash to its id
 * is never served. Real LMDB in temp folders, in-process nodes (test/support/node.ts). The damage
 * is done the reliable way: the node is closed, its LMDB environment opened directly with the lmdb
 * package, and one byte of one stored transaction's value changed under the same key.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { open } from "lmdb";
import { ApiClient } from "../../../client/node";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { transactionId } from "../../../client/protocol/codec";
import { DB, keys, readSeq } from "../../../node/storage/schema";
import { startTestNode, TestNode } from "../../support/node";
import { program } from "../../../cli/main";
import { run } from "../../../cli/args";
import { alice, buildTx, dataPayload } from "../_helpers";

const dirs: string[] = [];
const nodes: TestNode[] = [];
afterEach(async () => {
  // Newest first: a node's peers close after it, so none is left redialing a closed one.
  for (const n of nodes.splice(0).reverse()) await n.close();
});
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-integrity-"));
  dirs.push(d);
  return d;
}

async function node(opts: Parameters<typeof startTestNode>[0]): Promise<TestNode> {
  const n = await startTestNode(opts);
  nodes.push(n);
  return n;
}

/** Stores `count` data records on `n`; returns their ids and bytes. */
async function storeRecords(n: TestNode, count: number): Promise<{ id: string; bytes: Uint8Array }[]> {
  const out: { id: string; bytes: Uint8Array }[] = [];
  const stream = new Uint8Array(32).fill(0x5a);
  let prev: Uint8Array | undefined;
  for (let i = 0; i < count; i++) {
    const bytes = buildTx(n.node, alice, dataPayload(stream, i, prev, `{"i":${i}}`));
    const r = await n.node.submit(bytes);
    out.push({ id: r.id, bytes });
    prev = fromHex(r.id);
  }
  return out;
}

/** Changes one byte of the stored transaction `id` (after its 32-byte id prefix), keeping the key. */
async function flipStoredByte(dataDir: string, id: string, offset = 10): Promise<void> {
  const env = open({ path: `${dataDir}/data.mdb`, maxDbs: 16, compression: false });
  try {
    const ids = env.openDB<Buffer, Buffer>({ name: DB.ids, keyEncoding: "binary", encoding: "binary" });
    const txs = env.openDB<Buffer, Buffer>({ name: DB.tx, keyEncoding: "binary", encoding: "binary" });
    const seq = readSeq(ids.getBinary(Buffer.from(fromHex(id)))!);
    const value = Buffer.from(txs.getBinary(keys.seq(seq))!);
    value[32 + offset] ^= 0x01;
    await txs.put(keys.seq(seq), value);
  } finally {
    await env.close();
  }
}

/** `tangle check …` in this process: its exit code and what it printed. */
async function tangleCheck(args: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const write = jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const err = jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    return { code: await run(program(), ["check", ...args]), out };
  } finally {
    write.mockRestore();
    err.mockRestore();
  }
}

async function health(n: TestNode): Promise<{ status: number; body: { status: string; reason?: string } }> {
  const r = await fetch(`http://127.0.0.1:${n.port}/health`);
  return { status: r.status, body: (await r.json()) as { status: string; reason?: string } };
}

async function metric(n: TestNode, name: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${n.port}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : undefined;
}

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("a transaction whose stored bytes fail their id check is refused with ERR_STORAGE_CORRUPT, logged once, counted and shown on /health; tangle check exits 1 naming it", async () => {
  const dataDir = tmp();
  let n = await node({ data: dataDir });
  const records = await storeRecords(n, 3);
  await until("two milestones", () => n.node.ledgerIndex >= 2 && n.node.getMetadata(records[2].id)?.confirmedBy !== null);
  await n.close();
  const clean = await tangleCheck(["--data", dataDir]);
  expect(clean.code).toBe(0);
  expect(clean.out).toMatch(/^ok: /m);
  const victim = records[1];
  await flipStoredByte(dataDir, victim.id);
  // Offline: the check names the damaged transaction and exits 1; without --data it is a usage error.
  const damaged = await tangleCheck(["--data", dataDir]);
  expect(damaged.code).toBe(1);
  expect(damaged.out).toContain(`damaged transaction ${victim.id}`);
  const json = await tangleCheck(["--data", dataDir, "--json"]);
  expect(json.code).toBe(1);
  expect((JSON.parse(json.out) as { ok: boolean; damaged: { id: string }[] }).damaged.map((d) => d.id)).toEqual([victim.id]);
  expect((await tangleCheck([])).code).toBe(2);

  n = await node({ data: dataDir, coordinator: false });
  const client = await ApiClient.connect(n.url);
  try {
    // Twice: the answer stays a coded refusal, the log line and the count stay at one.
    for (let i = 0; i < 2; i++) {
      await expect(client.getTransaction(victim.id)).rejects.toMatchObject({ code: "ERR_STORAGE_CORRUPT", message: expect.stringContaining(victim.id) });
    }
    // Its neighbours are served as stored.
    expect(toHex((await client.getTransaction(records[0].id)).bytes)).toBe(toHex(records[0].bytes));
    expect(toHex((await client.getTransaction(records[2].id)).bytes)).toBe(toHex(records[2].bytes));
    // A stream page that would carry it is refused too, never served with the wrong bytes.
    await expect(client.getStream(new Uint8Array(32).fill(0x5a))).rejects.toMatchObject({ code: "ERR_STORAGE_CORRUPT" });
  } finally {
    client.close();
  }
  const h = await health(n);
  expect(h.status).toBe(503);
  expect(h.body.reason).toBe("storage damaged: 1 transactions fail their id check; run tangle check");
  expect(await metric(n, "tangle_storage_corrupt_total")).toBe(1);
  const lines = n.logs.filter((l) => l.level === 50 && String(l.msg).includes(victim.id));
  expect(lines).toHaveLength(1);
  expect(lines[0].code).toBe("ERR_STORAGE_CORRUPT");
}, 30_000);

test("a damaged node asks its peers for a good copy, stores it in place of the damaged bytes and serves it", async () => {
  const good = await node({});
  const records = await storeRecords(good, 3);
  const dataDir = tmp();
  let damaged = await node({ data: dataDir, coordinator: false, peer: [good.url] });
  await until("the follower to store the records", () => records.every((r) => damaged.node.hasTransaction(r.id)));
  await damaged.close();
  const victim = records[2];
  await flipStoredByte(dataDir, victim.id, 40);

  damaged = await node({ data: dataDir, coordinator: false, peer: [good.url] });
  const client = await ApiClient.connect(damaged.url);
  try {
    await until("the damaged copy to be replaced", async () => {
      try {
        return toHex((await client.getTransaction(victim.id)).bytes) === toHex(victim.bytes);
      } catch (err) {
        if ((err as { code?: string }).code !== "ERR_STORAGE_CORRUPT") throw err;
        return false;
      }
    });
    expect(toHex(transactionId((await client.getTransaction(victim.id)).bytes))).toBe(victim.id);
  } finally {
    client.close();
  }
  // Repaired: no longer reported damaged, and healthy once caught up with the coordinator; the
  // count keeps what was found.
  expect((await health(damaged)).body.reason ?? "").not.toContain("storage damaged");
  await until("the repaired node to be healthy", async () => (await health(damaged)).status === 200);
  expect(await metric(damaged, "tangle_storage_corrupt_total")).toBe(1);
}, 30_000);

test("white flag never uses damaged bytes: a cone holding a damaged transaction is refused with ERR_STORAGE_CORRUPT", async () => {
  const dataDir = tmp();
  let n = await node({ data: dataDir, milestoneIntervalMs: 600_000 });
  const records = await storeRecords(n, 3); // a chain, unconfirmed (no milestone within the test)
  expect(n.node.ledgerIndex).toBe(0);
  await n.close();
  await flipStoredByte(dataDir, records[1].id);
  n = await node({ data: dataDir, coordinator: false });
  // The child is intact; walking its cone reaches the damaged parent, which storage refuses.
  expect(() => n.node.whiteFlag(1, [fromHex(records[2].id), new Uint8Array(32)].sort(Buffer.compare))).toThrow(expect.objectContaining({ code: "ERR_STORAGE_CORRUPT" }));
  expect(n.node.store.damagedTransactions().map((d) => d.id)).toEqual([records[1].id]);
}, 30_000);


test("a damaged node never sends its damaged copy to a peer that asks for it (it is not banned for bad data it would have sent)", async () => {
  const coordinator = await node({});
  const records = await storeRecords(coordinator, 3);
  await until("a milestone over the records", () => coordinator.node.getMetadata(records[2].id)?.confirmedBy !== null);
  const dataDir = tmp();
  let damaged = await node({ data: dataDir, coordinator: false, peer: [coordinator.url] });
  await until("the follower to store the records", () => records.every((r) => damaged.node.hasTransaction(r.id)) && damaged.node.ledgerIndex >= 1);
  await damaged.close();
  await coordinator.close();
  await flipStoredByte(dataDir, records[1].id);
  damaged = await node({ data: dataDir, coordinator: false });
  // A fresh node that can learn the tangle only from the damaged one: it asks for every record.
  const fresh = await node({ coordinator: false, peer: [damaged.url] });
  await until("the fresh node to take the intact records", () => fresh.node.hasTransaction(records[0].id) || fresh.node.hasTransaction(records[2].id));
  await new Promise((r) => setTimeout(r, 1000)); // requests for the damaged one come and go meanwhile
  expect(fresh.node.hasTransaction(records[1].id)).toBe(false);
  const [link] = fresh.started.peering.stats();
  expect(link).toMatchObject({ connected: true, invalid: 0 });
  expect(fresh.logs.filter((l) => String(l.msg).includes("invalid"))).toEqual([]);
}, 30_000);
