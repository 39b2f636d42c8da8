/**
 * Payload 1, transfer: UTXO inputs and outputs, no fees (docs/protocol.md "Payload 1").
 *
 *   inputCount u8 (1..128) · (txId 32 · index u8) × n · outputCount u8 (1..128) · (address 32 · amount u64) × m
 *
 * Rules on both sides: counts in range, an input's index below MAX_OUTPUTS, no input twice, every
 * amount ≥ 1, the outputs' sum below 2^64. That inputs exist and sum to the outputs is the ledger's
 * check (white flag), not the codec's.
 */
import type { ByteWriter } from "../../util/byte-writer";
import * as L from "../limits";
import { ProtocolErrorCode as E } from "../errors";
import { toHex } from "../bytes";
import { bad, checkBytes, checkUint, fail, Reader } from "./_fields";
import type { PayloadModule } from "./_module";

export interface Input {
  /** Id of the transaction that created the output. */
  txId: Uint8Array;
  /** Index of the output in that transaction. */
  index: number;
}

export interface Output {
  address: Uint8Array;
  amount: bigint;
}

export interface TransferPayload {
  type: "transfer";
  inputs: Input[];
  outputs: Output[];
}

export function isTransfer(p: { type: string }): p is TransferPayload {
  return p.type === "transfer";
}

function encode(w: ByteWriter, p: TransferPayload): void {
  if (p.inputs.length < 1 || p.inputs.length > L.MAX_INPUTS) fail(E.IO_COUNT, `inputs must number 1..${L.MAX_INPUTS}`);
  if (p.outputs.length < 1 || p.outputs.length > L.MAX_OUTPUTS) fail(E.IO_COUNT, `outputs must number 1..${L.MAX_OUTPUTS}`);
  w.u8(p.inputs.length);
  for (const i of p.inputs) {
    checkBytes("input txId", i.txId, L.ID_BYTES);
    checkUint("input index", i.index, L.MAX_OUTPUTS - 1);
    w.bytes(i.txId);
    w.u8(i.index);
  }
  w.u8(p.outputs.length);
  let sum = 0n;
  for (const o of p.outputs) {
    checkBytes("output address", o.address, L.ADDRESS_BYTES);
    if (typeof o.amount !== "bigint" || o.amount <= 0n || o.amount > L.MAX_AMOUNT) fail(E.AMOUNT, "output amount must be in [1, 2^64)");
    sum += o.amount;
    w.bytes(o.address);
    w.u64le(o.amount);
  }
  if (sum > L.MAX_AMOUNT) fail(E.AMOUNT, "outputs sum past 2^64 - 1");
}

function decode(r: Reader, end: number): TransferPayload {
  r.need(1, "input count");
  const nIn = r.u8();
  if (nIn < 1 || nIn > L.MAX_INPUTS) bad(E.IO_COUNT, `input count ${nIn} outside 1..${L.MAX_INPUTS}`);
  r.need(nIn * (L.ID_BYTES + 1), "inputs");
  const inputs: Input[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < nIn; i++) {
    const txId = r.take(L.ID_BYTES);
    const index = r.u8();
    if (index >= L.MAX_OUTPUTS) bad(E.IO_COUNT, `input ${i} refers to output ${index}, beyond ${L.MAX_OUTPUTS - 1}`);
    const key = toHex(txId) + index;
    if (seen.has(key)) bad(E.DUPLICATE_INPUT, `input ${i} repeats an earlier input`);
    seen.add(key);
    inputs.push({ txId, index });
  }
  r.need(1, "output count");
  const nOut = r.u8();
  if (nOut < 1 || nOut > L.MAX_OUTPUTS) bad(E.IO_COUNT, `output count ${nOut} outside 1..${L.MAX_OUTPUTS}`);
  r.need(nOut * (L.ADDRESS_BYTES + 8), "outputs");
  const outputs: Output[] = [];
  let sum = 0n;
  for (let i = 0; i < nOut; i++) {
    const address = r.take(L.ADDRESS_BYTES);
    const amount = r.u64();
    if (amount === 0n) bad(E.AMOUNT, `output ${i} has amount 0`);
    sum += amount;
    outputs.push({ address, amount });
  }
  if (sum > L.MAX_AMOUNT) bad(E.AMOUNT, "outputs sum past 2^64 - 1");
  if (r.at !== end) bad(E.PAYLOAD_LENGTH, "payload length disagrees with the transfer's fields");
  return { type: "transfer", inputs, outputs };
}

export const transfer: PayloadModule<TransferPayload> = { name: "transfer", code: 1, encode, decode };
