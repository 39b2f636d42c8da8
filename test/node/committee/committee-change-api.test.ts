/**
 * The operator's path to a committee change through the API (node/api/methods.ts, docs/api.md):
 * queueCommitteeChange and cancelCommitteeChange need the admin token; each broken rule has its
 * code and changes nothing (neither the queue nor its file); a queued change is reported by
 * getCommittee with the chain of committees and survives a restart of the node; a node without a
 * committee key refuses to queue (ERR_COMMITTEE_NO_KEY). Real nodes (startNode) on LMDB in temp
 * folders, a real WebSocket client on 127.0.0.1.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { toHex } from "../../../client/protocol/bytes";
import { Code } from "../../../client/protocol/codes";
import { keyPairFromSeed } from "../../../client/protocol/keys";
import { CHANGE_QUEUE_FILE } from "../../../node/committee/change-queue";
import { NodeConfig, resolveConfig } from "../../../node/config";
import { silentLogger } from "../../../node/logger";
import { startNode, StartedNode } from "../../../node/main";
import { RawClient } from "../api/_process";
import { cleanupDirs, testGenesis, tmpDir } from "../_helpers";

afterAll(cleanupDirs);

const seeds = [1, 2, 3, 4, 5].map((i) => new Uint8Array(32).fill(0x60 + i));
const keys = seeds.map((s) => toHex(keyPairFromSeed(s).publicKey));
const genesis = testGenesis({ committee: { members: keys.slice(0, 4), threshold: 3 } });
const TOKEN = "operator-token";

function genesisFile(): string {
  const file = path.join(tmpDir(), "genesis.json");
  fs.writeFileSync(file, JSON.stringify(genesis));
  return file;
}

function keyFile(seed: Uint8Array): string {
  const file = path.join(tmpDir(), "member.key");
  fs.writeFileSync(file, toHex(seed), { mode: 0o600 });
  return file;
}

const config = (over: Partial<NodeConfig>): NodeConfig => ({ ...resolveConfig(), host: "127.0.0.1", port: 0, data: tmpDir(), verifyThreads: 0, ...over });

async function withNode<T>(cfg: NodeConfig, f: (c: RawClient, s: StartedNode) => Promise<T>): Promise<T> {
  const started = await startNode(cfg, { log: silentLogger() });
  const client = await RawClient.connect(started.url);
  try {
    return await f(client, started);
  } finally {
    client.ws.terminate();
    await started.close();
  }
}

const change = { members: [keys[0], keys[1], keys[2], keys[4]], threshold: 3, effectiveIndex: 10 };

test("queueCommitteeChange: admin token required, each rule its code, nothing changed on a refusal; queued, reported, kept across a restart, cancelled", async () => {
  const cfg = config({ network: genesisFile(), coordinatorKey: keyFile(seeds[0]), adminToken: TOKEN });
  const file = path.join(cfg.data, CHANGE_QUEUE_FILE);
  const epochs = [{ fromIndex: 1, members: keys.slice(0, 4), threshold: 3 }];
  await withNode(cfg, async (c) => {
    const empty = { ledgerIndex: 0, epochs, memberKey: keys[0], queued: null, stale: null };
    expect(await c.call("getCommittee")).toEqual(empty);
    const refusals: [unknown, string][] = [
      [{ ...change }, Code.ERR_UNAUTHORIZED],
      [{ ...change, token: "wrong" }, Code.ERR_UNAUTHORIZED],
      [{ ...change, token: TOKEN, members: [] }, Code.ERR_COMMITTEE_CHANGE_MEMBERS],
      [{ ...change, token: TOKEN, members: [keys[0], keys[0]] }, Code.ERR_COMMITTEE_CHANGE_MEMBERS],
      [{ ...change, token: TOKEN, members: [keys[0], "zz"] }, Code.ERR_COMMITTEE_CHANGE_MEMBERS],
      [{ ...change, token: TOKEN, threshold: 2 }, Code.ERR_COMMITTEE_CHANGE_THRESHOLD],
      [{ ...change, token: TOKEN, threshold: "3" }, Code.ERR_COMMITTEE_CHANGE_THRESHOLD],
      [{ ...change, token: TOKEN, effectiveIndex: 1 }, Code.ERR_COMMITTEE_CHANGE_INDEX],
      [{ ...change, token: TOKEN, effectiveIndex: undefined }, Code.ERR_COMMITTEE_CHANGE_INDEX],
    ];
    for (const [params, code] of refusals) {
      const r = await c.raw("queueCommitteeChange", params);
      expect([params, r.error?.code]).toEqual([params, code]);
      expect(await c.call("getCommittee")).toEqual(empty);
      expect(fs.existsSync(file)).toBe(false);
    }
    expect((await c.raw("cancelCommitteeChange", { token: "wrong" })).error?.code).toBe(Code.ERR_UNAUTHORIZED);

    expect(await c.call("queueCommitteeChange", { ...change, token: TOKEN })).toEqual({ queued: change });
    expect(await c.call("getCommittee")).toEqual({ ...empty, queued: change });
    // A refusal leaves the queued change as it was.
    expect((await c.raw("queueCommitteeChange", { ...change, threshold: 5, token: TOKEN })).error?.code).toBe(Code.ERR_COMMITTEE_CHANGE_THRESHOLD);
    expect((await c.raw("cancelCommitteeChange", {})).error?.code).toBe(Code.ERR_UNAUTHORIZED);
    expect((await c.call("getCommittee")).queued).toEqual(change);
  });
  // Restarted on the same data: still queued.
  await withNode(cfg, async (c) => {
    expect((await c.call("getCommittee")).queued).toEqual(change);
    expect(await c.call("cancelCommitteeChange", { token: TOKEN })).toEqual({ cancelled: true });
    expect(await c.call("cancelCommitteeChange", { token: TOKEN })).toEqual({ cancelled: false });
    expect((await c.call("getCommittee")).queued).toBeNull();
    expect(fs.existsSync(file)).toBe(false);
  });
});

test("a node without a committee key refuses to queue (ERR_COMMITTEE_NO_KEY); one without an admin token refuses admin methods (ERR_ADMIN_DISABLED)", async () => {
  await withNode(config({ network: genesisFile(), adminToken: TOKEN }), async (c) => {
    expect((await c.raw("queueCommitteeChange", { ...change, token: TOKEN })).error?.code).toBe(Code.ERR_COMMITTEE_NO_KEY);
    expect((await c.raw("cancelCommitteeChange", { token: TOKEN })).error?.code).toBe(Code.ERR_COMMITTEE_NO_KEY);
    expect(await c.call("getCommittee")).toMatchObject({ memberKey: null, queued: null, stale: null });
  });
  await withNode(config({ network: genesisFile(), coordinatorKey: keyFile(seeds[1]) }), async (c) => {
    expect((await c.raw("queueCommitteeChange", { ...change, token: TOKEN })).error?.code).toBe(Code.ERR_ADMIN_DISABLED);
    expect((await c.call("getCommittee")).queued).toBeNull();
  });
});

test("a damaged queue file stops the node's start with ERR_COMMITTEE_CHANGE_DAMAGED, naming the file", async () => {
  const cfg = config({ network: genesisFile(), coordinatorKey: keyFile(seeds[0]) });
  fs.mkdirSync(cfg.data, { recursive: true });
  fs.writeFileSync(path.join(cfg.data, CHANGE_QUEUE_FILE), "{\"members\":");
  await expect(startNode(cfg, { log: silentLogger() })).rejects.toMatchObject({ code: Code.ERR_COMMITTEE_CHANGE_DAMAGED, message: expect.stringContaining(CHANGE_QUEUE_FILE) });
});
