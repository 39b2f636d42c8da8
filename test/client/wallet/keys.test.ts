/**
 * Wallet building blocks against published known-answer vectors: BIP-39 (mnemonic → seed),
 * SLIP-0010 for Ed25519 (seed → keys, vectors 1 and 2 of the spec), bech32m (BIP-350); then our own
 * layers on top: the derivation path, the address encoding with its network prefix, and the dev
 * mnemonic that owns the dev genesis.
 */
import * as bip39 from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english";
import { bech32m } from "@scure/base";
import slip10 from "../../vectors/slip10-ed25519.json";
import bip39Vectors from "../../vectors/bip39.json";
import bech32mVectors from "../../vectors/bech32m.json";
import {
  decodeAddress,
  derivationPath,
  derivePath,
  DEV_MNEMONIC,
  encodeAddress,
  generateMnemonic,
  hrpForNetwork,
  masterNode,
  childNode,
  mnemonicToSeed,
  parseAddress,
  parsePath,
  validateMnemonic,
  Wallet,
  HARDENED,
} from "../../../client/wallet";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { addressOf, keyPairFromSeed } from "../../../client/protocol/keys";
import { devGenesis, devWalletSeed } from "../../../node/networks/dev";

describe("BIP-39", () => {
  test.each(bip39Vectors.vectors)("entropy %s", (entropy, mnemonic, seed) => {
    expect(bip39.entropyToMnemonic(fromHex(entropy), wordlist)).toBe(mnemonic);
    expect(validateMnemonic(mnemonic)).toBe(true);
    expect(toHex(mnemonicToSeed(mnemonic, bip39Vectors.passphrase))).toBe(seed);
  });

  test("generation, normalisation and refusal of bad phrases", () => {
    const m = generateMnemonic();
    expect(m.split(" ")).toHaveLength(24);
    expect(generateMnemonic(128).split(" ")).toHaveLength(12);
    expect(validateMnemonic(m)).toBe(true);
    expect(toHex(mnemonicToSeed(`  ${m.toUpperCase().replace(/ /g, "\n ")} `))).toBe(toHex(mnemonicToSeed(m)));
    const words = m.split(" ");
    const swapped = [words[1], words[0], ...words.slice(2)].join(" ");
    if (swapped !== m) expect(validateMnemonic(swapped)).toBe(false); // checksum
    expect(validateMnemonic(m.replace(/^\w+/, "notaword"))).toBe(false);
    expect(() => mnemonicToSeed("abandon abandon")).toThrow(expect.objectContaining({ code: "ERR_WALLET_MNEMONIC" }));
  });
});

describe("SLIP-0010 Ed25519", () => {
  for (const [n, v] of slip10.vectors.entries()) {
    test(`vector ${n + 1}: every chain`, () => {
      const seed = fromHex(v.seed);
      for (const c of v.chains) {
        const node = derivePath(seed, c.path);
        expect([c.path, toHex(node.chainCode), toHex(node.key)]).toEqual([c.path, c.chainCode, c.private]);
        expect("00" + toHex(keyPairFromSeed(node.key).publicKey)).toBe(c.public);
      }
    });
  }

  test("hardened only; paths parsed strictly", () => {
    const m = masterNode(fromHex(slip10.vectors[0].seed));
    expect(() => childNode(m, 0)).toThrow(/hardened only/);
    expect(toHex(childNode(m, HARDENED).key)).toBe(slip10.vectors[0].chains[1].private);
    expect(parsePath("m/44'/7467'/0h/0H/5'")).toEqual([44, 7467, 0, 0, 5].map((i) => i + HARDENED));
    expect(() => parsePath("m/44'/0")).toThrow(/hardened/);
    expect(() => parsePath("44'/0'")).toThrow();
    expect(() => parsePath(`m/${2 ** 31}'`)).toThrow(/out of range/);
    expect(() => masterNode(new Uint8Array(8))).toThrow(/16..64/);
  });
});

describe("bech32m (BIP-350)", () => {
  test.each(bech32mVectors.valid)("valid %s", (s) => {
    const d = bech32m.decode(s as `${string}1${string}`, 90);
    expect(bech32m.encode(d.prefix, d.words, 90)).toBe(s.toLowerCase());
  });
  test.each(bech32mVectors.invalid)("invalid %j (%s)", (s) => {
    expect(() => bech32m.decode(s as `${string}1${string}`, 90)).toThrow();
  });
  test.each(bech32mVectors.bech32NotBech32m)("bech32, not bech32m: %s", (s) => {
    expect(() => bech32m.decode(s as `${string}1${string}`, 90)).toThrow();
  });
});

describe("addresses", () => {
  const key = keyPairFromSeed(new Uint8Array(32).fill(7));
  const raw = addressOf(key.publicKey);

  test("bech32m with the network's prefix and an address-kind byte; round trip", () => {
    expect(hrpForNetwork("dev")).toBe("tdev");
    expect(hrpForNetwork("City-Net 2")).toBe("tcitynet2");
    const text = encodeAddress(raw, "tdev");
    expect(text).toMatch(/^tdev1q[02-9ac-hj-np-z]{58}$/); // kind 0 encodes as a leading 'q'
    expect(toHex(decodeAddress(text, "tdev").address)).toBe(toHex(raw));
    expect(toHex(parseAddress(text.toUpperCase(), "tdev"))).toBe(toHex(raw));
    expect(toHex(parseAddress(toHex(raw)))).toBe(toHex(raw));
  });

  test("refusals: other network, a flipped character, a bech32 (not m) string, another kind", () => {
    const text = encodeAddress(raw, "tdev");
    expect(() => decodeAddress(text, "tmain")).toThrow(/expected 'tmain'/);
    const flipped = text.slice(0, -3) + (text.at(-3) === "q" ? "p" : "q") + text.slice(-2);
    expect(() => decodeAddress(flipped)).toThrow(expect.objectContaining({ code: "ERR_WALLET_ADDRESS" }));
    const { bech32 } = jest.requireActual("@scure/base") as typeof import("@scure/base");
    const data = new Uint8Array(33);
    data.set(raw, 1);
    expect(() => decodeAddress(bech32.encode("tdev", bech32.toWords(data)))).toThrow();
    data[0] = 1;
    expect(() => decodeAddress(bech32m.encode("tdev", bech32m.toWords(data)))).toThrow(/not an Ed25519 address/);
  });
});

describe("wallet keys and the dev mnemonic", () => {
  test("path m/44'/7467'/account'/0'/index'", () => {
    expect(derivationPath(0, 0)).toBe("m/44'/7467'/0'/0'/0'");
    expect(derivationPath(2, 9)).toBe("m/44'/7467'/2'/0'/9'");
    expect(() => derivationPath(0, -1)).toThrow();
    const seed = mnemonicToSeed(DEV_MNEMONIC);
    const w = Wallet.fromMnemonic(DEV_MNEMONIC, { account: 2 });
    expect(toHex(w.key(9).keyPair.secretKey.subarray(0, 32))).toBe(toHex(derivePath(seed, "m/44'/7467'/2'/0'/9'").key));
    expect(w.key(9).path).toBe("m/44'/7467'/2'/0'/9'");
  });

  test("BIP-44 chains: external m/…/0'/index' (the paths external addresses always had), internal m/…/1'/index'", () => {
    expect(derivationPath(0, 3, "external")).toBe("m/44'/7467'/0'/0'/3'");
    expect(derivationPath(0, 3, "internal")).toBe("m/44'/7467'/0'/1'/3'");
    expect(derivationPath(2, 9, "internal")).toBe("m/44'/7467'/2'/1'/9'");
    expect(() => derivationPath(0, 0, "change" as never)).toThrow(/chain must be/);
    const seed = mnemonicToSeed(DEV_MNEMONIC);
    const w = Wallet.fromMnemonic(DEV_MNEMONIC);
    expect(w.key(4)).toMatchObject({ chain: "external", index: 4, path: "m/44'/7467'/0'/0'/4'" });
    expect(toHex(w.key(4, "external").address)).toBe(toHex(w.key(4).address));
    const internal = w.key(4, "internal");
    expect(internal).toMatchObject({ chain: "internal", index: 4, path: "m/44'/7467'/0'/1'/4'" });
    expect(toHex(internal.keyPair.secretKey.subarray(0, 32))).toBe(toHex(derivePath(seed, "m/44'/7467'/0'/1'/4'").key));
    expect(toHex(internal.address)).not.toBe(toHex(w.key(4).address));
    expect(w.addressWith("tdev", 4, "internal")).toBe(encodeAddress(internal.address, "tdev"));
  });

  test("devWalletSeed() is address 0 of the dev mnemonic, and that address owns the dev genesis", () => {
    const w = Wallet.dev();
    expect(toHex(devWalletSeed())).toBe(toHex(w.key(0).keyPair.secretKey.subarray(0, 32)));
    expect(devGenesis().outputs[0].address).toBe(toHex(w.key(0).address));
    expect(w.addressWith("tdev", 0)).toBe(encodeAddress(w.key(0).address, "tdev"));
    // Different passphrase or account: different keys.
    expect(toHex(Wallet.fromMnemonic(DEV_MNEMONIC, { passphrase: "x" }).key(0).address)).not.toBe(toHex(w.key(0).address));
    expect(toHex(Wallet.fromMnemonic(DEV_MNEMONIC, { account: 1 }).key(0).address)).not.toBe(toHex(w.key(0).address));
  });
});
