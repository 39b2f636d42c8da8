/**
 * Storage benchmark, in process (the node library without sockets): ingest signed, stamped data
 * records in chunks (each chunk attached to the tips of its moment, a coordinator confirming every
 * 250 ms), and at checkpoints measure database bytes per stored transaction, restart time
 * (close, then open: window, pool and ledger rebuilt), and the process RSS. Full run: a million
 * transactions (minutes); quick: 20,000. Check: after each restart the ledger index and state hash
 * are the ones before it, and the count of stored transactions is unchanged.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createPrivateKey, createPublicKey, randomBytes, sign as edSign } from "node:crypto";
import { encodeAttached, encodeEssence, signingHash, sortParents } from "../../client/protocol/codec";
import { fromHex, toHex } from "../../client/protocol/bytes";
import { stampSync } from "../../client/protocol/build";
import { Coordinator } from "../../node/coordinator";
import { TangleNode } from "../../node/tangle-node";
import { requiredDifficulty } from "../../node/validation/pipeline";
import { keyPairFromSeed } from "../../client/protocol/keys";
import type { Genesis } from "../../node/ledger/genesis";
import { BenchResult, SuiteOptions } from "../lib/report";

const CHUNK = 2000;

export async function runStorageSuite(opts: SuiteOptions = {}): Promise<BenchResult[]> {
  const quick = Boolean(opts.quick);
  const total = quick ? 20_000 : 1_000_000;
  const checkpoints = quick ? [10_000, 20_000] : [10_000, 100_000, 300_000, 1_000_000];
  const progress = opts.progress ?? (() => {});
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-storage-"));
  const coordSeed = randomBytes(32);
  const genesis: Genesis = {
    networkId: 77,
    networkName: "storage-bench",
    coordinatorPublicKeys: [toHex(keyPairFromSeed(coordSeed).publicKey)],
    outputs: [{ address: toHex(randomBytes(32)), amount: "1000000" }],
    milestoneIntervalMs: 250,
    baseDifficulty: 8,
  };
  // Sensor identities signing with the built-in Ed25519 (fast; the verifier is the node's own).
  const ids = Array.from({ length: 200 }, () => {
    const key = createPrivateKey({ key: Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), randomBytes(32)]), format: "der", type: "pkcs8" });
    return { key, pub: new Uint8Array(createPublicKey(key).export({ format: "der", type: "spki" }).subarray(12)) };
  });
  const results: BenchResult[] = [];
  let node = await TangleNode.open({ dataDir: dir, genesis });
  let coord = new Coordinator(node, coordSeed, { intervalMs: 250 });
  coord.start();
  let stored = 0;
  let maxRss = 0;
  let k = 0;
  try {
    for (const target of checkpoints) {
      while (stored < target) {
        const n = Math.min(CHUNK, target - stored);
        const parents = node.selectParents(8).map((p) => fromHex(p));
        const batch: Uint8Array[] = [];
        for (let i = 0; i < n; i++, k++) {
          const who = ids[k % ids.length];
          const ess = encodeEssence({ version: 1, networkId: 77, issuer: who.pub, payload: { type: "data", streamId: randomBytes(32), sequence: 0, prevRecordId: new Uint8Array(32), contentType: "application/msgpack", data: randomBytes(96) } });
          const sig = new Uint8Array(edSign(null, signingHash(ess), who.key));
          const two = sortParents([parents[k % parents.length], parents[(k + 3) % parents.length]]);
          const bytes = encodeAttached(ess, sig, Date.now(), two.length >= 2 ? two : sortParents(parents.slice(0, 2)), 0n);
          batch.push(stampSync(bytes, requiredDifficulty(bytes.length, 8), BigInt(k) << 20n));
        }
        await Promise.all(batch.map((b) => node.submit(b)));
        stored += n;
        maxRss = Math.max(maxRss, process.memoryUsage().rss);
        progress(stored, total, `ingested ${stored}`);
      }
      // Checkpoint: size, restart.
      await coord.stop();
      const before = { index: node.ledgerIndex, hash: toHex(node.stateHash), count: node.storedTransactions };
      const bytes = node.store.sizeBytes();
      await node.close();
      const t0 = performance.now();
      node = await TangleNode.open({ dataDir: dir, genesis });
      const restartMs = performance.now() - t0;
      if (node.ledgerIndex !== before.index || toHex(node.stateHash) !== before.hash || node.storedTransactions !== before.count) {
        throw new Error("storage bench: the node restarted into another state");
      }
      const params = { storedTransactions: before.count, milestones: before.index };
      results.push({ name: "db-size", params, metric: "bytes-per-transaction", value: Math.round(bytes / before.count), unit: "B" });
      results.push({ name: "restart", params, metric: "open-time", value: Math.round(restartMs), unit: "ms" });
      results.push({ name: "ingest-rss", params, metric: "max", value: Math.round(maxRss / 2 ** 20), unit: "MiB" });
      coord = new Coordinator(node, coordSeed, { intervalMs: 250 });
      coord.start();
    }
    return results;
  } finally {
    await coord.stop();
    await node.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
