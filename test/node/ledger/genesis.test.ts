/**
 * Genesis files (node/ledger/genesis.ts): parseGenesis accepts a valid file (hex normalized),
 * allows a supply of exactly 2^64 - 1 and refuses malformed files each with its code, non-JSON and oversize text;
 * the canonical output bytes, state hash and genesis transaction id follow docs/ledger.md (BLAKE2b
 * checked against @noble/hashes) and depend on the network id and every output.
 */
import { blake2b as nobleBlake2b } from "@noble/hashes/blake2b";
import { toHex } from "../../../client/protocol/bytes";
import { LedgerErrorCode as E } from "../../../node/ledger/errors";
import {
  defaultThreshold,
  encodeGenesisOutputs,
  Genesis,
  genesisOutputs,
  genesisStateHash,
  genesisTransactionId,
  MAX_GENESIS_BYTES,
  parseGenesis,
  validateGenesis,
} from "../../../node/ledger/genesis";
import { ledgerCodeOf as codeOf } from "./_fixtures";

const ADDR1 = "11".repeat(32);
const ADDR2 = "AB".repeat(32);
const KEY = "c0".repeat(32);
const U64_MAX = (1n << 64n) - 1n;

function base(): Record<string, unknown> {
  return {
    networkId: 258,
    networkName: "dev",
    committee: { members: [KEY], threshold: 1 },
    outputs: [
      { address: ADDR1, amount: "1000" },
      { address: ADDR2, amount: "18446744073709550615" },
    ],
    milestoneIntervalMs: 250,
    baseDifficulty: 10,
  };
}

const withField = (key: string, value: unknown) => ({ ...base(), [key]: value });
const withOutput = (o: unknown) => withField("outputs", [o]);
const withCommittee = (members: unknown, threshold: unknown) => withField("committee", { members, threshold });
const keys = (n: number) => Array.from({ length: n }, (_, i) => (i + 1).toString(16).padStart(64, "0"));

describe("parseGenesis", () => {
  test("accepts a valid file and normalizes hex to lowercase", () => {
    const g = parseGenesis(JSON.stringify(base()));
    expect(g).toEqual({ ...base(), outputs: [{ address: ADDR1, amount: "1000" }, { address: "ab".repeat(32), amount: "18446744073709550615" }] });
    expect(genesisOutputs(g).map((o) => o.amount)).toEqual([1000n, 18446744073709550615n]);
  });

  test("a committee of n with n/2 < k <= n; a file of before protocol 2 naming one coordinator key is a committee of 1", () => {
    for (const [n, k] of [[1, 1], [2, 2], [3, 2], [4, 3], [4, 4], [7, 5], [16, 9]]) {
      expect(validateGenesis(withCommittee(keys(n), k)).committee).toEqual({ members: keys(n), threshold: k });
    }
    expect([1, 2, 3, 4, 7, 10].map(defaultThreshold)).toEqual([1, 2, 3, 3, 5, 7]);
    const { committee: _, ...rest } = base();
    expect(validateGenesis({ ...rest, coordinatorPublicKeys: [KEY.toUpperCase()] })).toEqual(validateGenesis(base()));
    // Both fields: the old one is unknown to this version.
    expect(codeOf(() => validateGenesis({ ...base(), coordinatorPublicKeys: [KEY] }))).toBe(E.GENESIS_UNKNOWN_FIELD);
  });

  test("supply may reach exactly 2^64 - 1 but not pass it", () => {
    const ok = withField("outputs", [
      { address: ADDR1, amount: (U64_MAX - 5n).toString() },
      { address: ADDR2, amount: "5" },
    ]);
    expect(() => validateGenesis(ok)).not.toThrow();
    const over = withField("outputs", [
      { address: ADDR1, amount: (U64_MAX - 5n).toString() },
      { address: ADDR2, amount: "6" },
    ]);
    expect(codeOf(() => validateGenesis(over))).toBe(E.GENESIS_SUPPLY_OVERFLOW);
  });

  const bad: [string, unknown, string][] = [
    ["an array", [], E.GENESIS_NOT_OBJECT],
    ["null", null, E.GENESIS_NOT_OBJECT],
    ["a string", "genesis", E.GENESIS_NOT_OBJECT],
    ["an unknown field", withField("extra", 1), E.GENESIS_UNKNOWN_FIELD],
    ["a missing field", (({ baseDifficulty: _, ...rest }) => rest)(base()), E.GENESIS_MISSING_FIELD],
    ["networkId as a string", withField("networkId", "1"), E.GENESIS_NETWORK_ID],
    ["networkId negative", withField("networkId", -1), E.GENESIS_NETWORK_ID],
    ["networkId past u32", withField("networkId", 2 ** 32), E.GENESIS_NETWORK_ID],
    ["networkId fractional", withField("networkId", 1.5), E.GENESIS_NETWORK_ID],
    ["networkName empty", withField("networkName", ""), E.GENESIS_NETWORK_NAME],
    ["networkName with a newline", withField("networkName", "a\nb"), E.GENESIS_NETWORK_NAME],
    ["networkName too long", withField("networkName", "x".repeat(65)), E.GENESIS_NETWORK_NAME],
    ["committee not an object", withField("committee", [KEY]), E.GENESIS_COMMITTEE],
    ["committee with an unknown field", withField("committee", { members: [KEY], threshold: 1, quorum: 1 }), E.GENESIS_COMMITTEE],
    ["members not an array", withCommittee(KEY, 1), E.GENESIS_COMMITTEE],
    ["no members", withCommittee([], 1), E.GENESIS_COMMITTEE],
    ["17 members", withCommittee(keys(17), 12), E.GENESIS_COMMITTEE],
    ["a short member key", withCommittee(["c0".repeat(31)], 1), E.GENESIS_COMMITTEE_MEMBER],
    ["a 0x-prefixed member key", withCommittee(["0x" + "c0".repeat(31)], 1), E.GENESIS_COMMITTEE_MEMBER],
    ["a duplicate member (case differs)", withCommittee([KEY, KEY.toUpperCase()], 2), E.GENESIS_COMMITTEE_DUPLICATE],
    ["no threshold", withField("committee", { members: [KEY] }), E.GENESIS_COMMITTEE_THRESHOLD],
    ["threshold 0", withCommittee([KEY], 0), E.GENESIS_COMMITTEE_THRESHOLD],
    ["threshold above n", withCommittee(keys(4), 5), E.GENESIS_COMMITTEE_THRESHOLD],
    ["threshold n/2 (two quorums need not meet)", withCommittee(keys(4), 2), E.GENESIS_COMMITTEE_THRESHOLD],
    ["threshold as a string", withCommittee(keys(4), "3"), E.GENESIS_COMMITTEE_THRESHOLD],
    ["an old file naming two coordinator keys", (({ committee: _, ...rest }) => ({ ...rest, coordinatorPublicKeys: keys(2) }))(base()), E.GENESIS_COMMITTEE],
    ["outputs not an array", withField("outputs", {}), E.GENESIS_OUTPUTS],
    ["no outputs", withField("outputs", []), E.GENESIS_OUTPUTS],
    ["129 outputs", withField("outputs", Array.from({ length: 129 }, () => ({ address: ADDR1, amount: "1" }))), E.GENESIS_OUTPUTS],
    ["an output that is not an object", withOutput([ADDR1, "1"]), E.GENESIS_NOT_OBJECT],
    ["an output with an extra field", withOutput({ address: ADDR1, amount: "1", memo: "x" }), E.GENESIS_UNKNOWN_FIELD],
    ["an output without amount", withOutput({ address: ADDR1 }), E.GENESIS_MISSING_FIELD],
    ["an address of 31 bytes", withOutput({ address: "11".repeat(31), amount: "1" }), E.GENESIS_OUTPUT_ADDRESS],
    ["an address with non-hex", withOutput({ address: "1g".repeat(32), amount: "1" }), E.GENESIS_OUTPUT_ADDRESS],
    ["an amount as a number", withOutput({ address: ADDR1, amount: 1000 }), E.GENESIS_OUTPUT_AMOUNT],
    ["a zero amount", withOutput({ address: ADDR1, amount: "0" }), E.GENESIS_OUTPUT_AMOUNT],
    ["an amount with a leading zero", withOutput({ address: ADDR1, amount: "0100" }), E.GENESIS_OUTPUT_AMOUNT],
    ["a negative amount", withOutput({ address: ADDR1, amount: "-1" }), E.GENESIS_OUTPUT_AMOUNT],
    ["a fractional amount", withOutput({ address: ADDR1, amount: "1.5" }), E.GENESIS_OUTPUT_AMOUNT],
    ["an exponent amount", withOutput({ address: ADDR1, amount: "1e3" }), E.GENESIS_OUTPUT_AMOUNT],
    ["an amount of 2^64", withOutput({ address: ADDR1, amount: (1n << 64n).toString() }), E.GENESIS_OUTPUT_AMOUNT],
    ["an amount of 30 digits", withOutput({ address: ADDR1, amount: "9".repeat(30) }), E.GENESIS_OUTPUT_AMOUNT],
    ["milestone interval 0", withField("milestoneIntervalMs", 0), E.GENESIS_MILESTONE_INTERVAL],
    ["milestone interval of a day", withField("milestoneIntervalMs", 86_400_000), E.GENESIS_MILESTONE_INTERVAL],
    ["difficulty 64", withField("baseDifficulty", 64), E.GENESIS_BASE_DIFFICULTY],
    ["difficulty as a string", withField("baseDifficulty", "8"), E.GENESIS_BASE_DIFFICULTY],
  ];

  test.each(bad)("rejects %s", (_name, value, code) => {
    expect(codeOf(() => validateGenesis(value))).toBe(code);
    expect(codeOf(() => parseGenesis(JSON.stringify(value)))).toBe(code);
  });

  test("rejects text that is not JSON, or too large", () => {
    expect(codeOf(() => parseGenesis("{ networkId: 1 }"))).toBe(E.GENESIS_JSON);
    expect(codeOf(() => parseGenesis(""))).toBe(E.GENESIS_JSON);
    expect(codeOf(() => parseGenesis(1 as unknown as string))).toBe(E.GENESIS_JSON);
    expect(codeOf(() => parseGenesis(" ".repeat(MAX_GENESIS_BYTES + 1)))).toBe(E.GENESIS_TOO_LARGE);
  });
});

describe("genesis id and state hash", () => {
  const g: Genesis = parseGenesis(JSON.stringify(base()));
  const H = (bytes: number[]) => toHex(nobleBlake2b(Uint8Array.from(bytes), { dkLen: 32 }));
  // Built by hand: u32le 258 = 02 01 00 00; u64le 1000 = e8 03 00..; u64le (2^64 - 1001).
  const outputBytes = [...Array(32).fill(0x11), 0xe8, 0x03, 0, 0, 0, 0, 0, 0, ...Array(32).fill(0xab), 0x17, 0xfc, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

  test("canonical output bytes", () => {
    expect(Array.from(encodeGenesisOutputs(g))).toEqual(outputBytes);
  });

  test("state hash = H(u32le networkId || outputs)", () => {
    expect(toHex(genesisStateHash(g))).toBe(H([2, 1, 0, 0, ...outputBytes]));
  });

  test('transaction id = H("tangle-genesis" || u32le networkId || outputs)', () => {
    const tag = Array.from(Buffer.from("tangle-genesis", "ascii"));
    expect(toHex(genesisTransactionId(g))).toBe(H([...tag, 2, 1, 0, 0, ...outputBytes]));
  });

  test("both depend on the network id and every output", () => {
    const other = { ...g, networkId: 259 };
    expect(toHex(genesisTransactionId(other))).not.toBe(toHex(genesisTransactionId(g)));
    expect(toHex(genesisStateHash(other))).not.toBe(toHex(genesisStateHash(g)));
    const swapped = { ...g, outputs: [...g.outputs].reverse() };
    expect(toHex(genesisStateHash(swapped))).not.toBe(toHex(genesisStateHash(g)));
  });
});
