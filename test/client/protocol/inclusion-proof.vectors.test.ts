/**
 * Known-answer vectors of inclusion proofs (test/vectors/inclusion-proof.json), written by the
 * independent Python writer (test/vectors/tools/gen_inclusion_proof_vectors.py, from docs/proofs.md):
 * our readers take the writer's JSON and byte forms to the same proof, our encoders give back its
 * bytes exactly, our verifier accepts every valid proof and answers each tampered one with the
 * writer's code; the node's audit paths are the writer's, and lead to the node's merkle root for
 * every leaf of every tree size up to 70.
 */
import vectors from "../../vectors/inclusion-proof.json";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import {
  decodeInclusionProof,
  encodeInclusionProof,
  inclusionProofFromJson,
  inclusionProofToJson,
  merkleAuditPath,
  ProofTrustRoot,
  rootFromAuditPath,
  verifyInclusionProof,
  verifyInclusionProofAny,
} from "../../../client/protocol/inclusion-proof";
import { merkleRoot } from "../../../node/ledger/merkle";
import { blake2b256 } from "../../../core-wasm/src/blake2b";

const genesis: ProofTrustRoot = vectors.genesis;
const trustOf = (name: string | undefined): ProofTrustRoot => (name === "otherGenesis" ? vectors.otherGenesis : genesis);

describe("valid proofs", () => {
  test.each(vectors.valid.map((v) => [v.name, v] as const))("%s: both forms read to one proof, encode back byte for byte, and verify", (_name, v) => {
    const fromJson = inclusionProofFromJson(v.json);
    const fromBytes = decodeInclusionProof(fromHex(v.binaryHex));
    if (!fromJson.ok) throw new Error(`${fromJson.code}: ${fromJson.message}`);
    if (!fromBytes.ok) throw new Error(`${fromBytes.code}: ${fromBytes.message}`);
    expect(fromBytes.value).toEqual(fromJson.value);
    expect(toHex(encodeInclusionProof(fromJson.value))).toBe(v.binaryHex);
    expect(inclusionProofToJson(fromBytes.value)).toEqual(v.json);
    const verdict = verifyInclusionProof(fromJson.value, genesis);
    if (!verdict.ok) throw new Error(`${verdict.code}: ${verdict.message}`);
    expect(verdict.transactionId).toBe(v.json.transactionId);
    expect(verdict.milestoneIndex).toBe(v.json.milestone.index);
    expect(verdict.milestoneId).toBe(v.json.milestone.id);
    expect(verdict.ledgerEffect).toBe(v.json.ledgerEffect);
    expect(verdict.conflict).toBe(v.json.conflict);
    expect(verdict.committeeChanges).toBe(v.json.committeeChanges.length);
    expect(verdict.signers).toHaveLength(2);
  });

  test("the writer's tangle: the transfer that spent the output first applied, the second conflicting; milestone 3 needed the change", () => {
    const byName = Object.fromEntries(vectors.valid.map((v) => [v.name, v.json]));
    expect([byName["applied-transfer"].ledgerEffect, byName["conflicting-transfer"].conflict]).toEqual(["applied", "INPUT_SPENT"]);
    expect(byName["milestone-itself"].path).toBeNull();
    expect(byName["after-committee-change"].committeeChanges).toHaveLength(1);
  });
});

describe("tampered proofs", () => {
  test.each(vectors.tampered.map((v) => [v.name, v] as const))("%s", (_name, v) => {
    const trust = trustOf(v.verifyWith);
    const j = verifyInclusionProofAny(v.json, trust);
    expect(j.ok ? "ok" : j.code).toBe(v.expect);
    if (v.binaryHex !== null) {
      const b = verifyInclusionProofAny(fromHex(v.binaryHex), trust);
      expect(b.ok ? "ok" : b.code).toBe(v.expect);
    }
    if (!j.ok) expect(j.message.length).toBeGreaterThan(10);
  });

  test.each(vectors.binaryOnly.map((v) => [v.name, v] as const))("byte form: %s", (_name, v) => {
    const b = verifyInclusionProofAny(fromHex(v.binaryHex), genesis);
    expect(b.ok ? "ok" : b.code).toBe(v.expect);
  });
});

describe("audit paths", () => {
  test("the node's paths over the writer's milestones are the writer's", () => {
    for (const v of vectors.valid) {
      if (v.json.path === null) continue;
      const m = vectors.milestones.find((x) => x.index === v.json.milestone.index)!;
      const p = merkleAuditPath(m.includedHex.map((h) => fromHex(h)), v.json.path.leafIndex);
      expect({ leafIndex: p.leafIndex, treeSize: p.treeSize, siblings: p.siblings.map(toHex) }).toEqual(v.json.path);
      expect(toHex(rootFromAuditPath(fromHex(v.json.transactionId), p)!)).toBe(m.merkleRootHex);
    }
  });

  test("every leaf of every tree of 1..70 ids: the path leads to merkleRoot, and to nothing from another leaf or position", () => {
    const ids = Array.from({ length: 70 }, (_, i) => blake2b256(Uint8Array.of(i)));
    for (let n = 1; n <= 70; n++) {
      const leaves = ids.slice(0, n);
      const root = toHex(merkleRoot(leaves));
      for (let m = 0; m < n; m++) {
        const p = merkleAuditPath(leaves, m);
        expect(toHex(rootFromAuditPath(leaves[m], p)!)).toBe(root);
        if (n > 1) {
          const other = rootFromAuditPath(leaves[(m + 1) % n], p);
          expect(other === null ? null : toHex(other)).not.toBe(root);
          const moved = rootFromAuditPath(leaves[m], { ...p, leafIndex: (m + 1) % n });
          expect(moved === null ? null : toHex(moved)).not.toBe(root);
        }
      }
    }
  });
});
