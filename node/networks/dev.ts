/**
 * The dev network: a single node that is its own coordinator, with the whole supply owned by a
 * documented, well-known dev key. Never use these keys for anything of value: they are public.
 *
 *   coordinator seed   BLAKE2b-256("tangle-ledger dev coordinator")
 *   dev wallet seed    the Ed25519 seed that the wallet derives from the dev mnemonic
 *                      "test test test test test test test test test test test junk"
 *                      at account 0, address index 0 (m/44'/7467'/0'/0'/0', client/wallet/keys.ts)
 *
 * (Ed25519 seeds, RFC 8032 private keys; the dev wallet's address owns the genesis output, so
 * `tangle wallet send --dev …` spends it.)
 */
import { blake2b256 } from "../../core-wasm/src/blake2b";
import { toHex } from "../../client/protocol/bytes";
import { addressOf, keyPairFromSeed } from "../../client/protocol/keys";
import { devEd25519Seed } from "../../client/wallet/keys";
import type { Genesis } from "../ledger/genesis";

const utf8 = (s: string) => new TextEncoder().encode(s);

export const DEV_NETWORK_ID = 0x64657631; // "dev1"
export const DEV_SUPPLY = 1_000_000_000_000n;
export const DEV_MILESTONE_INTERVAL_MS = 250;
export const DEV_BASE_DIFFICULTY = 10;

export function devCoordinatorSeed(): Uint8Array {
  return blake2b256(utf8("tangle-ledger dev coordinator"));
}

export function devWalletSeed(): Uint8Array {
  return devEd25519Seed();
}

export function devGenesis(): Genesis {
  const coordinator = keyPairFromSeed(devCoordinatorSeed());
  const wallet = keyPairFromSeed(devWalletSeed());
  return {
    networkId: DEV_NETWORK_ID,
    networkName: "dev",
    committee: { members: [toHex(coordinator.publicKey)], threshold: 1 },
    outputs: [{ address: toHex(addressOf(wallet.publicKey)), amount: DEV_SUPPLY.toString() }],
    milestoneIntervalMs: DEV_MILESTONE_INTERVAL_MS,
    baseDifficulty: DEV_BASE_DIFFICULTY,
  };
}
