/**
 * BIP-39 mnemonics (English wordlist) through @scure/bip39: generation, validation, and the
 * PBKDF2-HMAC-SHA512 seed (2048 rounds, salt "mnemonic" + passphrase).
 */
import * as bip39 from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english";
import { Code, CodedError } from "../protocol/codes";

/** 24 words (256 bits of entropy) by default; 12 words with 128. */
export function generateMnemonic(strengthBits: 128 | 160 | 192 | 224 | 256 = 256): string {
  return bip39.generateMnemonic(wordlist, strengthBits);
}

/** Collapses whitespace and case, so pasted phrases compare equal. */
export function normalizeMnemonic(mnemonic: string): string {
  return mnemonic.trim().toLowerCase().split(/\s+/).join(" ");
}

export function validateMnemonic(mnemonic: string): boolean {
  return bip39.validateMnemonic(normalizeMnemonic(mnemonic), wordlist);
}

export class MnemonicError extends CodedError<typeof Code.ERR_WALLET_MNEMONIC> {
  constructor(message: string) {
    super(Code.ERR_WALLET_MNEMONIC, message);
    this.name = "MnemonicError";
  }
}

/** The 64-byte BIP-39 seed. Throws MnemonicError for a phrase with a wrong word or checksum. */
export function mnemonicToSeed(mnemonic: string, passphrase = ""): Uint8Array {
  const m = normalizeMnemonic(mnemonic);
  if (!bip39.validateMnemonic(m, wordlist)) throw new MnemonicError("not a valid BIP-39 mnemonic (unknown word, wrong length or bad checksum)");
  return bip39.mnemonicToSeedSync(m, passphrase);
}
