/**
 * The network's genesis file: strict parsing and validation, and the values derived from it (the
 * virtual genesis transaction id that owns the initial outputs, and the initial ledger state hash).
 *
 * Strict on purpose: every node of a network must derive the same genesis id and state hash from
 * the same file, so anything ambiguous (unknown fields, non-canonical amounts, floats) is refused
 * with a coded error instead of being interpreted.
 */
import { blake2b256 } from "../../core-wasm/src/blake2b";
import { fromHex } from "../../client/protocol/bytes";
import { MAX_AMOUNT, MAX_COMMITTEE_MEMBERS, MAX_OUTPUTS } from "../../client/protocol/limits";
import { LedgerError, LedgerErrorCode as E } from "./errors";

export interface GenesisOutput {
  /** Hex of the 32-byte address (lowercase after parsing). */
  address: string;
  /** Decimal u64, canonical (no sign, no leading zeros), at least 1. */
  amount: string;
}

/**
 * Who signs milestones: n members and a threshold k (docs/ledger.md "Genesis", docs/protocol.md
 * "Committee"). The members' order is the proposer order of the committee rounds.
 */
export interface Committee {
  /** Hex of the members' 32-byte Ed25519 public keys, lowercase after parsing, distinct. */
  members: string[];
  /** Valid signatures of distinct members a milestone needs: n/2 < k <= n. */
  threshold: number;
}

export interface Genesis {
  networkId: number;
  networkName: string;
  /** The committee in force from milestone 1 (until a committee change takes effect). */
  committee: Committee;
  outputs: GenesisOutput[];
  milestoneIntervalMs: number;
  baseDifficulty: number;
}

/** A genesis output in binary form. */
export interface GenesisOutputBytes {
  address: Uint8Array;
  amount: bigint;
}

/** Largest genesis file accepted. */
export const MAX_GENESIS_BYTES = 1 << 20;
/** Most members a committee may have (the protocol's limit, shared with the milestone payload). */
export { MAX_COMMITTEE_MEMBERS };
/** Genesis outputs are outputs of one virtual transaction, so at most the protocol's MAX_OUTPUTS. */
export const MAX_GENESIS_OUTPUTS = MAX_OUTPUTS;
export const MAX_NETWORK_NAME_CHARS = 64;
export const MIN_MILESTONE_INTERVAL_MS = 1;
/** One hour; a longer interval is a configuration mistake. */
export const MAX_MILESTONE_INTERVAL_MS = 3_600_000;
/** PoW difficulty is d bits with 0 <= d <= 63 (DESIGN.md §2). */
export const MAX_BASE_DIFFICULTY = 63;

/** Domain tag of the virtual genesis transaction id. */
export const GENESIS_ID_TAG = new TextEncoder().encode("tangle-genesis");

const FIELDS = ["networkId", "networkName", "committee", "outputs", "milestoneIntervalMs", "baseDifficulty"] as const;
const COMMITTEE_FIELDS = ["members", "threshold"] as const;
/** The field a genesis file had before protocol 2, read as a committee of 1 when it names one key. */
const OLD_KEYS_FIELD = "coordinatorPublicKeys";
const OUTPUT_FIELDS = ["address", "amount"] as const;
const HEX32 = /^[0-9a-fA-F]{64}$/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const PRINTABLE = /^[\x20-\x7e]+$/;

function fail(code: E, message: string): never {
  throw new LedgerError(code, message);
}

function checkObject(value: unknown, where: string, fields: readonly string[]): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(E.GENESIS_NOT_OBJECT, `${where} must be a JSON object`);
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!fields.includes(key)) fail(E.GENESIS_UNKNOWN_FIELD, `${where} has unknown field ${JSON.stringify(key)}`);
  }
  for (const key of fields) {
    if (!Object.prototype.hasOwnProperty.call(obj, key)) fail(E.GENESIS_MISSING_FIELD, `${where} lacks field ${JSON.stringify(key)}`);
  }
  return obj;
}

function checkInt(value: unknown, name: string, min: number, max: number, code: E): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    fail(code, `${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return value;
}

function checkHex32(value: unknown, name: string, code: E): string {
  if (typeof value !== "string" || !HEX32.test(value)) fail(code, `${name} must be 64 hex characters (32 bytes), got ${JSON.stringify(value)}`);
  return value.toLowerCase();
}

/**
 * Validates an already parsed genesis value and returns a normalized copy (lowercase hex).
 * Throws LedgerError with an ERR_GENESIS_* code naming the first problem found.
 */
export function validateGenesis(value: unknown): Genesis {
  const g = checkObject(upgradeOldGenesis(value), "genesis", FIELDS);

  const networkId = checkInt(g.networkId, "networkId", 0, 0xffffffff, E.GENESIS_NETWORK_ID);

  const name = g.networkName;
  if (typeof name !== "string" || name.length < 1 || name.length > MAX_NETWORK_NAME_CHARS || !PRINTABLE.test(name)) {
    fail(E.GENESIS_NETWORK_NAME, `networkName must be 1..${MAX_NETWORK_NAME_CHARS} printable ASCII characters, got ${JSON.stringify(name)}`);
  }

  const committee = validateCommittee(g.committee, "committee");

  const outs = g.outputs;
  if (!Array.isArray(outs) || outs.length < 1 || outs.length > MAX_GENESIS_OUTPUTS) {
    fail(E.GENESIS_OUTPUTS, `outputs must be an array of 1..${MAX_GENESIS_OUTPUTS} outputs`);
  }
  let supply = 0n;
  const outputs = outs.map((o, i): GenesisOutput => {
    const out = checkObject(o, `outputs[${i}]`, OUTPUT_FIELDS);
    const address = checkHex32(out.address, `outputs[${i}].address`, E.GENESIS_OUTPUT_ADDRESS);
    const amount = out.amount;
    if (typeof amount !== "string" || !DECIMAL.test(amount) || amount.length > 20 || BigInt(amount) < 1n || BigInt(amount) > MAX_AMOUNT) {
      fail(E.GENESIS_OUTPUT_AMOUNT, `outputs[${i}].amount must be a decimal string of an integer in [1, 2^64 - 1], got ${JSON.stringify(amount)}`);
    }
    supply += BigInt(amount);
    if (supply > MAX_AMOUNT) fail(E.GENESIS_SUPPLY_OVERFLOW, `outputs up to outputs[${i}] sum past 2^64 - 1`);
    return { address, amount };
  });

  const milestoneIntervalMs = checkInt(g.milestoneIntervalMs, "milestoneIntervalMs", MIN_MILESTONE_INTERVAL_MS, MAX_MILESTONE_INTERVAL_MS, E.GENESIS_MILESTONE_INTERVAL);
  const baseDifficulty = checkInt(g.baseDifficulty, "baseDifficulty", 0, MAX_BASE_DIFFICULTY, E.GENESIS_BASE_DIFFICULTY);

  return { networkId, networkName: name, committee, outputs, milestoneIntervalMs, baseDifficulty };
}

/**
 * A genesis file written before protocol 2 named `coordinatorPublicKeys`, any of which signed alone.
 * One key is exactly a committee of 1 with threshold 1, so such a file is read as that; a file with
 * several keys has no committee equivalent (any one of n is not a majority) and is refused.
 */
function upgradeOldGenesis(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const obj = value as Record<string, unknown>;
  if (!Object.prototype.hasOwnProperty.call(obj, OLD_KEYS_FIELD) || Object.prototype.hasOwnProperty.call(obj, "committee")) return value;
  const { [OLD_KEYS_FIELD]: keys, ...rest } = obj;
  if (!Array.isArray(keys) || keys.length !== 1) {
    fail(E.GENESIS_COMMITTEE, `${OLD_KEYS_FIELD} (a genesis before protocol 2) is read only when it names exactly one key; write "committee": {"members": [...], "threshold": k} instead`);
  }
  return { ...rest, committee: { members: keys, threshold: 1 } };
}

/** The threshold the CLI proposes for n members: floor(2n/3) + 1 (a BFT quorum). */
export function defaultThreshold(members: number): number {
  return Math.floor((2 * members) / 3) + 1;
}

/** Smallest threshold allowed for n members: any two quorums must share a member (2k > n). */
export function minThreshold(members: number): number {
  return Math.floor(members / 2) + 1;
}

/**
 * Validates a committee value (genesis `committee`, and the same rules for a committee change):
 * 1..MAX_COMMITTEE_MEMBERS distinct 32-byte hex keys and an integer threshold with n/2 < k <= n.
 * Throws LedgerError (ERR_GENESIS_COMMITTEE*).
 */
export function validateCommittee(value: unknown, where: string): Committee {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(E.GENESIS_COMMITTEE, `${where} must be an object {members, threshold}`);
  const c = value as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (!(COMMITTEE_FIELDS as readonly string[]).includes(key)) fail(E.GENESIS_COMMITTEE, `${where} has unknown field ${JSON.stringify(key)}`);
  }
  const list = c.members;
  if (!Array.isArray(list) || list.length < 1 || list.length > MAX_COMMITTEE_MEMBERS) {
    fail(E.GENESIS_COMMITTEE, `${where}.members must be an array of 1..${MAX_COMMITTEE_MEMBERS} public keys`);
  }
  const members = list.map((k, i) => checkHex32(k, `${where}.members[${i}]`, E.GENESIS_COMMITTEE_MEMBER));
  members.forEach((k, i) => {
    if (members.indexOf(k) !== i) fail(E.GENESIS_COMMITTEE_DUPLICATE, `${where}.members[${i}] repeats an earlier key`);
  });
  const n = members.length;
  const threshold = checkInt(c.threshold, `${where}.threshold (n = ${n}: more than half of the members, at most all)`, minThreshold(n), n, E.GENESIS_COMMITTEE_THRESHOLD);
  return { members, threshold };
}

/** Parses and validates genesis JSON text. Throws LedgerError (ERR_GENESIS_*). */
export function parseGenesis(text: string): Genesis {
  if (typeof text !== "string") fail(E.GENESIS_JSON, "genesis must be JSON text");
  if (text.length > MAX_GENESIS_BYTES) fail(E.GENESIS_TOO_LARGE, `genesis of ${text.length} characters, more than ${MAX_GENESIS_BYTES}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    fail(E.GENESIS_JSON, `genesis is not JSON: ${(err as Error).message}`);
  }
  return validateGenesis(value);
}

/** The genesis outputs in binary form, in file order. Expects a validated genesis. */
export function genesisOutputs(genesis: Genesis): GenesisOutputBytes[] {
  return genesis.outputs.map((o) => ({ address: fromHex(o.address, "address"), amount: BigInt(o.amount) }));
}

/** Canonical bytes of the genesis outputs: for each output in order, address (32) || u64le amount. */
export function encodeGenesisOutputs(genesis: Genesis): Uint8Array {
  const outs = genesisOutputs(genesis);
  const buf = new Uint8Array(outs.length * 40);
  const dv = new DataView(buf.buffer);
  outs.forEach((o, i) => {
    buf.set(o.address, i * 40);
    dv.setBigUint64(i * 40 + 32, o.amount, true);
  });
  return buf;
}

function u32le(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}

/**
 * Id of the virtual genesis transaction whose outputs 0..n-1 are the genesis outputs:
 * BLAKE2b-256("tangle-genesis" || u32le networkId || encodeGenesisOutputs).
 */
export function genesisTransactionId(genesis: Genesis): Uint8Array {
  const outs = encodeGenesisOutputs(genesis);
  const buf = new Uint8Array(GENESIS_ID_TAG.length + 4 + outs.length);
  buf.set(GENESIS_ID_TAG, 0);
  buf.set(u32le(genesis.networkId), GENESIS_ID_TAG.length);
  buf.set(outs, GENESIS_ID_TAG.length + 4);
  return blake2b256(buf);
}

/** State hash at ledger index 0: BLAKE2b-256(u32le networkId || encodeGenesisOutputs). */
export function genesisStateHash(genesis: Genesis): Uint8Array {
  const outs = encodeGenesisOutputs(genesis);
  const buf = new Uint8Array(4 + outs.length);
  buf.set(u32le(genesis.networkId), 0);
  buf.set(outs, 4);
  return blake2b256(buf);
}
