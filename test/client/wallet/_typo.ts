/** Mistyped bech32m addresses for tests, written from BIP-173/BIP-350 (the charset and checksum). */
import { bech32m } from "@scure/base";

const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"; // BIP-173

/** `text` with one data character (not the prefix, not the checksum) replaced by another. */
export function typo(text: string, at = 12): string {
  const c = text[at];
  const other = CHARSET[(CHARSET.indexOf(c) + 1) % 32];
  return text.slice(0, at) + other + text.slice(at + 1);
}

/** The checksum that would make `text`'s prefix and data characters a valid bech32m string. */
export function checksumThatFits(text: string): string {
  const sep = text.lastIndexOf("1");
  const words = [...text.slice(sep + 1, -6)].map((ch) => CHARSET.indexOf(ch));
  return bech32m.encode(text.slice(0, sep), words).slice(-6);
}
