/**
 * The transaction codec (client/protocol/codec.ts): round trips of every payload type with random
 * content; the essence is a prefix (signature, parents and nonce outside it); id, PoW root and nonce
 * placement (BLAKE2b checked against @noble/hashes); parent order. Strict decoding: every prefix is
 * refused as truncated and never throws, trailing bytes, unknown version and payload type, parent
 * count/order/duplicates, payload lengths, oversize input, every payload rule with its code; the
 * encoder refuses what the decoder would reject; seeded fuzz never throws and what is accepted
 * re-encodes identically.
 */
import { randomBytes } from "node:crypto";
import {
  decodeTransaction,
  encodeAttached,
  encodeEssence,
  encodeTransaction,
  Payload,
  powRoot,
  setNonce,
  sortParents,
  Transaction,
  transactionId,
} from "../../../client/protocol/codec";
import { ProtocolErrorCode as E } from "../../../client/protocol/errors";
import * as L from "../../../client/protocol/limits";
import { blake2b as nobleBlake2b } from "@noble/hashes/blake2b";
import { seededRandom } from "../../../client/util/random";
import { PROTOCOL_VERSION } from "../../../client/protocol/limits";

/** Seeded generator so failures reproduce. */
const rng = seededRandom;

function sampleTx(payload: Payload, seed = 1): Transaction {
  const r = rng(seed);
  const parents = sortParents(Array.from({ length: 2 + r.int(7) }, () => r.bytes(32)));
  return {
    version: PROTOCOL_VERSION,
    networkId: 0x01020304,
    issuer: r.bytes(32),
    payload,
    signature: r.bytes(64),
    timestamp: 1_763_000_000_000 + r.int(1e6),
    parents,
    nonce: 0x0102030405060708n,
  };
}

const transfer = (seed = 1): Payload => {
  const r = rng(seed + 100);
  return {
    type: "transfer",
    inputs: Array.from({ length: 1 + r.int(4) }, (_, i) => ({ txId: r.bytes(32), index: i })),
    outputs: Array.from({ length: 1 + r.int(4) }, () => ({ address: r.bytes(32), amount: BigInt(1 + r.int(1e9)) })),
  };
};
const data = (seed = 1, sequence = 3): Payload => {
  const r = rng(seed + 200);
  return {
    type: "data",
    streamId: r.bytes(32),
    sequence,
    prevRecordId: sequence === 0 ? new Uint8Array(32) : r.bytes(32),
    contentType: "application/msgpack",
    data: r.bytes(r.int(300)),
  };
};
/** A milestone v2 with 1..16 signatures sorted by key, a committee change in every third one, index 1 in every fifth. */
const milestone = (seed = 1): Payload => {
  const r = rng(seed + 300);
  const index = seed % 5 === 0 ? 1 : 2 + r.int(1e6);
  const key = () => r.bytes(32);
  const signers = Array.from({ length: 1 + r.int(16) }, key).sort((a, b) => Buffer.compare(a, b));
  const members = Array.from({ length: 1 + r.int(16) }, key);
  return {
    type: "milestone",
    index,
    timestamp: 1_763_000_000_000,
    previousMilestoneId: index === 1 ? new Uint8Array(32) : r.bytes(32),
    confirmedMerkleRoot: r.bytes(32),
    ledgerStateHash: r.bytes(32),
    ledgerRoot: r.bytes(32),
    ...(seed % 3 === 0 ? { committeeChange: { effectiveIndex: index + 1 + r.int(100), threshold: Math.floor(members.length / 2) + 1, members } } : {}),
    signatures: signers.map((publicKey) => ({ publicKey, signature: r.bytes(64) })),
  };
};
const checkpoint = (seed = 1): Payload => ({ type: "checkpoint", milestoneIndex: rng(seed + 400).int(1e6) });

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function expectCode(bytes: Uint8Array, code: string) {
  const r = decodeTransaction(bytes);
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.code).toBe(code);
}

describe("round trip", () => {
  test.each([
    ["transfer", transfer],
    ["data", data],
    ["milestone", milestone],
    ["checkpoint", checkpoint],
  ] as const)("%s: decode(encode(tx)) equals tx and re-encodes to the same bytes", (_n, make) => {
    for (let seed = 1; seed <= 50; seed++) {
      const tx = sampleTx(make(seed), seed);
      const bytes = encodeTransaction(tx);
      const r = decodeTransaction(bytes);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.value.tx).toEqual(tx);
      expect(hex(encodeTransaction(r.value.tx))).toBe(hex(bytes));
      expect(r.value.essenceLength).toBe(encodeEssence(tx).length);
    }
  });

  test("the essence is a prefix: signature, parents and nonce are outside it", () => {
    const tx = sampleTx(data(), 7);
    const bytes = encodeTransaction(tx);
    const essence = encodeEssence(tx);
    expect(hex(bytes.subarray(0, essence.length))).toBe(hex(essence));
    const other = encodeTransaction({ ...tx, parents: sortParents([randomBytes(32), randomBytes(32)]), nonce: 5n, timestamp: tx.timestamp + 1 });
    expect(hex(other.subarray(0, essence.length + 64))).toBe(hex(bytes.subarray(0, essence.length + 64)));
  });

  test("id, PoW root and nonce placement", () => {
    const bytes = encodeTransaction(sampleTx(transfer(), 3));
    expect(hex(transactionId(bytes))).toBe(hex(nobleBlake2b(bytes, { dkLen: 32 })));
    expect(hex(powRoot(bytes))).toBe(hex(nobleBlake2b(bytes.subarray(0, bytes.length - 8), { dkLen: 32 })));
    setNonce(bytes, 0xdeadbeefn);
    const r = decodeTransaction(bytes);
    expect(r.ok && r.value.tx.nonce).toBe(0xdeadbeefn);
    // Changing the nonce leaves the PoW root alone and changes the id.
    expect(hex(powRoot(bytes))).toBe(hex(nobleBlake2b(bytes.subarray(0, bytes.length - 8), { dkLen: 32 })));
  });

  test("sortParents orders and de-duplicates", () => {
    const a = new Uint8Array(32).fill(1);
    const b = new Uint8Array(32).fill(2);
    expect(sortParents([b, a, b]).map(hex)).toEqual([hex(a), hex(b)]);
  });
});

describe("strict decoding", () => {
  const base = () => encodeTransaction(sampleTx(transfer(), 11));

  test("every strict prefix is rejected as truncated, never thrown", () => {
    const bytes = encodeTransaction(sampleTx(data(), 12));
    for (let n = 0; n < bytes.length; n++) {
      const r = decodeTransaction(bytes.subarray(0, n));
      expect(r.ok).toBe(false);
    }
    expectCode(bytes.subarray(0, 10), E.TRUNCATED);
  });

  test("trailing bytes", () => {
    const b = base();
    expectCode(Uint8Array.from([...b, 0]), E.TRAILING_BYTES);
  });

  test("unknown version and payload type", () => {
    for (const version of [0, 1, 3]) {
      const b = base();
      b[0] = version;
      expectCode(b, E.UNKNOWN_VERSION);
    }
    const c = base();
    c[37] = 9;
    expectCode(c, E.UNKNOWN_PAYLOAD);
  });

  test("parent count, order and duplicates", () => {
    const tx = sampleTx(transfer(), 13);
    const ess = encodeEssence(tx);
    const p = sortParents([randomBytes(32), randomBytes(32), randomBytes(32)]);
    // Build raw attachments by hand so the encoder's own checks do not stop us.
    const raw = (parents: Uint8Array[]) => {
      const good = encodeAttached(ess, tx.signature, tx.timestamp, sortParents([randomBytes(32), randomBytes(32)]), 1n);
      const head = good.subarray(0, ess.length + 64 + 8);
      return Uint8Array.from([...head, parents.length, ...parents.flatMap((x) => [...x]), 1, 0, 0, 0, 0, 0, 0, 0]);
    };
    expectCode(raw([p[0]]), E.PARENT_COUNT);
    expectCode(raw(Array.from({ length: 9 }, () => randomBytes(32))), E.PARENT_COUNT);
    expectCode(raw([p[1], p[0]]), E.PARENTS_UNSORTED);
    expectCode(raw([p[0], p[0]]), E.PARENTS_UNSORTED);
    expect(decodeTransaction(raw([p[0], p[1], p[2]])).ok).toBe(true);
  });

  test("payload length disagreeing with the payload", () => {
    const b = base();
    const dv = new DataView(b.buffer);
    dv.setUint32(38, dv.getUint32(38, true) + 1, true);
    expect(decodeTransaction(b).ok).toBe(false);
  });

  test("oversize input is refused before decoding", () => {
    expectCode(new Uint8Array(L.MAX_TRANSACTION_BYTES + 1), E.TOO_LARGE);
    expectCode("nope" as unknown as Uint8Array, E.NOT_BYTES);
  });

  test("payload rules: counts, duplicates, amounts, content type, data size, stream links, milestone index", () => {
    const raw = (payload: Payload, patch: (b: Uint8Array, dv: DataView) => void) => {
      const b = encodeTransaction(sampleTx(payload, 21));
      patch(b, new DataView(b.buffer));
      return b;
    };
    const P = 42; // payload offset
    // Input count 0.
    expectCode(raw({ type: "transfer", inputs: [{ txId: new Uint8Array(32), index: 0 }], outputs: [{ address: new Uint8Array(32), amount: 1n }] }, (b) => (b[P] = 0)), E.IO_COUNT);
    // Duplicate input: second input copies the first.
    const dup = raw(
      { type: "transfer", inputs: [{ txId: new Uint8Array(32).fill(1), index: 0 }, { txId: new Uint8Array(32).fill(2), index: 0 }], outputs: [{ address: new Uint8Array(32), amount: 1n }] },
      (b) => b.fill(1, P + 1 + 33, P + 1 + 33 + 32),
    );
    expectCode(dup, E.DUPLICATE_INPUT);
    // Zero amount.
    expectCode(
      raw({ type: "transfer", inputs: [{ txId: new Uint8Array(32), index: 0 }], outputs: [{ address: new Uint8Array(32), amount: 7n }] }, (_b, dv) => dv.setBigUint64(P + 1 + 33 + 1 + 32, 0n, true)),
      E.AMOUNT,
    );
    // Outputs summing past 2^64 - 1.
    expectCode(
      raw(
        { type: "transfer", inputs: [{ txId: new Uint8Array(32), index: 0 }], outputs: [{ address: new Uint8Array(32), amount: 1n }, { address: new Uint8Array(32), amount: 1n }] },
        (_b, dv) => {
          dv.setBigUint64(P + 35 + 32, L.MAX_AMOUNT, true);
          dv.setBigUint64(P + 35 + 40 + 32, L.MAX_AMOUNT, true);
        },
      ),
      E.AMOUNT,
    );
    // Content type with a control character.
    const d = data(1, 1) as Extract<Payload, { type: "data" }>;
    expectCode(raw(d, (b) => (b[P + 32 + 8 + 32 + 1] = 0x07)), E.CONTENT_TYPE);
    // Stream link: sequence 0 with a non-zero previous record id.
    expectCode(raw(d, (_b, dv) => dv.setBigUint64(P + 32, 0n, true)), E.STREAM_LINK);
    // Milestone index 0.
    expectCode(raw(milestone(), (_b, dv) => dv.setUint32(P, 0, true)), E.MILESTONE_FIELD);
    // Milestone v2: previous id zero iff index 1; change flag, effective index, threshold and members; signature count, order and duplicates.
    const ms = (over: Record<string, unknown>) => ({ ...(milestone(1) as Extract<Payload, { type: "milestone" }>), ...over }) as Payload;
    const k = (b: number) => new Uint8Array(32).fill(b);
    const sig = (b: number) => ({ publicKey: k(b), signature: new Uint8Array(64).fill(b) });
    const FLAG = P + 4 + 8 + 4 * 32;
    expectCode(raw(ms({ index: 2 }), (b) => b.fill(0, P + 12, P + 44)), E.MILESTONE_FIELD);
    expectCode(raw(ms({ index: 1, previousMilestoneId: new Uint8Array(32) }), (b) => (b[P + 12] = 1)), E.MILESTONE_FIELD);
    const two = ms({ index: 7, signatures: [sig(1), sig(2)] });
    expectCode(raw(two, (b) => (b[FLAG] = 2)), E.MILESTONE_FIELD);
    expectCode(raw(two, (b) => (b[FLAG + 1] = 0)), E.MILESTONE_FIELD); // signature count 0
    expectCode(raw(two, (b) => (b[FLAG + 1] = 17)), E.MILESTONE_FIELD);
    expectCode(raw(two, (b) => b.fill(1, FLAG + 2 + 96, FLAG + 2 + 96 + 32)), E.MILESTONE_SIGNER_DUPLICATE);
    expectCode(raw(two, (b) => b.fill(3, FLAG + 2, FLAG + 2 + 32)), E.MILESTONE_SIGNATURES_UNSORTED);
    const change = ms({ index: 7, committeeChange: { effectiveIndex: 8, threshold: 2, members: [k(1), k(2), k(3)] }, signatures: [sig(1)] });
    expectCode(raw(change, (_b, dv) => dv.setUint32(FLAG + 1, 7, true)), E.MILESTONE_FIELD); // effective at its own index
    expectCode(raw(change, (b) => (b[FLAG + 5] = 1)), E.MILESTONE_FIELD); // 1 of 3: no majority
    expectCode(raw(change, (b) => (b[FLAG + 5] = 4)), E.MILESTONE_FIELD); // 4 of 3
    expectCode(raw(change, (b) => b.fill(1, FLAG + 7 + 32, FLAG + 7 + 64)), E.MILESTONE_FIELD); // a member twice
    expectCode(raw(change, (b) => (b[FLAG + 6] = 0)), E.MILESTONE_FIELD); // no members
    // A checkpoint is exactly one u32.
    const cp = encodeTransaction(sampleTx(checkpoint(1), 21));
    const cpLonger = Uint8Array.from([...cp.subarray(0, P + 4), 0, ...cp.subarray(P + 4)]);
    new DataView(cpLonger.buffer).setUint32(38, 5, true);
    expectCode(cpLonger, E.PAYLOAD_LENGTH);
  });

  test("the encoder refuses what the decoder would reject", () => {
    const tx = sampleTx(transfer(), 5);
    expect(() => encodeTransaction({ ...tx, parents: [tx.parents[1], tx.parents[0]] })).toThrow(expect.objectContaining({ code: E.PARENTS_UNSORTED }));
    expect(() => encodeTransaction({ ...tx, parents: [tx.parents[0]] })).toThrow(expect.objectContaining({ code: E.PARENT_COUNT }));
    expect(() => encodeTransaction({ ...tx, payload: { type: "data", streamId: new Uint8Array(32), sequence: 0, prevRecordId: new Uint8Array(32), contentType: "x", data: new Uint8Array(L.MAX_DATA_BYTES + 1) } })).toThrow(
      expect.objectContaining({ code: E.DATA_TOO_LARGE }),
    );
    expect(() => encodeTransaction({ ...tx, payload: { type: "transfer", inputs: [], outputs: [] } })).toThrow(expect.objectContaining({ code: E.IO_COUNT }));
    expect(() => encodeTransaction({ ...tx, version: 1 })).toThrow(expect.objectContaining({ code: E.UNKNOWN_VERSION }));
    const m = milestone(1) as Extract<Payload, { type: "milestone" }>;
    const k = (b: number) => new Uint8Array(32).fill(b);
    const sig = (b: number) => ({ publicKey: k(b), signature: new Uint8Array(64) });
    const withMs = (over: Record<string, unknown>) => () => encodeTransaction({ ...tx, payload: { ...m, ...over } as Payload });
    expect(withMs({ signatures: [sig(2), sig(1)] })).toThrow(expect.objectContaining({ code: E.MILESTONE_SIGNATURES_UNSORTED }));
    expect(withMs({ signatures: [sig(1), sig(1)] })).toThrow(expect.objectContaining({ code: E.MILESTONE_SIGNER_DUPLICATE }));
    expect(withMs({ signatures: [] })).toThrow(expect.objectContaining({ code: E.MILESTONE_FIELD }));
    expect(withMs({ index: 1 })).toThrow(expect.objectContaining({ code: E.MILESTONE_FIELD })); // non-zero previous id at index 1
    expect(withMs({ index: 5, committeeChange: { effectiveIndex: 5, threshold: 1, members: [k(1)] } })).toThrow(expect.objectContaining({ code: E.BAD_FIELD }));
    expect(withMs({ index: 5, committeeChange: { effectiveIndex: 6, threshold: 1, members: [k(1), k(2)] } })).toThrow(expect.objectContaining({ code: E.MILESTONE_FIELD }));
  });
});

describe("fuzz", () => {
  test("random bytes and mutated transactions never throw; accepted inputs re-encode identically", () => {
    const r = rng(12345);
    const seeds = [transfer(1), data(2), milestone(3), milestone(4), checkpoint(5), data(4, 0)].map((p, i) => encodeTransaction(sampleTx(p, i + 1)));
    let accepted = 0;
    for (let i = 0; i < 20000; i++) {
      let b: Uint8Array;
      const kind = r.int(4);
      if (kind === 0) b = r.bytes(r.int(600));
      else {
        b = Uint8Array.from(seeds[r.int(seeds.length)]);
        const flips = 1 + r.int(4);
        for (let k = 0; k < flips; k++) {
          const at = r.int(b.length);
          if (kind === 1) b[at] ^= 1 << r.int(8);
          else if (kind === 2) b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1)]);
          else b = Uint8Array.from([...b.subarray(0, at), r.int(256), ...b.subarray(at)]);
        }
      }
      const res = decodeTransaction(b);
      if (res.ok) {
        accepted++;
        expect(hex(encodeTransaction(res.value.tx))).toBe(hex(b));
      } else {
        expect(Object.values(E)).toContain(res.code);
      }
    }
    // Single bit flips in ids, keys and amounts stay valid; the check above ran on them.
    expect(accepted).toBeGreaterThan(100);
  });
});
