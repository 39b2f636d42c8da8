/**
 * Shared fixtures for node tests that open a TangleNode directly: a fast dev-like genesis, keys,
 * temporary directories and transaction builders. A whole node (API, peering, coordinator) comes
 * from the composition root instead: test/support/node.ts (in-process) or test/node/api/_process.ts
 * (a real process).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { attach, signTransaction, stampSync } from "../../client/protocol/build";
import { Payload } from "../../client/protocol/codec";
import { fromHex, toHex } from "../../client/protocol/bytes";
import { addressOf, KeyPair, keyPairFromSeed } from "../../client/protocol/keys";
import { requiredDifficulty } from "../../node/validation/pipeline";
import type { Genesis } from "../../node/ledger/genesis";
import type { TangleNode } from "../../node/tangle-node";

export const coordinatorSeed = new Uint8Array(32).fill(0xc0);
export const coordinator = keyPairFromSeed(coordinatorSeed);
export const alice = keyPairFromSeed(new Uint8Array(32).fill(0xa1));
export const bob = keyPairFromSeed(new Uint8Array(32).fill(0xb0));

export function testGenesis(overrides: Partial<Genesis> = {}): Genesis {
  return {
    networkId: 99,
    networkName: "test",
    committee: { members: [toHex(coordinator.publicKey)], threshold: 1 },
    outputs: [
      { address: toHex(addressOf(alice.publicKey)), amount: "1000" },
      { address: toHex(addressOf(alice.publicKey)), amount: "500" },
    ],
    milestoneIntervalMs: 100,
    baseDifficulty: 4,
    ...overrides,
  };
}

const dirs: string[] = [];
export function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-node-"));
  dirs.push(d);
  return d;
}
export function cleanupDirs(): void {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** Signs, attaches to the node's selected parents (or the given ones) and stamps a transaction. */
export function buildTx(node: TangleNode, key: KeyPair, payload: Payload, parents?: string[], now = node.now()): Uint8Array {
  const signed = signTransaction({ version: 1, networkId: node.params.networkId, issuer: key.publicKey, payload }, key.secretKey);
  const bytes = attach(signed, (parents ?? node.selectParents(2)).map((p) => fromHex(p)), now);
  return stampSync(bytes, requiredDifficulty(bytes.length, node.params.baseDifficulty));
}

export function dataPayload(streamId: Uint8Array, sequence: number, prev?: Uint8Array, body = "{}"): Payload {
  return {
    type: "data",
    streamId,
    sequence,
    prevRecordId: prev ?? new Uint8Array(32),
    contentType: "application/json",
    data: new TextEncoder().encode(body),
  };
}
