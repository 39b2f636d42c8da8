/**
 * Addresses for people: bech32m (BIP-350) through @scure/base, with a network prefix (the HRP).
 *
 *   text = bech32m(hrp, [address kind] ‖ address)      kind 0 = Ed25519 address = BLAKE2b-256(public key)
 *
 * e.g. `tdev1q…` on the dev network. The kind byte leaves room for other address kinds later
 * without two kinds ever sharing a string. The HRP of a network is "t" followed by its name
 * (lowercase letters and digits only, at most 16): `tdev` for "dev".
 */
import { bech32m } from "@scure/base";
import { fromHex, toHex } from "../protocol/bytes";
import { Code, CodedError } from "../protocol/codes";

export const ADDRESS_KIND_ED25519 = 0;

/** What a mistyped address gets told (the checksum that would fit the typo is never shown). */
export const CHECKSUM_MISMATCH = "checksum does not match: check the address for a typo";

export class AddressError extends CodedError<typeof Code.ERR_WALLET_ADDRESS> {
  constructor(message: string) {
    super(Code.ERR_WALLET_ADDRESS, message);
    this.name = "AddressError";
  }
}

/** The bech32 HRP of a network name. */
export function hrpForNetwork(networkName: string): string {
  const clean = networkName.toLowerCase().replace(/[^a-z0-9]/g, "").slice(0, 16);
  if (!clean) throw new AddressError(`network name '${networkName}' has no letters or digits for an address prefix`);
  return `t${clean}`;
}

export function encodeAddress(address: Uint8Array, hrp: string): string {
  if (!(address instanceof Uint8Array) || address.length !== 32) throw new AddressError("address must be 32 bytes");
  const data = new Uint8Array(33);
  data[0] = ADDRESS_KIND_ED25519;
  data.set(address, 1);
  return bech32m.encode(hrp, bech32m.toWords(data));
}

/** Decodes a bech32m address; checks the HRP when `expectedHrp` is given. */
export function decodeAddress(text: string, expectedHrp?: string): { hrp: string; address: Uint8Array } {
  let prefix: string;
  let words: number[];
  try {
    ({ prefix, words } = bech32m.decode(text as `${string}1${string}`));
  } catch (err) {
    // @scure/base names the checksum the text would need ("expected …"): never pass it on, or a
    // typo could be "fixed" by pasting it, paying an address nobody holds the key of.
    const why = /checksum/i.test((err as Error).message) ? CHECKSUM_MISMATCH : (err as Error).message;
    throw new AddressError(`'${text}' is not a bech32m address: ${why}`);
  }
  const data = bech32m.fromWords(words);
  if (data.length !== 33 || data[0] !== ADDRESS_KIND_ED25519) throw new AddressError(`'${text}' is not an Ed25519 address`);
  if (expectedHrp !== undefined && prefix !== expectedHrp) throw new AddressError(`'${text}' belongs to network prefix '${prefix}', expected '${expectedHrp}'`);
  return { hrp: prefix, address: data.slice(1) };
}

/** Accepts a bech32m address (checked against `hrp`) or 64 hex characters; returns the 32 bytes. */
export function parseAddress(text: string, hrp?: string): Uint8Array {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return fromHex(t, "address");
  return decodeAddress(t.toLowerCase() === t || t.toUpperCase() === t ? t.toLowerCase() : t, hrp).address;
}

export function addressHex(address: Uint8Array): string {
  return toHex(address);
}
