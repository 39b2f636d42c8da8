/**
 * A network of one key hands over to a committee of three (docs/committee.md, "Handing over from
 * one key to a committee"): the coordinator's operator queues the change {A, B, C; 3 of 3} on its
 * node; B's and C's nodes run with keys the genesis does not name. The coordinator carries the
 * change in its next milestone, alone (one signature); at the effective index its node stops the
 * coordinator and becomes member A, B's and C's nodes become members B and C, and the milestones
 * from there on carry three signatures. And back: the three operators queue {A; 1 of 1}, and from
 * that change's effective index A's node is the coordinator again, B's and C's are followers, and
 * milestones carry A's signature alone. Three real nodes (startNode) in this process, LMDB in temp
 * folders, peering over WebSockets on 127.0.0.1.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { decodeTransaction } from "../../../client/protocol/codec";
import { toHex } from "../../../client/protocol/bytes";
import { keyPairFromSeed } from "../../../client/protocol/keys";
import { NodeConfig, resolveConfig } from "../../../node/config";
import { silentLogger } from "../../../node/logger";
import { startNode, StartedNode } from "../../../node/main";
import { RawClient } from "../api/_process";
import { cleanupDirs, testGenesis, tmpDir } from "../_helpers";

jest.setTimeout(90_000);

const seeds = [1, 2, 3].map((i) => new Uint8Array(32).fill(0x70 + i));
const keys = seeds.map((s) => toHex(keyPairFromSeed(s).publicKey));
const TOKEN = "handover-token";
const started: StartedNode[] = [];
const clients: RawClient[] = [];

afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  for (const s of started) await s.close();
  cleanupDirs();
});

async function until(what: string, ok: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("k = 1 -> 3 of 3 -> 1: the change rides in the coordinator's milestone; from its effective index the three members sign every milestone; back to one key the same way", async () => {
  const dir = tmpDir();
  const genesisFile = path.join(dir, "genesis.json");
  fs.writeFileSync(genesisFile, JSON.stringify(testGenesis({ committee: { members: [keys[0]], threshold: 1 } })));
  const keyFiles = seeds.map((s, i) => {
    const f = path.join(dir, `member-${i + 1}.key`);
    fs.writeFileSync(f, toHex(s), { mode: 0o600 });
    return f;
  });
  const config = (i: number, peer: string[]): NodeConfig => ({
    ...resolveConfig(),
    host: "127.0.0.1",
    port: 0,
    data: tmpDir(),
    verifyThreads: 0,
    network: genesisFile,
    coordinatorKey: keyFiles[i],
    adminToken: TOKEN,
    milestoneIntervalMs: 300,
    peer,
  });
  const a = await startNode(config(0, []), { log: silentLogger() });
  started.push(a);
  for (const i of [1, 2]) started.push(await startNode(config(i, [a.url]), { log: silentLogger() }));
  for (const s of started) clients.push(await RawClient.connect(s.url));
  expect(a.coordinator).toBeDefined();
  expect([started[1].coordinator, started[1].member, started[2].member]).toEqual([undefined, undefined, undefined]);

  const ledger = async (i: number) => (await clients[i].call("getNodeInfo")).confirmedMilestoneIndex as number;
  await until("milestone 2", async () => (await ledger(0)) >= 2, 30_000);
  const effectiveIndex = (await ledger(0)) + 4;
  const change = { members: keys, threshold: 3, effectiveIndex };
  expect(await clients[0].call("queueCommitteeChange", { ...change, token: TOKEN })).toEqual({ queued: change });

  await until(`milestone ${effectiveIndex + 3} on the three nodes`, async () => {
    for (const i of [0, 1, 2]) if ((await ledger(i)) < effectiveIndex + 3) return false;
    return true;
  }, 60_000);

  const signers = async (index: number) => {
    const ms = await clients[1].call("getMilestone", { index });
    const d = decodeTransaction((await clients[1].call("getTransaction", { id: ms.id })).bytes);
    if (!d.ok || d.value.tx.payload.type !== "milestone") throw new Error(`milestone ${index} does not decode`);
    return { change: d.value.tx.payload.committeeChange, signers: d.value.tx.payload.signatures.map((s) => toHex(s.publicKey)).sort() };
  };
  const carriers: number[] = [];
  for (let i = 1; i < effectiveIndex; i++) {
    const m = await signers(i);
    expect(m.signers).toEqual([keys[0]]);
    if (m.change) carriers.push(i);
  }
  expect(carriers).toHaveLength(1);
  for (let i = effectiveIndex; i <= effectiveIndex + 3; i++) expect((await signers(i)).signers).toEqual([...keys].sort());

  // Each node's part switched at the effective index; the queue was cleared.
  expect([a.coordinator, a.member !== undefined, started[1].member !== undefined, started[2].member !== undefined]).toEqual([undefined, true, true, true]);
  for (const c of clients) {
    const state = await c.call("getCommittee");
    expect([state.epochs, state.queued]).toEqual([[{ fromIndex: 1, members: [keys[0]], threshold: 1 }, { fromIndex: effectiveIndex, members: keys, threshold: 3 }], null]);
  }

  // Back to one key: the three members queue it (k = 3), then A issues alone again.
  const back = { members: [keys[0]], threshold: 1, effectiveIndex: (await ledger(0)) + 6 };
  for (const c of clients) expect(await c.call("queueCommitteeChange", { ...back, token: TOKEN })).toEqual({ queued: back });
  await until(`milestone ${back.effectiveIndex + 3} on the three nodes`, async () => {
    for (const i of [0, 1, 2]) if ((await ledger(i)) < back.effectiveIndex + 3) return false;
    return true;
  }, 60_000);
  for (let i = back.effectiveIndex - 1; i <= back.effectiveIndex + 3; i++) {
    expect((await signers(i)).signers).toEqual(i < back.effectiveIndex ? [...keys].sort() : [keys[0]]);
  }
  expect([a.coordinator !== undefined, a.member, started[1].member, started[2].member]).toEqual([true, undefined, undefined, undefined]);
  expect((await clients[2].call("getCommittee")).epochs).toHaveLength(3);
});
