/** The crash test's network: fixed keys, tiny difficulty, fast milestones. */
import { toHex } from "../../client/protocol/bytes";
import { addressOf, keyPairFromSeed } from "../../client/protocol/keys";
import type { Genesis } from "../ledger/genesis";

export const CRASH_COORDINATOR_SEED = new Uint8Array(32).fill(0xc1);
export const CRASH_WALLET_SEED = new Uint8Array(32).fill(0xa2);

export function crashGenesis(): Genesis {
  return {
    networkId: 4242,
    networkName: "crash-test",
    committee: { members: [toHex(keyPairFromSeed(CRASH_COORDINATOR_SEED).publicKey)], threshold: 1 },
    outputs: [{ address: toHex(addressOf(keyPairFromSeed(CRASH_WALLET_SEED).publicKey)), amount: "1000000000" }],
    milestoneIntervalMs: 40,
    baseDifficulty: 4,
  };
}
