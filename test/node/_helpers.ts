/**
 * Shared fixtures for node tests that open a TangleNode directly: a fast dev-like genesis, keys,
 * temporary directories and transaction builders. A whole node (API, peering, coordinator) comes
 * from the composition root instead: test/support/node.ts (in-process) or test/node/api/_process.ts
 * (a real process).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { attach, milestonePayload, signMilestone, signTransaction, stampSync } from "../../client/protocol/build";
import { Payload } from "../../client/protocol/codec";
import type { MilestoneFields, MilestonePayload } from "../../client/protocol/payloads";
import { milestonePayloadFor } from "../../node/ledger/whiteflag";
import { fromHex, toHex } from "../../client/protocol/bytes";
import { addressOf, KeyPair, keyPairFromSeed } from "../../client/protocol/keys";
import { requiredDifficulty } from "../../node/validation/pipeline";
import type { Genesis } from "../../node/ledger/genesis";
import type { TangleNode } from "../../node/tangle-node";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";

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
  const signed = signTransaction({ version: PROTOCOL_VERSION, networkId: node.params.networkId, issuer: key.publicKey, payload }, key.secretKey);
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

export interface MilestoneOptions {
  /** Parents (hex; default: the node's selected parents). */
  parents?: string[];
  /** Members that sign the milestone essence (default: the coordinator). */
  signers?: KeyPair[];
  /** The transaction's issuer (default: the first signer). */
  issuer?: KeyPair;
  /** Fields that replace what the node computes. */
  over?: Partial<MilestoneFields>;
  /** Index (default: the node's next). */
  index?: number;
}

/**
 * A milestone v2 the way a committee would issue it on `node`: white flag, previous milestone id
 * and ledger root as the node computes them for these parents, signed by `signers` over the
 * milestone essence, issued and stamped by `issuer`.
 */
export function buildMilestone(node: TangleNode, o: MilestoneOptions = {}): { bytes: Uint8Array; payload: MilestonePayload; parents: Uint8Array[] } {
  const parents = (o.parents ?? node.selectParents(2)).map((p) => fromHex(p)).sort(Buffer.compare);
  const index = o.index ?? node.ledgerIndex + 1;
  const wf = node.whiteFlag(index, parents);
  const fields: MilestoneFields = {
    ...milestonePayloadFor(wf, node.now()),
    previousMilestoneId: node.latestMilestone ? fromHex(node.latestMilestone.id) : new Uint8Array(32),
    ledgerRoot: node.ledgerRootAfter(wf),
    ...o.over,
  };
  const signers = o.signers ?? [coordinator];
  const payload = milestonePayload(fields, signers.map((k) => signMilestone(node.params.networkId, parents, fields, k.publicKey, k.secretKey)));
  const issuer = o.issuer ?? signers[0];
  const signed = signTransaction({ version: PROTOCOL_VERSION, networkId: node.params.networkId, issuer: issuer.publicKey, payload }, issuer.secretKey);
  const bytes = attach(signed, parents, node.now());
  return { bytes: stampSync(bytes, requiredDifficulty(bytes.length, node.params.baseDifficulty)), payload, parents };
}

/** Waits until `cond` holds, polling every 20 ms; throws after `ms`. */
export async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
