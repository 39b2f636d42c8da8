/**
 * The signature verify pool on worker threads (node/crypto/verify-pool.ts): verdicts right across
 * several batches and threads (expected verdicts follow from how each case was spoiled, checked
 * against tweetnacl), RFC 8032 vectors and malformed inputs, a worker dying mid-batch loses
 * nothing and a closed pool still answers, and a node verifying on a worker takes good
 * signatures and refuses bad ones with their code.
 */
import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import nacl from "tweetnacl";
import { attach, signTransaction, stampSync } from "../../client/protocol/build";
import { requiredDifficulty } from "../../node/validation/pipeline";
import { VerifyPool, BATCH_MAX } from "../../node/crypto/verify-pool";
import { TangleNode } from "../../node/tangle-node";
import { alice, cleanupDirs, dataPayload, testGenesis, tmpDir } from "./_helpers";
import vectors from "../vectors/ed25519-rfc8032.json";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";

afterAll(cleanupDirs);

const h = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));

/**
 * Signed 32-byte messages, some spoiled (the expected verdict follows from how each was made, and
 * a sample is checked against tweetnacl, an independent implementation).
 */
function cases(n: number) {
  const keys = Array.from({ length: 7 }, () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    return { privateKey, publicKey: Uint8Array.from(publicKey.export({ format: "der", type: "spki" }).subarray(12)) };
  });
  return Array.from({ length: n }, (_, i) => {
    const kp = keys[i % keys.length];
    const message = Uint8Array.from(randomBytes(32));
    const signature = Uint8Array.from(sign(null, message, kp.privateKey));
    const publicKey = Uint8Array.from(kp.publicKey);
    if (i % 4 === 1) signature[i % 64] ^= 1 << i % 8;
    if (i % 4 === 2) message[i % 32] ^= 1;
    if (i % 4 === 3 && i % 8 === 7) publicKey.fill(0xff); // not a point
    return { message, signature, publicKey, expected: i % 4 === 0 || (i % 4 === 3 && i % 8 !== 7) };
  });
}

test("the test cases' expected verdicts agree with tweetnacl", () => {
  for (const c of cases(24)) expect(nacl.sign.detached.verify(c.message, c.signature, c.publicKey)).toBe(c.expected);
});

test("verdicts are right across several batches and threads", async () => {
  const pool = new VerifyPool(2);
  try {
    const n = 3 * BATCH_MAX + 17;
    const all = cases(n);
    // Good: i % 4 == 0, and i % 8 == 3 (a key spoiled only when i % 8 == 7); hundreds of each.
    const good = Math.ceil(n / 4) + Math.floor((n + 4) / 8);
    expect(all.filter((c) => c.expected).length).toBe(good);
    expect(all.filter((c) => !c.expected).length).toBe(n - good);
    expect(Math.min(good, n - good)).toBeGreaterThan(100);
    const got = await Promise.all(all.map((c) => pool.verify(c.message, c.signature, c.publicKey)));
    expect(got).toEqual(all.map((c) => c.expected));
  } finally {
    await pool.close();
  }
});

test("RFC 8032 vectors and malformed inputs", async () => {
  const pool = new VerifyPool(1);
  try {
    for (const v of vectors.vectors) {
      expect(await pool.verify(h(v.message), h(v.signature), h(v.publicKey))).toBe(true);
      const bad = h(v.signature);
      bad[7] ^= 4;
      expect(await pool.verify(h(v.message), bad, h(v.publicKey))).toBe(false);
    }
    expect(await pool.verify(new Uint8Array(32), new Uint8Array(63), new Uint8Array(32))).toBe(false);
    expect(await pool.verify(new Uint8Array(32), new Uint8Array(64), new Uint8Array(31))).toBe(false);
    expect(await pool.verify(new Uint8Array(32), new Uint8Array(64).fill(0xff), new Uint8Array(32).fill(0xff))).toBe(false);
  } finally {
    await pool.close();
  }
});

test("a worker that dies mid-batch loses nothing; a fresh one takes over; a closed pool still answers", async () => {
  const pool = new VerifyPool(1);
  const first = cases(BATCH_MAX + 40);
  const pending = first.map((c) => pool.verify(c.message, c.signature, c.publicKey)); // one full batch is posted now
  await (pool as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots[0].worker.terminate();
  expect(await Promise.all(pending)).toEqual(first.map((c) => c.expected));
  const second = cases(50);
  expect(await Promise.all(second.map((c) => pool.verify(c.message, c.signature, c.publicKey)))).toEqual(second.map((c) => c.expected));
  await pool.close();
  const third = cases(8);
  expect(await Promise.all(third.map((c) => pool.verify(c.message, c.signature, c.publicKey)))).toEqual(third.map((c) => c.expected));
});

test("a node verifying on a worker thread takes good signatures and refuses bad ones with their code", async () => {
  const node = await TangleNode.open({ dataDir: tmpDir(), genesis: testGenesis(), verifyThreads: 1 });
  try {
    const make = (spoil: boolean) => {
      const signed = signTransaction({ version: PROTOCOL_VERSION, networkId: node.params.networkId, issuer: alice.publicKey, payload: dataPayload(randomBytes(32), 0) }, alice.secretKey);
      const signature = Uint8Array.from(signed.signature);
      if (spoil) signature[10] ^= 0x20;
      const bytes = attach({ ...signed, signature }, node.selectParents(2).map((p) => h(p)), node.now());
      return stampSync(bytes, requiredDifficulty(bytes.length, node.params.baseDifficulty));
    };
    const before = node.storedTransactions;
    const results = await Promise.allSettled([make(false), make(true), make(false)].map((b) => node.submit(b)));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: "ERR_TX_BAD_SIGNATURE" });
    expect(node.storedTransactions).toBe(before + 2);
  } finally {
    await node.close();
  }
});
