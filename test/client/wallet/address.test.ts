/**
 * A mistyped address (client/wallet/address.ts): the error says the checksum does not match and
 * asks to check for a typo, and never prints the checksum that would make the mistyped text valid
 * (copying it would turn a typo into a payment to the wrong address).
 */
import { bech32m } from "@scure/base";
import { randomBytes } from "node:crypto";
import { AddressError, decodeAddress, encodeAddress, parseAddress } from "../../../client/wallet/address";

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

test("a one-character typo is reported as such, without the checksum that would fit it", () => {
  for (let i = 0; i < 20; i++) {
    const good = encodeAddress(randomBytes(32), "tdev");
    const bad = typo(good, 6 + (i % 40));
    const fits = checksumThatFits(bad);
    expect(fits).not.toBe(good.slice(-6));
    for (const parse of [() => parseAddress(bad, "tdev"), () => parseAddress(bad.toUpperCase(), "tdev"), () => decodeAddress(bad)]) {
      let err: unknown;
      try {
        parse();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AddressError);
      expect((err as AddressError).code).toBe("ERR_WALLET_ADDRESS");
      expect((err as Error).message).toContain("checksum does not match: check the address for a typo");
      expect((err as Error).message.toLowerCase()).not.toContain(fits);
    }
  }
});
