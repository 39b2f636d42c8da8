/**
 * The payload registry: every payload type the protocol knows, by name and by type code. The codec
 * (../codec.ts) writes and reads the envelope and hands the payload to the module found here.
 *
 * Adding a payload type: a module beside the others (code, types, encode, decode, checks), one line
 * in `PAYLOADS` and the `Payload` union below, the node's indexes and pushes for it in
 * node/payloads.ts, then docs/protocol.md and the vectors (test/vectors/tools/). docs/architecture.md
 * lists the files.
 */
import type { PayloadModule } from "./_module";
import { transfer, TransferPayload } from "./transfer";
import { data, DataPayload } from "./data";
import { milestone, MilestonePayload } from "./milestone";
import { checkpoint, CheckpointPayload } from "./checkpoint";

export type { PayloadModule } from "./_module";
export { isTransfer, type Input, type Output, type TransferPayload } from "./transfer";
export { isData, type DataPayload } from "./data";
export {
  isMilestone,
  milestoneEssence,
  sortSignatures,
  thresholdAllowed,
  MILESTONE_ESSENCE_TAG,
  type CommitteeChange,
  type MilestoneFields,
  type MilestonePayload,
  type MilestoneSignature,
} from "./milestone";
export { isCheckpoint, type CheckpointPayload } from "./checkpoint";

export type Payload = TransferPayload | DataPayload | MilestonePayload | CheckpointPayload;

/** The payload type names ("transfer", "data", "milestone", "checkpoint"). */
export type PayloadName = Payload["type"];

/** The payload object of the type named `K`. */
export type PayloadOf<K extends PayloadName> = Extract<Payload, { type: K }>;

/** Every payload module by name; the compiler insists on one per member of `Payload`. */
export const PAYLOADS: { readonly [K in PayloadName]: PayloadModule<PayloadOf<K>> } = { transfer, data, milestone, checkpoint };

const byName = new Map<string, PayloadModule<Payload>>(Object.values(PAYLOADS).map((m) => [m.name, m as PayloadModule<Payload>]));
const byCode = new Map<number, PayloadModule<Payload>>([...byName.values()].map((m) => [m.code, m]));
if (byCode.size !== byName.size) throw new Error("two payload modules share a type code");

/** The module of a payload type name; undefined for anything else (including non-strings). */
export function payloadByName(name: unknown): PayloadModule<Payload> | undefined {
  return typeof name === "string" ? byName.get(name) : undefined;
}

/** The module of a payload type code; undefined for codes no payload type has. */
export function payloadByCode(code: number): PayloadModule<Payload> | undefined {
  return byCode.get(code);
}
