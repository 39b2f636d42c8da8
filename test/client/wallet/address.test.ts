/**
 * A mistyped address (client/wallet/address.ts): the error says the checksum does not match and
 * asks to check for a typo, and never prints the checksum that would make the mistyped text valid
 * (copying it would turn a typo into a payment to the wrong address).
 */
import { randomBytes } from "node:crypto";
import { AddressError, decodeAddress, encodeAddress, parseAddress } from "../../../client/wallet/address";
import { checksumThatFits, typo } from "./_typo";

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
