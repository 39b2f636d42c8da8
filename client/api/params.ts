/**
 * Checks and converts the client's method parameters and results: 32-byte ids and addresses to the
 * wire's hex (or bech32m) strings, topic names to the node's spelling, wire amounts to bigint.
 * Pure; every failure is a TangleClientError naming the parameter.
 */
import { toHex } from "../protocol/bytes";
import { ClientErrorCode as C, TangleClientError } from "./errors";
import type { Bytes32 } from "./types";

const HEX32 = /^[0-9a-fA-F]{64}$/;

/** 32 bytes as lowercase hex; throws ERR_CLIENT_BAD_ARGUMENT naming the parameter. */
export function hex32(name: string, v: Bytes32): string {
  if (v instanceof Uint8Array && v.length === 32) return toHex(v);
  if (typeof v === "string" && HEX32.test(v)) return v.toLowerCase();
  throw new TangleClientError(C.BAD_ARGUMENT, `${name} must be 32 bytes or 64 hex characters`);
}

/**
 * An address parameter: 32 bytes or 64 hex characters (sent as lowercase hex), or a bech32m address
 * (sent as it is, lowercased when all uppercase; the node checks its checksum and network prefix).
 */
export function addressParam(name: string, v: Bytes32): string {
  if (typeof v === "string" && !HEX32.test(v) && /^[0-9a-zA-Z]{8,90}$/.test(v) && v.includes("1")) return v === v.toUpperCase() ? v.toLowerCase() : v;
  return hex32(name, v);
}

/** A topic as the node names it in `subscribed` and pushes: hex and all-uppercase bech32m lowercased. */
export function normalizeTopic(topic: string): string {
  return topic.replace(/^(address|tx|stream):([0-9A-Za-z]+)$/, (m, kind: string, id: string) => (HEX32.test(id) || id === id.toUpperCase() ? `${kind}:${id.toLowerCase()}` : m));
}

/** A u64 amount from the wire (a decimal string, or a safe integer); throws ERR_CLIENT_BAD_RESPONSE naming it. */
export function bigintOf(name: string, v: unknown): bigint {
  if (typeof v === "string" && /^\d+$/.test(v)) return BigInt(v);
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  throw new TangleClientError(C.BAD_RESPONSE, `${name} is not a decimal amount`);
}
