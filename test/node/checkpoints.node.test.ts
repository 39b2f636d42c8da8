/**
 * Checkpoints on a real node (the composition root, real LMDB in a temporary folder, the API on
 * 127.0.0.1, the dev coordinator with 250 ms milestones): every record of a burst of 520 on the
 * same two parents, and a lone record, are confirmed by one of the two milestones after the last
 * acknowledgement; and a burst acknowledged while no milestone came, by one of the two milestones
 * after the node opened again. Counted in milestones, not wall time, so a slow machine changes nothing.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ApiClient } from "../../client/node";
import { attach, signTransaction, stampSync } from "../../client/protocol/build";
import { fromHex } from "../../client/protocol/bytes";
import { keyPairFromSeed } from "../../client/protocol/keys";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";
import { devGenesis } from "../../node/networks/dev";
import { requiredDifficulty } from "../../node/validation/pipeline";
import { startTestNode, TestNode } from "../support/node";

jest.setTimeout(60_000);

let t: TestNode;
beforeAll(async () => {
  t = await startTestNode({ milestoneIntervalMs: 250, client: true });
  while (t.node.ledgerIndex < 2) await new Promise((r) => setTimeout(r, 20));
});
afterAll(() => t?.close());

/** `count` data records (a fresh stream each) over 13 issuer keys, attached to `parents` and stamped. */
function records(count: number, parents: string[]): Uint8Array[] {
  const { networkId, baseDifficulty } = devGenesis();
  const keys = Array.from({ length: 13 }, () => keyPairFromSeed(randomBytes(32)));
  return Array.from({ length: count }, (_, i) => {
    const k = keys[i % keys.length];
    const signed = signTransaction({ version: PROTOCOL_VERSION, networkId, issuer: k.publicKey, payload: { type: "data", streamId: randomBytes(32), sequence: 0, prevRecordId: new Uint8Array(32), contentType: "text/plain", data: randomBytes(32) } }, k.secretKey);
    const bytes = attach(signed, parents.map((p) => fromHex(p)), Date.now());
    return stampSync(bytes, requiredDifficulty(bytes.length, baseDifficulty));
  });
}

/** Submits all, at most 48 waiting at once (the connection's limit is 64); resolves with the ids. */
async function submitAll(client: ApiClient, txs: Uint8Array[]): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const lane = async () => {
    while (next < txs.length) {
      const r = await client.submitTransaction(txs[next++]);
      expect(r.duplicate).toBe(false);
      ids.push(r.id);
    }
  };
  await Promise.all(Array.from({ length: 48 }, lane));
  return ids;
}

/** Waits until the ledger is at `index`, then for the milestone after it to be applied too. */
async function waitForIndex(index: number): Promise<void> {
  while (t.node.ledgerIndex < index) await new Promise((r) => setTimeout(r, 20));
}

/** The records no milestone up to `index` confirmed. */
function unconfirmedBy(ids: string[], index: number): string[] {
  return ids.filter((id) => {
    const by = t.node.getMetadata(id)?.confirmedBy;
    return by === null || by === undefined || by > index;
  });
}

test("520 records on the same two parents are all confirmed within two milestones of the burst's end", async () => {
  const parents = await t.client!.selectParents(2);
  const ids = await submitAll(t.client!, records(520, parents));
  const end = t.node.ledgerIndex;
  await waitForIndex(end + 2);
  expect({ unconfirmed: unconfirmedBy(ids, end + 2).length, of: ids.length }).toEqual({ unconfirmed: 0, of: 520 });
});

test("a lone record is confirmed within two milestones", async () => {
  // Quiet first: a few milestones with nothing new.
  await waitForIndex(t.node.ledgerIndex + 4);
  const [id] = await submitAll(t.client!, records(1, await t.client!.selectParents(2)));
  const end = t.node.ledgerIndex;
  await waitForIndex(end + 2);
  expect(unconfirmedBy([id], end + 2)).toEqual([]);
});

test("after a restart, what was acknowledged and never confirmed is confirmed within two milestones of the open", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-checkpoints-"));
  try {
    // Milestones flow, then the coordinator stops and a burst is acknowledged that no milestone references.
    const first = await startTestNode({ milestoneIntervalMs: 250, client: true, data: dir });
    let ids: string[];
    try {
      while (first.node.ledgerIndex < 3) await new Promise((r) => setTimeout(r, 20));
      await first.started.coordinator!.stop();
      const parents = await first.client!.selectParents(2);
      ids = await submitAll(first.client!, records(300, parents));
    } finally {
      await first.close();
    }
    const again = await startTestNode({ milestoneIntervalMs: 250, data: dir });
    try {
      const opened = again.node.ledgerIndex;
      while (again.node.ledgerIndex < opened + 2) await new Promise((r) => setTimeout(r, 20));
      const left = ids.filter((id) => {
        const by = again.node.getMetadata(id)?.confirmedBy;
        return by === null || by === undefined || by > opened + 2;
      });
      expect({ unconfirmed: left.length, of: ids.length }).toEqual({ unconfirmed: 0, of: 300 });
    } finally {
      await again.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
