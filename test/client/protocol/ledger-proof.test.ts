/**
 * The client's ledger proofs (client/protocol/ledger-proof.ts): byte and JSON forms round-trip and
 * have one form each (the strict decoders refuse every other with ERR_LEDGER_PROOF_MALFORMED);
 * a tampered proof (any sibling, the leaf, the depth, the root, a leaf moved off the key's path)
 * never verifies; the entry encoding of an unspent output is the documented one.
 */
import { Code } from "../../../client/protocol/codes";
import { toHex } from "../../../client/protocol/bytes";
import {
  decodeLedgerProof,
  encodeLedgerProof,
  LEDGER_EMPTY_HASH,
  LedgerProof,
  ledgerProofFromJson,
  ledgerProofToJson,
  outputEntryKey,
  outputEntryValue,
  verifyLedgerProof,
} from "../../../client/protocol/ledger-proof";
import { LedgerTree } from "../../../node/ledger/ledger-tree";
import { seededRandom } from "../../../client/util/random";

const r = seededRandom(16);
const tree = new LedgerTree();
const present: Uint8Array[] = [];
for (let i = 0; i < 200; i++) {
  const k = r.bytes(32);
  present.push(k);
  tree.set(k, r.bytes(32));
}
const root = tree.root();

function absentProofs(): { key: Uint8Array; proof: LedgerProof }[] {
  const out: { key: Uint8Array; proof: LedgerProof }[] = [];
  let empty = false;
  let leaf = false;
  while (!(empty && leaf)) {
    const key = r.bytes(32);
    const proof = tree.prove(key);
    if (proof.leaf === null && !empty) {
      empty = true;
      out.push({ key, proof });
    } else if (proof.leaf !== null && !leaf) {
      leaf = true;
      out.push({ key, proof });
    }
  }
  return out;
}

const cases = [...present.slice(0, 20).map((key) => ({ key, proof: tree.prove(key) })), ...absentProofs()];

test("byte and JSON forms round-trip, and encode what the docs say", () => {
  for (const { key, proof } of cases) {
    const bytes = encodeLedgerProof(proof);
    const d = proof.siblings.length;
    const nonEmpty = proof.siblings.filter((s) => s !== null).length;
    expect(bytes.length).toBe(2 + (proof.leaf ? 64 : 0) + 2 + Math.ceil(d / 8) + 32 * nonEmpty);
    expect(bytes[0]).toBe(1);
    expect(bytes[1]).toBe(proof.leaf ? 1 : 0);
    const back = decodeLedgerProof(bytes);
    expect(back).toEqual({ ok: true, value: proof });
    const json = JSON.parse(JSON.stringify(ledgerProofToJson(proof)));
    expect(ledgerProofFromJson(json)).toEqual({ ok: true, value: proof });
    expect(verifyLedgerProof(root, key, proof).valid).toBe(true);
  }
  // The empty ledger: a proof of nothing, against the empty hash.
  const none = new LedgerTree().prove(new Uint8Array(32));
  expect(toHex(encodeLedgerProof(none))).toBe("01000000");
  expect(verifyLedgerProof(LEDGER_EMPTY_HASH, new Uint8Array(32), none)).toEqual({ valid: true, present: false });
});

test("a tampered proof never verifies", () => {
  for (const { key, proof } of cases) {
    const bad = (p: LedgerProof, k = key, rt = root) => expect(verifyLedgerProof(rt, k, p).valid).toBe(false);
    proof.siblings.forEach((s, i) => {
      const siblings = proof.siblings.slice();
      if (s === null) siblings[i] = new Uint8Array(32).fill(1);
      else {
        const t = s.slice();
        t[i % 32] ^= 0x01;
        siblings[i] = t;
      }
      bad({ ...proof, siblings });
      // Empty where it was not, or the reverse.
      if (s !== null) bad({ ...proof, siblings: proof.siblings.map((x, j) => (j === i ? null : x)) });
    });
    bad({ ...proof, siblings: proof.siblings.slice(1) });
    bad({ ...proof, siblings: [...proof.siblings, null] });
    if (proof.leaf) {
      const vh = proof.leaf.valueHash.slice();
      vh[0] ^= 0x80;
      bad({ ...proof, leaf: { ...proof.leaf, valueHash: vh } });
    }
    const rt = root.slice();
    rt[31] ^= 1;
    bad(proof, key, rt);
    // The proof of one key is no proof for another.
    const other = key.slice();
    other[0] ^= 0x80;
    bad(proof, other);
  }
  // A real leaf from elsewhere in the tree, offered as the end of an absent key's path: off the
  // key's path, refused even before hashing.
  const { key, proof } = cases.find((c) => c.proof.leaf === null)!;
  const elsewhere = tree.prove(present.find((k) => (k[0] >> 7) !== (key[0] >> 7))!);
  const v = verifyLedgerProof(root, key, { siblings: proof.siblings, leaf: elsewhere.leaf });
  expect(v).toEqual({ valid: false, reason: expect.stringMatching(/off the key's path/) });
});

test("the byte decoder refuses every other form with ERR_LEDGER_PROOF_MALFORMED", () => {
  const good = encodeLedgerProof(cases[0].proof);
  const d = cases[0].proof.siblings.length;
  const depthAt = 2 + 64;
  const variants: Uint8Array[] = [
    new Uint8Array(0),
    Uint8Array.of(1),
    Uint8Array.from([2, ...good.subarray(1)]), // unknown format
    Uint8Array.from([1, 2, ...good.subarray(2)]), // unknown end byte
    good.subarray(0, good.length - 1), // truncated sibling
    Uint8Array.from([...good, 0]), // trailing byte
    Uint8Array.of(1, 0, 1, 1, ...new Uint8Array(1)), // depth 257
    Uint8Array.of(1, 0, 1, 0, 0x40), // depth 1, bitmap bit past the depth
    Uint8Array.from([1, 0, 1, 0, 0x80, ...LEDGER_EMPTY_HASH]), // the empty hash written out
  ];
  expect(good[depthAt] | (good[depthAt + 1] << 8)).toBe(d);
  for (const v of variants) expect(decodeLedgerProof(v)).toMatchObject({ ok: false, code: Code.ERR_LEDGER_PROOF_MALFORMED });
  expect(decodeLedgerProof("01" as unknown)).toMatchObject({ ok: false, code: Code.ERR_LEDGER_PROOF_MALFORMED });
});

test("the JSON reader refuses every other form with ERR_LEDGER_PROOF_MALFORMED", () => {
  const good = ledgerProofToJson(cases[0].proof);
  const variants: unknown[] = [
    null,
    [],
    { ...good, extra: 1 },
    { siblings: good.siblings, leaf: good.leaf },
    { ...good, format: 2 },
    { ...good, siblings: "x" },
    { ...good, siblings: [good.siblings[0]!.toUpperCase()] },
    { ...good, siblings: [toHex(LEDGER_EMPTY_HASH)] },
    { ...good, siblings: new Array(257).fill(null) },
    { ...good, leaf: { key: good.leaf!.key } },
    { ...good, leaf: { key: good.leaf!.key, valueHash: "00" } },
  ];
  for (const v of variants) expect(ledgerProofFromJson(v)).toMatchObject({ ok: false, code: Code.ERR_LEDGER_PROOF_MALFORMED });
});

test("an unspent output's entry: key 0x01 || tx id || index, value address || u64le amount", () => {
  const txId = new Uint8Array(32).fill(0xab);
  const address = new Uint8Array(32).fill(0xcd);
  expect(toHex(outputEntryKey(txId, 5))).toBe("01" + "ab".repeat(32) + "05");
  expect(toHex(outputEntryValue(address, 0x0102030405060708n))).toBe("cd".repeat(32) + "0807060504030201");
  expect(() => outputEntryKey(txId, 256)).toThrow(/index must be an integer in \[0, 255\]/);
  expect(() => outputEntryValue(address, 1n << 64n)).toThrow(/amount must be a u64/);
});
