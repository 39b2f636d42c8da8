/**
 * The protocol vectors in test/vectors/protocol.json come from an independent Python implementation
 * of docs/protocol.md (test/vectors/tools/gen_protocol_vectors.py). Our codec must read them, give
 * the fields the generator used, and reproduce every derived value.
 */
import vectors from "../../vectors/protocol.json";
import { decodeTransaction, encodeEssence, encodeTransaction, powRoot, signingHash, transactionId } from "../../../client/protocol/codec";
import { keyPairFromSeed, signEssence, addressOf } from "../../../client/protocol/keys";
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
