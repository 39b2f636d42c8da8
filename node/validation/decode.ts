/**
 * Stage 1, decoding and limits: the codec's strict decoder (client/protocol/codec.ts) checks the
 * layout, every field and every limit of client/protocol/limits.ts, and never throws.
 */
import { decodeTransaction, DecodeResult } from "../../client/protocol/codec";

export function decodeStage(bytes: unknown): DecodeResult {
  return decodeTransaction(bytes);
}
