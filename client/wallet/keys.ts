/**
 * Wallet keys: BIP-39 seed → SLIP-0010 Ed25519 → key pair → address.
 *
 * Derivation path (every level hardened, as Ed25519 requires):
 *
 *   m / 44' / 7467' / account' / 0' / index'
 *
 * 44' is BIP-44's purpose; 7467 is this ledger's coin type (chosen to be unused by the chains
 * registered in SLIP-0044, so the same mnemonic never yields the same keys here and elsewhere);
 * the fourth level is fixed at 0' (BIP-44's "change" level, unused: remainders go to the next
 * fresh index instead). Address index i of account a is the key at that path; its address is
 * BLAKE2b-256 of its public key (docs/protocol.md).
 */
import { addressOf, keyPairFromSeed, KeyPair } from "../protocol/keys";
import { derivePath } from "./slip10";
import { mnemonicToSeed } from "./mnemonic";

export const COIN_TYPE = 7467;

/**
 * The dev network's well-known mnemonic: public on purpose, never for anything of value. Its
 * address index 0 (account 0) owns the dev genesis supply (node/networks/dev.ts).
 */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

export function derivationPath(account: number, index: number): string {
  for (const [name, v] of [["account", account], ["index", index]] as const) {
    if (!Number.isInteger(v) || v < 0 || v >= 0x80000000) throw new TypeError(`${name} must be an integer in [0, 2^31), got ${v}`);
  }
  return `m/44'/${COIN_TYPE}'/${account}'/0'/${index}'`;
}

export interface WalletKey {
  account: number;
  index: number;
  path: string;
  keyPair: KeyPair;
  /** BLAKE2b-256 of the public key. */
  address: Uint8Array;
}

/** The Ed25519 seed (RFC 8032 private key) at `account`/`index` of a BIP-39 seed. */
export function ed25519SeedAt(bip39Seed: Uint8Array, account: number, index: number): Uint8Array {
  return derivePath(bip39Seed, derivationPath(account, index)).key;
}

export function deriveKey(bip39Seed: Uint8Array, account: number, index: number): WalletKey {
  const keyPair = keyPairFromSeed(ed25519SeedAt(bip39Seed, account, index));
  return { account, index, path: derivationPath(account, index), keyPair, address: addressOf(keyPair.publicKey) };
}

let devSeed: Uint8Array | undefined;

/** The Ed25519 seed of the dev mnemonic at account 0, index 0 (cached: PBKDF2 is slow on purpose). */
export function devEd25519Seed(): Uint8Array {
  devSeed ??= ed25519SeedAt(mnemonicToSeed(DEV_MNEMONIC), 0, 0);
  return devSeed.slice();
}
