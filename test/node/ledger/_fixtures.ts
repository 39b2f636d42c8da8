/** Shared helpers of the ledger tests: fixed keys, a genesis, transaction builders, a Map-backed cone view. */
import { encodeTransaction, Payload, sortParents, Transaction, transactionId } from "../../../client/protocol/codec";
import { toHex } from "../../../client/protocol/bytes";
import { addressOf, KeyPair, keyPairFromSeed } from "../../../client/protocol/keys";
import { Genesis } from "../../../node/ledger/genesis";
import { computeWhiteFlag, ConeEntry, ConeView, LedgerView, WhiteFlagFields, WhiteFlagResult } from "../../../node/ledger/whiteflag";
import type { MilestonePayload } from "../../../client/protocol/payloads";
import { LedgerError } from "../../../node/ledger/errors";
import { seededRandom } from "../../../client/util/random";
import { PROTOCOL_VERSION } from "../../../client/protocol/limits";

export const NETWORK_ID = 0x7a11;

/** Key i comes from the seed filled with byte i + 1. */
export const KEYS: KeyPair[] = [0, 1, 2, 3].map((i) => keyPairFromSeed(new Uint8Array(32).fill(i + 1)));
export const ADDR: Uint8Array[] = KEYS.map((k) => addressOf(k.publicKey));
export const COORDINATOR = keyPairFromSeed(new Uint8Array(32).fill(0xc0));

/** Two ids the first transactions attach to; cone views report them as solid entry points. */
export const ENTRY_A = new Uint8Array(32).fill(0x01);
export const ENTRY_B = new Uint8Array(32).fill(0xfe);

export function makeGenesis(outputs: [keyIndex: number, amount: bigint][], networkId = NETWORK_ID): Genesis {
  return {
    networkId,
    networkName: "test",
    committee: { members: [toHex(COORDINATOR.publicKey)], threshold: 1 },
    outputs: outputs.map(([k, amount]) => ({ address: toHex(ADDR[k]), amount: amount.toString() })),
    milestoneIntervalMs: 250,
    baseDifficulty: 8,
  };
}

let counter = 0;

/** A transaction with a zero signature (white flag does not check signatures) and its id. */
export function makeTx(issuer: Uint8Array, payload: Payload, parents: Uint8Array[], nonce = ++counter): ConeEntry {
  const tx: Transaction = {
    version: PROTOCOL_VERSION,
    networkId: NETWORK_ID,
    issuer,
    payload,
    signature: new Uint8Array(64),
    timestamp: 1_700_000_000_000 + nonce,
    parents: sortParents(parents),
    nonce: BigInt(nonce),
  };
  return { id: transactionId(encodeTransaction(tx)), tx, confirmed: false };
}

export function transfer(
  key: number,
  inputs: [txId: Uint8Array, index: number][],
  outputs: [keyIndex: number, amount: bigint][],
  parents: Uint8Array[],
  nonce?: number,
): ConeEntry {
  return makeTx(
    KEYS[key].publicKey,
    {
      type: "transfer",
      inputs: inputs.map(([txId, index]) => ({ txId, index })),
      outputs: outputs.map(([k, amount]) => ({ address: ADDR[k], amount })),
    },
    parents,
    nonce,
  );
}

export function dataTx(parents: Uint8Array[], nonce?: number): ConeEntry {
  return makeTx(
    KEYS[0].publicKey,
    { type: "data", streamId: new Uint8Array(32).fill(7), sequence: 0, prevRecordId: new Uint8Array(32), contentType: "application/msgpack", data: new Uint8Array([1, 2, 3]) },
    parents,
    nonce,
  );
}

export function milestoneTx(index: number, merkleRoot: Uint8Array, stateHash: Uint8Array, parents: Uint8Array[], nonce?: number): ConeEntry {
  return makeTx(COORDINATOR.publicKey, asMilestoneV2({ type: "milestone", index, timestamp: 1_700_000_000_000 + index, confirmedMerkleRoot: merkleRoot, ledgerStateHash: stateHash }), parents, nonce);
}

/**
 * White flag's fields as a whole milestone v2 payload for the pure tests (white flag checks no
 * signature, previous id or ledger root; the node does, test/node/committee.test.ts): a placeholder
 * previous id, ledger root and one zero signature of the coordinator.
 */
export function asMilestoneV2(p: WhiteFlagFields): MilestonePayload {
  return {
    ...p,
    previousMilestoneId: p.index === 1 ? new Uint8Array(32) : new Uint8Array(32).fill(1),
    ledgerRoot: new Uint8Array(32),
    signatures: [{ publicKey: COORDINATOR.publicKey, signature: new Uint8Array(64) }],
  };
}

/** A cone view over a Map, with ENTRY_A and ENTRY_B as solid entry points. */
export class TestTangle implements ConeView {
  readonly entries = new Map<string, ConeEntry>();
  readonly entryPoints = new Set<string>([toHex(ENTRY_A), toHex(ENTRY_B)]);
  get(id: Uint8Array): ConeEntry | undefined {
    return this.entries.get(toHex(id));
  }
  isSolidEntryPoint(id: Uint8Array): boolean {
    return this.entryPoints.has(toHex(id));
  }
  /** Stores copies, so marking confirmed here never leaks into another tangle. */
  add(...entries: ConeEntry[]): this {
    for (const e of entries) this.entries.set(toHex(e.id), { id: e.id, tx: e.tx, confirmed: e.confirmed });
    return this;
  }
  confirm(ids: readonly Uint8Array[]): void {
    for (const id of ids) this.entries.get(toHex(id))!.confirmed = true;
  }
}

export const hex = (ids: readonly Uint8Array[]) => ids.map(toHex);

/** computeWhiteFlag on a cone the test built solid: a missing parent is a bug of the test, thrown. */
export function runWhiteFlag(index: number, parents: Uint8Array[], cone: ConeView, ledger: LedgerView): WhiteFlagResult {
  const out = computeWhiteFlag(index, parents, cone, ledger);
  if (!out.ok) throw new Error(out.message);
  return out.value;
}

/** The code of the LedgerError `fn` throws; "no error" when it returns; anything else is rethrown. */
export function ledgerCodeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof LedgerError) return err.code;
    throw err;
  }
  return "no error";
}

/** The project's seeded generator (client/util/random.ts), so a failing seed reproduces. */
export const rng = seededRandom;
