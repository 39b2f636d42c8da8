/**
 * Known-answer vectors of the ledger root (test/vectors/ledger-root.json), written by the
 * independent Python writer (test/vectors/tools/gen_ledger_root_vectors.py, from docs/ledger.md
 * alone): entry encodings, the root of a small ledger as LedgerState computes it (built whole, as
 * at restore, and one output at a time), its proofs byte for byte and in JSON, the client's
 * verdict on the writer's proofs, and the root after a milestone applied incrementally.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import vectors from "../../vectors/ledger-root.json";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import {
  decodeLedgerProof,
  encodeLedgerProof,
  LEDGER_EMPTY_HASH,
  ledgerLeafKey,
  ledgerProofFromJson,
  ledgerProofToJson,
  ledgerValueHash,
  outputEntryKey,
  outputEntryValue,
  verifyOutputAbsent,
  verifyOutputInLedger,
} from "../../../client/protocol/ledger-proof";
import { LedgerState } from "../../../node/ledger/ledger";
import { LedgerTree, outputTreeEntries, outputTreeKeys } from "../../../node/ledger/ledger-tree";

const outputs = vectors.outputs.map((o) => ({ txId: fromHex(o.txIdHex), index: o.index, address: fromHex(o.addressHex), amount: BigInt(o.amount) }));

test("entry keys, values, leaf keys and value hashes are the writer's", () => {
  vectors.outputs.forEach((v, i) => {
    const o = outputs[i];
    expect(toHex(outputEntryKey(o.txId, o.index))).toBe(v.entryKeyHex);
    expect(toHex(outputEntryValue(o.address, o.amount))).toBe(v.entryValueHex);
    expect(toHex(ledgerLeafKey(outputEntryKey(o.txId, o.index)))).toBe(v.leafKeyHex);
    expect(toHex(ledgerValueHash(outputEntryValue(o.address, o.amount)))).toBe(v.valueHashHex);
  });
  expect(toHex(LEDGER_EMPTY_HASH)).toBe(vectors.emptyRootHex);
  expect(toHex(new LedgerTree().root())).toBe(vectors.emptyRootHex);
});

test("the ledger's root is the writer's: restored whole, and inserted one output at a time", () => {
  const ledger = LedgerState.restore({ networkId: 1, ledgerIndex: 0, stateHash: new Uint8Array(32), unspent: outputs, spent: [] });
  expect(toHex(ledger.ledgerRoot())).toBe(vectors.rootHex);
  const tree = new LedgerTree();
  for (const e of outputTreeEntries(outputs)) tree.set(e.key, e.valueHash);
  expect(toHex(tree.root())).toBe(vectors.rootHex);
});

test("proofs are the writer's byte for byte and in JSON; the client accepts the writer's proofs", () => {
  const ledger = LedgerState.restore({ networkId: 1, ledgerIndex: 0, stateHash: new Uint8Array(32), unspent: outputs, spent: [] });
  const root = fromHex(vectors.rootHex);
  // The chain under the two outputs whose leaf keys share 12 bits: empty siblings in the proof.
  expect(vectors.proofs[0].json.siblings.filter((s) => s === null).length).toBeGreaterThanOrEqual(vectors.chainSharedBits - 1);
  for (const p of vectors.proofs) {
    const txId = fromHex(p.txIdHex);
    const mine = ledger.proveOutput(txId, p.index);
    expect(toHex(encodeLedgerProof(mine))).toBe(p.bytesHex);
    expect(ledgerProofToJson(mine)).toEqual(p.json);
    const decoded = decodeLedgerProof(fromHex(p.bytesHex));
    if (!decoded.ok) throw new Error(decoded.message);
    const fromJson = ledgerProofFromJson(p.json);
    expect(fromJson).toEqual(decoded);
    if (p.present) {
      const o = outputs.find((x) => toHex(x.txId) === p.txIdHex && x.index === p.index)!;
      expect(verifyOutputInLedger(root, o, decoded.value)).toBe(true);
      expect(verifyOutputAbsent(root, txId, p.index, decoded.value)).toBe(false);
    } else {
      expect(verifyOutputAbsent(root, txId, p.index, decoded.value)).toBe(true);
    }
  }
  expect(vectors.proofs.map((p) => p.json.leaf === null)).toContain(true);
  expect(vectors.proofs.filter((p) => !p.present).map((p) => p.json.leaf === null)).toEqual([true, false]);
});

test("the root after the writer's milestone (two outputs spent, two created), applied incrementally", () => {
  const tree = LedgerTree.build(outputTreeEntries(outputs));
  const spent = vectors.milestone.spent.map((s) => ({ txId: fromHex(s.txIdHex), index: s.index }));
  const created = vectors.milestone.created.map((o) => ({ txId: fromHex(o.txIdHex), index: o.index, address: fromHex(o.addressHex), amount: BigInt(o.amount) }));
  for (const k of outputTreeKeys(spent)) expect(tree.delete(k)).toBe(true);
  for (const e of outputTreeEntries(created)) expect(tree.set(e.key, e.valueHash)).toBe(true);
  expect(toHex(tree.root())).toBe(vectors.milestone.rootAfterHex);
});

test("docs/ledger.md carries the vectors' roots", () => {
  const doc = fs.readFileSync(path.join(__dirname, "..", "..", "..", "docs", "ledger.md"), "utf8");
  for (const h of [vectors.emptyRootHex, vectors.rootHex, vectors.milestone.rootAfterHex]) expect(doc).toContain(h);
});
