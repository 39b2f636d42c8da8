/**
 * Gathering a milestone's signatures (node/committee/collector.ts), with real Ed25519 keys and
 * signatures, and the watch for two valid milestones at one index.
 */
import { randomBytes } from "node:crypto";
import { toHex } from "../../../client/protocol/bytes";
import { ed25519 } from "../../../client/protocol/ed25519";
import { keyPairFromSeed } from "../../../client/protocol/keys";
import { compareKeys, EquivocationWatch, SignatureCollector } from "../../../node/committee/collector";
import { verifyEd25519 } from "../../../node/crypto/ed25519";

const keys = Array.from({ length: 5 }, () => keyPairFromSeed(randomBytes(32)));
const members = keys.slice(0, 4).map((k) => toHex(k.publicKey));
const outsider = keys[4];

test("three of four distinct members make a milestone complete; the list is sorted by key", () => {
  const message = randomBytes(32);
  const c = new SignatureCollector({ members, threshold: 3 }, message, verifyEd25519);
  const sign = (i: number, m: Uint8Array = message) => ed25519.sign(m, keys[i].secretKey);
  expect(c.add(members[2], sign(2))).toBe("added");
  expect(c.complete).toBe(false);
  expect(c.add(members[2], sign(2))).toBe("repeated");
  expect(c.add(toHex(outsider.publicKey), ed25519.sign(message, outsider.secretKey))).toBe("not-member");
  expect(c.add(members[0], sign(0, randomBytes(32)))).toBe("invalid"); // over another message
  expect(c.add(members[1], new Uint8Array(63))).toBe("invalid");
  expect(c.count).toBe(1);
  expect(c.add(members[0].toUpperCase(), sign(0))).toBe("added");
  expect(c.complete).toBe(false);
  expect(c.add(members[3], sign(3))).toBe("added");
  expect(c.complete).toBe(true);
  const list = c.signatures();
  expect(list).toHaveLength(3);
  for (let i = 1; i < list.length; i++) expect(compareKeys(list[i - 1].publicKey, list[i].publicKey)).toBeLessThan(0);
  for (const s of list) expect(verifyEd25519(message, s.signature, s.publicKey)).toBe(true);
  expect(new Set(c.signers())).toEqual(new Set([members[0], members[2], members[3]]));
});

test("a committee of one is complete with its one member", () => {
  const message = randomBytes(32);
  const c = new SignatureCollector({ members: [members[0]], threshold: 1 }, message, verifyEd25519);
  expect(c.add(members[1], ed25519.sign(message, keys[1].secretKey))).toBe("not-member");
  expect(c.complete).toBe(false);
  expect(c.add(members[0], ed25519.sign(message, keys[0].secretKey))).toBe("added");
  expect(c.complete).toBe(true);
});

test("a second, different valid milestone at one index is reported with both ids", () => {
  const w = new EquivocationWatch(3);
  expect(w.observe(1, "a")).toBeUndefined();
  expect(w.observe(1, "a")).toBeUndefined(); // the same milestone again (gossip)
  expect(w.observe(2, "b")).toBeUndefined();
  expect(w.observe(2, "c")).toEqual({ index: 2, ids: ["b", "c"] });
  // Bounded memory: the oldest index is forgotten past keepIndexes.
  w.observe(3, "d");
  w.observe(4, "e");
  expect(w.observe(1, "x")).toBeUndefined();
  expect(w.observe(4, "y")).toEqual({ index: 4, ids: ["e", "y"] });
});
