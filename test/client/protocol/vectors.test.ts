/**
 * The protocol vectors in test/vectors/protocol.json come from an independent Python implementation
 * of docs/protocol.md (test/vectors/tools/gen_protocol_vectors.py). Our codec must read them, give
 * the fields the generator used, and reproduce every derived value.
 */
import vectors from "../../vectors/protocol.json";
import { decodeTransaction, encodeEssence, encodeTransaction, powRoot, signingHash, transactionId } from "../../../client/protocol/codec";
import { keyPairFromSeed, signEssence, addressOf } from "../../../client/protocol/keys";
import { milestoneSigningHash, signMilestone } from "../../../client/protocol/build";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { powWork, validatePow } from "../../../core-wasm/src/pow";
import { blake2b256 } from "../../../core-wasm/src/blake2b";
import { verifyEd25519 } from "../../../node/crypto/ed25519";

const utf8 = (s: string) => new TextEncoder().encode(s);

describe.each(vectors.vectors.map((v) => [v.name, v] as const))("vector %s", (_name, v) => {
  const bytes = fromHex(v.transactionHex);
  const decoded = decodeTransaction(bytes);

  test("decodes, and re-encodes to the same bytes", () => {
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(toHex(encodeTransaction(decoded.value.tx))).toBe(v.transactionHex);
    expect(toHex(encodeEssence(decoded.value.tx))).toBe(v.essenceHex);
    expect(decoded.value.tx.networkId).toBe(v.networkId);
    expect(decoded.value.tx.timestamp).toBe(v.timestamp);
    expect(decoded.value.tx.parents.map(toHex)).toEqual(v.parentsHex);
    expect(decoded.value.tx.nonce).toBe(BigInt(v.nonce));
  });

  test("id, PoW root, signing hash and work", () => {
    expect(toHex(transactionId(bytes))).toBe(v.idHex);
    expect(toHex(powRoot(bytes))).toBe(v.powRootHex);
    expect(toHex(signingHash(fromHex(v.essenceHex)))).toBe(v.signingHashHex);
    expect(powWork(fromHex(v.powRootHex), BigInt(v.nonce)).toString(16).padStart(16, "0")).toBe(v.workHex);
    expect(validatePow(fromHex(v.powRootHex), BigInt(v.nonce), v.difficulty)).toBe(true);
  });

  test("keys and signature", () => {
    const kp = keyPairFromSeed(fromHex(v.seedHex));
    expect(toHex(kp.publicKey)).toBe(v.issuerHex);
    expect(toHex(signEssence(fromHex(v.essenceHex), kp.secretKey))).toBe(v.signatureHex);
    expect(verifyEd25519(fromHex(v.signingHashHex), fromHex(v.signatureHex), kp.publicKey)).toBe(true);
  });
});

test("the payload fields are the ones the generator wrote", () => {
  const get = (name: string) => {
    const r = decodeTransaction(fromHex(vectors.vectors.find((v) => v.name === name)!.transactionHex));
    if (!r.ok) throw new Error(r.code);
    return r.value.tx.payload;
  };
  const t = get("transfer");
  expect(t.type).toBe("transfer");
  if (t.type === "transfer") {
    expect(t.inputs.map((i) => [toHex(i.txId), i.index])).toEqual([[toHex(blake2b256(utf8("genesis"))), 0]]);
    expect(t.outputs.map((o) => o.amount)).toEqual([600n, 400n]);
    expect(toHex(t.outputs[0].address)).toBe(toHex(addressOf(keyPairFromSeed(new Uint8Array(32).fill(7)).publicKey)));
  }
  const d = get("data");
  expect(d).toMatchObject({ type: "data", sequence: 7, contentType: "application/msgpack" });
  if (d.type === "data") {
    expect(toHex(d.streamId)).toBe(toHex(blake2b256(utf8("sensor-42"))));
    expect(Array.from(d.data)).toEqual([0x82, 0xa1, 0x74, 0x15, 0xa1, 0x68, 0x37]);
  }
  expect(get("milestone")).toMatchObject({ type: "milestone", index: 12, timestamp: 1763800000250 });
  const c = get("checkpoint");
  expect(c).toEqual({ type: "checkpoint", milestoneIndex: 12 });
});

describe("milestone v2: the members' signatures over the milestone essence", () => {
  const committee = [0xc0, 0xc1, 0xc2, 0xc3].map((b) => keyPairFromSeed(new Uint8Array(32).fill(b)));
  const ms = vectors.vectors.filter((v) => v.name.startsWith("milestone"));

  test.each(ms.map((v) => [v.name, v] as const))("%s: our milestone signing hash is the writer's, and every signature verifies and is the one we make", (_name, v) => {
    const r = decodeTransaction(fromHex(v.transactionHex));
    if (!r.ok) throw new Error(r.code);
    const p = r.value.tx.payload;
    if (p.type !== "milestone") throw new Error("not a milestone");
    const { signatures, ...fields } = p;
    const hash = milestoneSigningHash(v.networkId, r.value.tx.parents, fields);
    expect(toHex(hash)).toBe(v.milestoneSigningHashHex);
    // The essence binds the parents: other parents, another hash.
    expect(toHex(milestoneSigningHash(v.networkId, r.value.tx.parents.slice(1).concat([new Uint8Array(32).fill(0xff)]), fields))).not.toBe(v.milestoneSigningHashHex);
    expect(signatures.map((s) => ({ publicKeyHex: toHex(s.publicKey), signatureHex: toHex(s.signature) }))).toEqual(v.milestoneSignatures);
    for (const s of signatures) {
      expect(verifyEd25519(hash, s.signature, s.publicKey)).toBe(true);
      const member = committee.find((k) => toHex(k.publicKey) === toHex(s.publicKey))!;
      expect(toHex(signMilestone(v.networkId, r.value.tx.parents, fields, member.publicKey, member.secretKey).signature)).toBe(toHex(s.signature));
    }
  });

  test("one signature of member 1; three of members 2-4, sorted by key; the committee change's fields", () => {
    const payload = (name: string) => {
      const r = decodeTransaction(fromHex(vectors.vectors.find((v) => v.name === name)!.transactionHex));
      if (!r.ok || r.value.tx.payload.type !== "milestone") throw new Error(name);
      return r.value.tx.payload;
    };
    const keys = (name: string) => payload(name).signatures.map((s) => toHex(s.publicKey));
    expect(keys("milestone")).toEqual([toHex(committee[0].publicKey)]);
    expect(keys("milestone-3of4")).toEqual(committee.slice(1).map((k) => toHex(k.publicKey)).sort());
    const change = payload("milestone-committee-change");
    const v = vectors.vectors.find((x) => x.name === "milestone-committee-change")!;
    expect(change.committeeChange && { effectiveIndex: change.committeeChange.effectiveIndex, threshold: change.committeeChange.threshold, membersHex: change.committeeChange.members.map(toHex) }).toEqual(v.committeeChange);
    expect(payload("milestone").committeeChange).toBeUndefined();
    expect(toHex(payload("milestone").previousMilestoneId)).toBe(toHex(blake2b256(utf8("milestone-11"))));
    expect(toHex(payload("milestone").ledgerRoot)).toBe(toHex(blake2b256(utf8("ledger"))));
  });
});

describe("docs/protocol.md", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const doc: string = require("node:fs").readFileSync(require("node:path").join(__dirname, "..", "..", "..", "docs", "protocol.md"), "utf8");
  const L = require("../../../client/protocol/limits") as typeof import("../../../client/protocol/limits");
  const E = require("../../../client/protocol/errors").ProtocolErrorCode as Record<string, string>;

  test("carries every vector's transaction bytes", () => {
    const flat = doc.replace(/\s+/g, "");
    for (const v of vectors.vectors) expect(flat).toContain(v.transactionHex);
  });

  test("states the limits that the code enforces", () => {
    expect(doc).toContain(`| parents | ${L.MIN_PARENTS}..${L.MAX_PARENTS} |`);
    expect(doc).toContain(`| transaction size | ≤ ${L.MAX_TRANSACTION_BYTES} bytes |`);
    expect(doc).toContain(`| transfer inputs | 1..${L.MAX_INPUTS} |`);
    expect(doc).toContain(`| transfer outputs | 1..${L.MAX_OUTPUTS} |`);
    expect(doc).toContain(`| data bytes | ≤ ${L.MAX_DATA_BYTES} |`);
    expect(doc).toContain(`| content type | 1..${L.MAX_CONTENT_TYPE_BYTES} printable ASCII characters |`);
  });

  test("lists every error code", () => {
    for (const code of Object.values(E)) expect(doc).toContain(`\`${code}\``);
  });
});
