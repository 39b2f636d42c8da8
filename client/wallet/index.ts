/** The wallet: BIP-39 mnemonics, SLIP-0010 Ed25519 keys, bech32m addresses, balances, sending. */
export { Wallet, WalletError, WalletErrorCode, toAmount } from "./wallet";
export type { AddressState, PlannedTransfer, SendEvent, SendOptions, SendPlan, SendResult, SentTransfer, WalletBalance, WalletOptions } from "./wallet";
export { CHAINS, COIN_TYPE, DEV_MNEMONIC, derivationPath, deriveKey, devEd25519Seed, ed25519SeedAt } from "./keys";
export type { Chain, WalletKey } from "./keys";
export { generateMnemonic, mnemonicToSeed, MnemonicError, normalizeMnemonic, validateMnemonic } from "./mnemonic";
export { AddressError, decodeAddress, encodeAddress, hrpForNetwork, parseAddress } from "./address";
export { childNode, derivePath, HARDENED, masterNode, parsePath } from "./slip10";
export type { Slip10Node } from "./slip10";
