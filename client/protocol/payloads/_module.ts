/**
 * What every payload module (transfer.ts, data.ts, milestone.ts, …) provides; index.ts lists them.
 * A module imports only ./_fields.ts, ../limits.ts, ../errors.ts, ../bytes.ts and the byte writer,
 * never the codec, so the codec can import the registry without a cycle.
 */
import type { ByteWriter } from "../../util/byte-writer";
import type { Reader } from "./_fields";

export interface PayloadModule<P extends { type: string }> {
  /** The `type` of the payload object. */
  readonly name: P["type"];
  /** The payload type byte in the essence (docs/protocol.md). */
  readonly code: number;
  /** Checks `p` and appends its bytes. Throws ProtocolError with the payload's codes. */
  encode(w: ByteWriter, p: P): void;
  /**
   * Reads the payload, which must end exactly at `end` (ERR_TX_PAYLOAD_LENGTH otherwise), with the
   * same rules as `encode`. Fails through `bad` / `Reader.need` (never any other throw on bad input).
   */
  decode(r: Reader, end: number): P;
}
