/**
 * Stateless validation (node/validation/): Ed25519 verdicts, the size-dependent difficulty, and
 * `validateTransaction`, the one entry point the node also calls: each stage's code, the stages'
 * documented order (the first failing one decides; docs/protocol.md lists the same order), the
 * verifier it is given, and the id and essence hash computed once.
 */
import { randomBytes } from "node:crypto";
import nacl from "tweetnacl";
import { attach, signTransaction, stampSync } from "../../client/protocol/build";
import { decodeTransaction, Essence, setNonce, signingHash } from "../../client/protocol/codec";
import { ProtocolErrorCode as E } from "../../client/protocol/errors";
import { keyPairFromSeed, verifyEssenceNacl } from "../../client/protocol/keys";
import { toHex } from "../../client/protocol/bytes";
import { verifyEd25519 } from "../../node/crypto/ed25519";
import * as fs from "node:fs";
import * as path from "node:path";
import { hasEnoughWork, requiredDifficulty, validateTransaction, ValidationParams, VALIDATION_STAGES } from "../../node/validation/pipeline";
import { transactionId } from "../../client/protocol/codec";
import vectors from "../vectors/ed25519-rfc8032.json";
import { PROTOCOL_VERSION } from "../../client/protocol/limits";
import type { MilestonePayload } from "../../client/protocol/payloads";

const h = (s: string) => Uint8Array.from(Buffer.from(s, "hex"));
const NOW = 1_763_800_000_000;
const coord = keyPairFromSeed(new Uint8Array(32).fill(9));
const user = keyPairFromSeed(new Uint8Array(32).fill(1));
const params: ValidationParams = {
  networkId: 7,
  baseDifficulty: 6,
  maxPastMs: 600_000,
  maxFutureMs: 30_000,
  coordinatorKeys: new Set([toHex(coord.publicKey)]),
};
const parents = () => [randomBytes(32), randomBytes(32)];
/** A milestone v2 payload (its committee signature is the node's later check, not a stateless stage's). */
const msPayload = (): MilestonePayload => ({
  type: "milestone",
  index: 1,
  timestamp: NOW,
  previousMilestoneId: new Uint8Array(32),
  confirmedMerkleRoot: new Uint8Array(32),
  ledgerStateHash: new Uint8Array(32),
  ledgerRoot: new Uint8Array(32),
  signatures: [{ publicKey: coord.publicKey, signature: new Uint8Array(64) }],
});

function dataEssence(issuer = user.publicKey, size = 20, networkId = 7): Essence {
  return {
    version: PROTOCOL_VERSION,
    networkId,
    issuer,
    payload: { type: "data", streamId: new Uint8Array(32).fill(3), sequence: 0, prevRecordId: new Uint8Array(32), contentType: "application/msgpack", data: new Uint8Array(size) },
  };
}

function make(essence = dataEssence(), key = user.secretKey, ts = NOW, difficulty = params.baseDifficulty) {
  const bytes = attach(signTransaction(essence, key), parents(), ts);
  return stampSync(bytes, requiredDifficulty(bytes.length, difficulty));
}

describe("Ed25519: node:crypto and tweetnacl agree", () => {
  test.each(vectors.vectors)("RFC 8032 vector for public key $publicKey", (v) => {
    const kp = nacl.sign.keyPair.fromSeed(h(v.secretKey));
    expect(toHex(kp.publicKey)).toBe(v.publicKey);
    expect(toHex(nacl.sign.detached(h(v.message), kp.secretKey))).toBe(v.signature);
    expect(verifyEd25519(h(v.message), h(v.signature), h(v.publicKey))).toBe(true);
    expect(nacl.sign.detached.verify(h(v.message), h(v.signature), h(v.publicKey))).toBe(true);
    const bad = h(v.signature);
    bad[5] ^= 1;
    expect(verifyEd25519(h(v.message), bad, h(v.publicKey))).toBe(false);
    expect(nacl.sign.detached.verify(h(v.message), bad, h(v.publicKey))).toBe(false);
  });

  test("same verdicts on our transactions, intact and mutated", () => {
    for (let i = 0; i < 45; i++) {
      const kp = keyPairFromSeed(randomBytes(32));
      const { essenceBytes, signature } = signTransaction(dataEssence(kp.publicKey, i), kp.secretKey);
      const sig = Uint8Array.from(signature);
      const pk = Uint8Array.from(kp.publicKey);
      if (i % 3 === 1) sig[i % 64] ^= 1 << i % 8;
      if (i % 3 === 2) pk[i % 32] ^= 1;
      const a = verifyEd25519(signingHash(essenceBytes), sig, pk);
      const b = verifyEssenceNacl(essenceBytes, sig, pk);
      expect(a).toBe(b);
      expect(a).toBe(i % 3 === 0);
    }
  });

  test("malformed keys and signatures verify false instead of throwing", () => {
    expect(verifyEd25519(new Uint8Array(1), new Uint8Array(64), new Uint8Array(31))).toBe(false);
    expect(verifyEd25519(new Uint8Array(1), new Uint8Array(63), new Uint8Array(32))).toBe(false);
    expect(verifyEd25519(new Uint8Array(1), new Uint8Array(64).fill(0xff), new Uint8Array(32).fill(0xff))).toBe(false);
  });
});

describe("difficulty grows with size", () => {
  test("base up to 512 bytes, one bit per doubling beyond", () => {
    expect(requiredDifficulty(1, 10)).toBe(10);
    expect(requiredDifficulty(512, 10)).toBe(10);
    expect(requiredDifficulty(513, 10)).toBe(11);
    expect(requiredDifficulty(1024, 10)).toBe(11);
    expect(requiredDifficulty(1025, 10)).toBe(12);
    expect(requiredDifficulty(32 * 1024, 10)).toBe(16);
    expect(requiredDifficulty(100, 10, 3)).toBe(13);
    expect(requiredDifficulty(100, 62, 5)).toBe(63);
  });
});

describe("validation pipeline", () => {
  test("a well-formed, stamped, signed transaction passes and gets its id", async () => {
    const bytes = make();
    const v = await validateTransaction(bytes, params, NOW);
    expect(v.ok).toBe(true);
    if (v.ok) {
      expect(v.value.idHex).toHaveLength(64);
      expect(v.value.difficulty).toBe(6);
    }
  });

  const expectCode = async (bytes: unknown, code: string, now = NOW, extra?: number) => {
    const v = await validateTransaction(bytes, params, now, { extraDifficulty: extra });
    expect(v.ok ? "ok" : v.code).toBe(code);
  };

  test("each step rejects with its own code", async () => {
    await expectCode(new Uint8Array([1, 2, 3]), E.TRUNCATED);
    await expectCode(make(dataEssence(user.publicKey, 20, 8)), E.WRONG_NETWORK);
    await expectCode(make(undefined, undefined, NOW - 600_001), E.TIMESTAMP_TOO_OLD);
    await expectCode(make(undefined, undefined, NOW + 30_001), E.TIMESTAMP_IN_FUTURE);
    // Signed by someone else than the issuer.
    await expectCode(make(dataEssence(user.publicKey), coord.secretKey), E.BAD_SIGNATURE);
    // A milestone from a non-coordinator key, then from the coordinator.
    const ms: Essence = {
      version: PROTOCOL_VERSION,
      networkId: 7,
      issuer: user.publicKey,
      payload: msPayload(),
    };
    await expectCode(make(ms), E.NOT_COORDINATOR);
    expect((await validateTransaction(make({ ...ms, issuer: coord.publicKey }, coord.secretKey), params, NOW)).ok).toBe(true);
  });

  test("proof of work below the size-dependent difficulty is refused", async () => {
    // A large record needs more bits than the base: stamping at the base alone is not enough
    // (searching from a nonce where base work holds but the size-adjusted work does not).
    const bytes = attach(signTransaction(dataEssence(user.publicKey, 3000), user.secretKey), parents(), NOW);
    const need = requiredDifficulty(bytes.length, params.baseDifficulty);
    expect(need).toBe(9);
    let n = 0n;
    for (;;) {
      stampSync(bytes, params.baseDifficulty, n);
      const nonce = new DataView(bytes.buffer).getBigUint64(bytes.length - 8, true);
      if (!hasEnoughWork(bytes, nonce, need)) break;
      n = nonce + 1n;
    }
    await expectCode(bytes, E.POW_INSUFFICIENT);
    stampSync(bytes, need);
    expect((await validateTransaction(bytes, params, NOW)).ok).toBe(true);
    // Adaptive extra bits apply on top (a nonce stamped for 6 bits meets 30 with odds of 2^-24).
    const small = make();
    expect((await validateTransaction(small, params, NOW, { extraDifficulty: 0 })).ok).toBe(true);
    await expectCode(small, E.POW_INSUFFICIENT, NOW, 24);
  });

  test("tampering with the signed part is always caught; with the attachment, the stamp stops counting", async () => {
    // Essence and signature: the signature step rejects every flip, whatever the PoW says.
    const bytes = make();
    const d = decodeTransaction(bytes);
    if (!d.ok) throw new Error(d.code);
    const signedEnd = d.value.essenceLength + 64;
    for (let i = 0; i < signedEnd; i++) {
      const b = Uint8Array.from(bytes);
      b[i] ^= 0x40;
      expect((await validateTransaction(b, params, NOW)).ok).toBe(false);
    }
    // Timestamp, parents and nonce are not signed: a flip changes the PoW root or the nonce, so
    // the work no longer meets the difficulty, except by chance (2^-20 per flip at 20 bits).
    const strict = { ...params, baseDifficulty: 20 };
    const stamped = stampSync(Uint8Array.from(bytes), 20);
    expect((await validateTransaction(stamped, strict, NOW)).ok).toBe(true);
    for (let i = signedEnd; i < stamped.length; i++) {
      const b = Uint8Array.from(stamped);
      b[i] ^= 0x40;
      expect((await validateTransaction(b, strict, NOW)).ok).toBe(false);
    }
  });

  test("reattaching (new parents, new timestamp, new PoW) keeps the signature valid", async () => {
    const signed = signTransaction(dataEssence(), user.secretKey);
    const a = stampSync(attach(signed, parents(), NOW), 6);
    const b = stampSync(attach(signed, parents(), NOW + 5000), 6);
    expect(toHex(a)).not.toBe(toHex(b));
    expect((await validateTransaction(a, params, NOW)).ok).toBe(true);
    expect((await validateTransaction(b, params, NOW)).ok).toBe(true);
    // Without new work the reattached bytes fail the PoW check.
    const c = setNonce(attach(signed, parents(), NOW), 0n);
    const nonceOk = hasEnoughWork(c, 0n, 6);
    expect((await validateTransaction(c, params, NOW)).ok).toBe(nonceOk);
  });
});

/** `bytes` with a nonce that misses `difficulty` (the first such nonce from 0: deterministic). */
function withoutWork(bytes: Uint8Array, difficulty: number): Uint8Array {
  const b = Uint8Array.from(bytes);
  let n = 0n;
  while (hasEnoughWork(b, n, difficulty)) n++;
  return setNonce(b, n);
}

describe("validation stages run in the documented order", () => {
  const msEssence = (networkId: number): Essence => ({
    version: PROTOCOL_VERSION,
    networkId,
    issuer: user.publicKey,
    payload: msPayload(),
  });
  const code = async (bytes: Uint8Array, opts = {}) => {
    const v = await validateTransaction(bytes, params, NOW, opts);
    return v.ok ? "ok" : v.code;
  };

  test("with every later stage failing too, the earliest failing stage gives the code", async () => {
    // A milestone from a non-coordinator (6), signed by another key (5), without work (4),
    // too old (3), of another network (2); then each fault is removed in turn.
    const all = withoutWork(make(msEssence(8), coord.secretKey, NOW - 600_001), params.baseDifficulty);
    expect(await code(all)).toBe(E.WRONG_NETWORK);
    expect(await code(withoutWork(make(msEssence(7), coord.secretKey, NOW - 600_001), 6))).toBe(E.TIMESTAMP_TOO_OLD);
    expect(await code(withoutWork(make(msEssence(7), coord.secretKey), 6))).toBe(E.POW_INSUFFICIENT);
    expect(await code(make(msEssence(7), coord.secretKey))).toBe(E.BAD_SIGNATURE);
    expect(await code(make(msEssence(7), user.secretKey))).toBe(E.NOT_COORDINATOR);
    // Stage 1 before all of them: the same bytes cut short.
    expect(await code(all.subarray(0, all.length - 1))).toBe(E.TRUNCATED);
  });

  test("the signature is checked on the verifier given, once, over the essence hash, and never before the cheaper stages pass", async () => {
    const seen: string[] = [];
    const verify = async (m: Uint8Array, sig: Uint8Array, key: Uint8Array) => {
      seen.push(toHex(m));
      return verifyEd25519(m, sig, key);
    };
    const good = make();
    const d = decodeTransaction(good);
    if (!d.ok) throw new Error(d.code);
    const essenceHash = toHex(signingHash(good.subarray(0, d.value.essenceLength)));
    const v = await validateTransaction(good, params, NOW, { verify });
    expect(v.ok && toHex(v.value.essenceHash)).toBe(essenceHash);
    expect(seen).toEqual([essenceHash]);
    seen.length = 0;
    expect(await code(make(undefined, undefined, NOW + 30_001), { verify })).toBe(E.TIMESTAMP_IN_FUTURE);
    expect(await code(withoutWork(good, 6), { verify })).toBe(E.POW_INSUFFICIENT);
    expect(seen).toEqual([]);
    // An asynchronous verdict (the verify pool's) decides like a synchronous one.
    expect(await code(good, { verify: async () => false })).toBe(E.BAD_SIGNATURE);
    expect(await code(good, { verify: () => false })).toBe(E.BAD_SIGNATURE);
  });

  test("an id the caller computed is used as it is; otherwise the id is BLAKE2b-256 of the bytes", async () => {
    const good = make();
    const given = transactionId(good);
    const v = await validateTransaction(good, params, NOW, { id: given });
    expect(v.ok && v.value.id).toBe(given);
    const w = await validateTransaction(good, params, NOW);
    expect(w.ok && w.value.idHex).toBe(toHex(given));
  });

  test("docs/protocol.md lists the same stages, in the same order, with the same codes", () => {
    const doc = fs.readFileSync(path.join(__dirname, "../../docs/protocol.md"), "utf8");
    const section = doc.slice(doc.indexOf("## Validation, in order"));
    const rows = section.split("\n").filter((l) => /^\| [1-6]\. /.test(l));
    expect(rows.map((r) => [...r.matchAll(/`(ERR_[A-Z_]+)`/g)].map((m) => m[1]))).toEqual(VALIDATION_STAGES.map((st) => [...st.codes]));
    expect(VALIDATION_STAGES.flatMap((st) => st.codes).sort()).toEqual(Object.values(E).sort());
  });
});
