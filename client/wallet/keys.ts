/**
 * Wallet keys: BIP-39 seed → SLIP-0010 Ed25519 → key pair → address.
 *
 * Derivation path (BIP-44 levels, every one hardened, as SLIP-0010 Ed25519 requires):
 *
 *   m / 44' / 7467' / account' / chain' / index'
 *
 * 44' is BIP-44's purpose; 7467 is this ledger's coin type (chosen to be unused by the chains
 * registered in SLIP-0044, so the same mnemonic never yields the same keys here and elsewhere);
 * chain is BIP-44's "change" level: 0' the external chain (addresses given out to be paid), 1' the
 * internal chain (remainders a payment returns to the wallet). Address index i of account a on
 * chain c is the key at that path; its address is BLAKE2b-256 of its public key
 * (docs/protocol.md). External addresses keep the path they had before the internal chain was
 * used (…/0'/index'), so no address given out earlier changes.
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

/** BIP-44's "change" level: the external chain (0') and the internal chain (1'). */
export const CHAINS = { external: 0, internal: 1 } as const;
export type Chain = keyof typeof CHAINS;

export function derivationPath(account: number, index: number, chain: Chain = "external"): string {
  for (const [name, v] of [["account", account], ["index", index]] as const) {
    if (!Number.isInteger(v) || v < 0 || v >= 0x80000000) throw new TypeError(`${name} must be an integer in [0, 2^31), got ${v}`);
  }
  if (!Object.hasOwn(CHAINS, chain)) throw new TypeError(`chain must be "external" or "internal", got ${String(chain)}`);
  return `m/44'/${COIN_TYPE}'/${account}'/${CHAINS[chain]}'/${index}'`;
}

export interface WalletKey {
  account: number;
  chain: Chain;
  index: number;
  path: string;
  keyPair: KeyPair;
  /** BLAKE2b-256 of the public key. */
  address: Uint8Array;
}

/** The Ed25519 seed (RFC 8032 private key) at `account`/`chain`/`index` of a BIP-39 seed. */
export function ed25519SeedAt(bip39Seed: Uint8Array, account: number, index: number, chain: Chain = "external"): Uint8Array {
  return derivePath(bip39Seed, derivationPath(account, index, chain)).key;
}

export function deriveKey(bip39Seed: Uint8Array, account: number, index: number, chain: Chain = "external"): WalletKey {
  const path = derivationPath(account, index, chain);
  const keyPair = keyPairFromSeed(derivePath(bip39Seed, path).key);
  return { account, chain, index, path, keyPair, address: addressOf(keyPair.publicKey) };
}

let devSeed: Uint8Array | undefined;

/** The Ed25519 seed of the dev mnemonic at account 0, index 0 (cached: PBKDF2 is slow on purpose). */
export function devEd25519Seed(): Uint8Array {
  devSeed ??= ed25519SeedAt(mnemonicToSeed(DEV_MNEMONIC), 0, 0);
  return devSeed.slice();
}
