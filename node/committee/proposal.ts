/**
 * The proposer's signature on a committee proposal (docs/committee.md "Proposing does not bind",
 * docs/protocol.md `cprop`): the member whose round it is signs
 *
 *   BLAKE2b-256( "tangle-committee-proposal" · round u32 LE · essenceHash 32 )
 *
 * with its Ed25519 key. It says "the proposer of this round asks for this essence" and nothing
 * more: it is not a signature over the milestone essence, cannot be put in a milestone, and does
 * not bind the proposer to the essence (its sign guard records nothing). The essence hash already
 * binds the network, the index, the parents and the fields.
 */
import { blake2b256 } from "../../core-wasm/src/blake2b";
import { ID_BYTES } from "../../client/protocol/limits";

export const PROPOSAL_TAG = new TextEncoder().encode("tangle-committee-proposal");

/** The 32 bytes the proposer of `round` signs for a proposal of the essence `essenceHash`. */
export function proposalSigningHash(round: number, essenceHash: Uint8Array): Uint8Array {
  if (!Number.isInteger(round) || round < 0 || round > 0xffff_ffff) throw new RangeError(`round ${round} is not a u32`);
  if (essenceHash.length !== ID_BYTES) throw new RangeError(`an essence hash of ${essenceHash.length} bytes`);
  const bytes = new Uint8Array(PROPOSAL_TAG.length + 4 + ID_BYTES);
  bytes.set(PROPOSAL_TAG, 0);
  new DataView(bytes.buffer).setUint32(PROPOSAL_TAG.length, round, true);
  bytes.set(essenceHash, PROPOSAL_TAG.length + 4);
  return blake2b256(bytes);
}
