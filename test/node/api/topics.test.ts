/**
 * The API's topics (node/api/topics.ts), without a server: which names parse, to which name and
 * publishing key (hex lowercased; an address as hex or bech32m of the network under one key), and
 * which are refused with ERR_BAD_TOPIC and what message; the table agrees with the client's Topic
 * type; the pushes of a stored transaction and of an applied milestone, in order, with their data
 * and only for subscribed topics where a push is built per transaction; and a push whose data
 * differs from the client's TopicData does not compile.
 */
import { randomBytes } from "node:crypto";
import { toHex } from "../../../client/protocol/bytes";
import type { Payload, Transaction } from "../../../client/protocol/codec";
import { addressOf, keyPairFromSeed } from "../../../client/protocol/keys";
import { encodeAddress } from "../../../client/wallet/address";
import type { Topic, TopicPush } from "../../../client/api/types";
import type { MilestoneEvent, TransactionEvent } from "../../../node/events";
import type { PayloadPush } from "../../../node/payloads";
import { documentedTopics, parseTopic, parseTopics, PushSink, TOPICS, publishMilestone, publishTransaction } from "../../../node/api/topics";
import { API_LIMITS } from "../../../node/api/limits";
import { PROTOCOL_VERSION } from "../../../client/protocol/limits";

const hrp = "tdev";
const user = keyPairFromSeed(new Uint8Array(32).fill(1));
const address = addressOf(user.publicKey);
const hex = toHex(address);
const bech = encodeAddress(address, hrp);

function codeOf(f: () => unknown): { code?: string; message?: string } {
  try {
    f();
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { code: e.code, message: e.message };
  }
  return {};
}

test("topic names: fixed names as they are, hex arguments lowercased, both address forms under one key", () => {
  const id = "aB".repeat(32);
  const cases: [string, { name: string; key: string }][] = [
    ["milestones", { name: "milestones", key: "milestones" }],
    ["transactions", { name: "transactions", key: "transactions" }],
    ["confirmed", { name: "confirmed", key: "confirmed" }],
    [`tx:${id}`, { name: `tx:${id.toLowerCase()}`, key: `tx:${id.toLowerCase()}` }],
    [`stream:${id}`, { name: `stream:${id.toLowerCase()}`, key: `stream:${id.toLowerCase()}` }],
    [`address:${hex.toUpperCase()}`, { name: `address:${hex}`, key: `address:${hex}` }],
    [`address:${bech}`, { name: `address:${bech}`, key: `address:${hex}` }],
    [`address:${bech.toUpperCase()}`, { name: `address:${bech}`, key: `address:${hex}` }],
  ];
  for (const [topic, want] of cases) expect({ topic, ref: parseTopic(topic, hrp) }).toEqual({ topic, ref: want });
  expect(parseTopics(cases.map((c) => c[0]), hrp)).toEqual(cases.map((c) => c[1]));
});

test("unknown topics are refused with ERR_BAD_TOPIC naming them (names are case-sensitive, arguments only where the topic takes one)", () => {
  const id = "ab".repeat(32);
  const long = "q".repeat(API_LIMITS.maxTextParamChars + 1);
  for (const topic of [
    "weather",
    "Milestones",
    "TX:" + id,
    "milestones:",
    `milestones:${id}`,
    "tx:",
    `tx:${id.slice(1)}`,
    `tx:${id}0`,
    `tx:${bech}`,
    `stream:${bech}`,
    `tx:foo:${id}`,
    "address:",
    `address:${long}`,
    "address:tdev1-not-bech",
    `milestones\n`,
    "__proto__",
    "toString",
    "constructor:" + id,
    "",
  ]) {
    expect({ topic, ...codeOf(() => parseTopic(topic, hrp)) }).toEqual({ topic, code: "ERR_BAD_TOPIC", message: `unknown topic '${topic.slice(0, 80)}'` });
  }
  // The first bad topic refuses the whole request.
  expect(codeOf(() => parseTopics(["milestones", "weather"], hrp)).code).toBe("ERR_BAD_TOPIC");
});

test("an address topic whose address is not valid is refused with the address's reason", () => {
  const other = encodeAddress(address, "tmain");
  const flipped = bech.slice(0, -1) + (bech.endsWith("q") ? "p" : "q");
  for (const [topic, reason] of [
    [`address:${other}`, "expected 'tdev'"],
    [`address:${flipped}`, "checksum does not match"],
    [`address:${bech.slice(0, 10)}${bech.slice(10).toUpperCase()}`, ""],
  ]) {
    const e = codeOf(() => parseTopic(topic, hrp));
    expect({ topic, code: e.code }).toEqual({ topic, code: "ERR_BAD_TOPIC" });
    expect(e.message).toContain(`topic '${topic}': `);
    expect(e.message).toContain(reason);
  }
});

test("the table has one entry per kind of the client's Topic type, an argument exactly where the client's topic has one", () => {
  expect(documentedTopics()).toEqual(["milestones", "transactions", "confirmed", "address:<address>", "tx:<id>", "stream:<streamId>"]);
  // Each documented form, its argument filled in, is a Topic of the client and parses.
  const filled: Topic[] = ["milestones", "transactions", "confirmed", `address:${hex}`, `tx:${hex}`, `stream:${hex}`];
  expect(filled.map((t) => t.split(":")[0])).toEqual(Object.keys(TOPICS));
  for (const t of filled) expect(parseTopic(t, hrp).key).toBe(t);
});

// ---- pushes ------------------------------------------------------------------------------------

function tx(payload: Payload): Transaction {
  return { version: PROTOCOL_VERSION, networkId: 7, issuer: user.publicKey, payload, signature: new Uint8Array(64), timestamp: 1_763_800_000_000, parents: [new Uint8Array(32), new Uint8Array(32).fill(1)], nonce: 0n };
}

/** A sink that records pushes, with subscribers on the given topics. */
function recorder(subscribed: string[]): PushSink & { pushes: TopicPush[] } {
  const pushes: TopicPush[] = [];
  return { pushes, has: (t) => subscribed.includes(t), publish: (p) => void pushes.push(p) };
}

const receiver = randomBytes(32);
const transfer = tx({ type: "transfer", inputs: [{ txId: randomBytes(32), index: 0 }], outputs: [{ address: receiver, amount: 9n }] });
const streamId = randomBytes(32);
const record = tx({ type: "data", streamId, sequence: 2, prevRecordId: randomBytes(32), contentType: "text/plain", data: new Uint8Array(1) });

test("a stored transaction: `transactions`, then its payload's pushes to subscribed topics only", () => {
  const id = "01".repeat(32);
  const e: TransactionEvent = { id, tx: transfer, bytes: new Uint8Array(0) };
  const all = recorder([`address:${hex}`, `address:${toHex(receiver)}`]);
  publishTransaction(e, all);
  expect(all.pushes).toEqual([
    { topic: "transactions", data: { id, type: "transfer" } },
    { topic: `address:${hex}`, data: { event: "pending", txId: id } },
    { topic: `address:${toHex(receiver)}`, data: { event: "pending", txId: id } },
  ]);
  const some = recorder([`stream:${toHex(streamId)}`]);
  publishTransaction(e, some);
  publishTransaction({ id: "02".repeat(32), tx: record, bytes: new Uint8Array(0) }, some);
  expect(some.pushes).toEqual([
    { topic: "transactions", data: { id, type: "transfer" } },
    { topic: "transactions", data: { id: "02".repeat(32), type: "data" } },
    { topic: `stream:${toHex(streamId)}`, data: { id: "02".repeat(32), sequence: 2 } },
  ]);
});

test("an applied milestone: `milestones`, `confirmed`, then per confirmed transaction (cone order, then itself) `tx:<id>` and its payload's pushes with the verdict", () => {
  const [a, b, m, gone] = ["0a", "0b", "0c", "0d"].map((x) => x.repeat(32));
  const ms: MilestoneEvent = {
    index: 5,
    id: m,
    timestamp: 1_763_800_000,
    merkleRoot: "11".repeat(32),
    stateHash: "22".repeat(32),
    included: 3,
    includedIds: [a, b, gone],
    conflicts: [{ id: b, reason: "INPUT_SPENT" }],
    receivedMs: [1, 2, 3],
  };
  const decoded = new Map([
    [a, transfer],
    [b, transfer],
    [
      m,
      tx({
        type: "milestone",
        index: 5,
        timestamp: 1,
        previousMilestoneId: new Uint8Array(32).fill(4),
        confirmedMerkleRoot: new Uint8Array(32),
        ledgerStateHash: new Uint8Array(32),
        ledgerRoot: new Uint8Array(32),
        signatures: [{ publicKey: new Uint8Array(32), signature: new Uint8Array(64) }],
      }),
    ],
  ]);
  const sink = recorder([`tx:${b}`, `tx:${m}`, `tx:${gone}`, `address:${toHex(receiver)}`]);
  publishMilestone(ms, (id) => decoded.get(id), sink);
  expect(sink.pushes).toEqual([
    { topic: "milestones", data: { index: 5, id: m, timestamp: 1_763_800_000, included: 3, stateHash: "22".repeat(32) } },
    { topic: "confirmed", data: { milestoneIndex: 5, ids: [a, b, gone], conflicts: [{ id: b, reason: "INPUT_SPENT" }] } },
    { topic: `address:${toHex(receiver)}`, data: { event: "confirmed", txId: a, milestoneIndex: 5, conflict: null } },
    { topic: `tx:${b}`, data: { id: b, confirmedBy: 5, conflict: "INPUT_SPENT" } },
    { topic: `address:${toHex(receiver)}`, data: { event: "confirmed", txId: b, milestoneIndex: 5, conflict: "INPUT_SPENT" } },
    { topic: `tx:${gone}`, data: { id: gone, confirmedBy: 5, conflict: null } },
    { topic: `tx:${m}`, data: { id: m, confirmedBy: 5, conflict: null } },
  ]);
});

test("a push whose data differs from the client's TopicData does not compile (checked by the compiler when this file is)", () => {
  const ok: TopicPush[] = [
    { topic: "milestones", data: { index: 1, id: "", timestamp: 0, included: 0, stateHash: "" } },
    { topic: `stream:${hex}`, data: { id: "", sequence: 0 } },
  ];
  // @ts-expect-error a milestones push without stateHash
  const missing: TopicPush<"milestones"> = { topic: "milestones", data: { index: 1, id: "", timestamp: 0, included: 0 } };
  // @ts-expect-error a stream push's data under a tx: topic
  const wrongTopic: TopicPush = { topic: `tx:${hex}`, data: { id: "", sequence: 0 } };
  // @ts-expect-error a conflict reason that is not one of the contract's
  const reason: TopicPush<`tx:${string}`> = { topic: `tx:${hex}`, data: { id: "", confirmedBy: 1, conflict: "SOMETHING" } };
  // @ts-expect-error an extra field the client does not read
  const extra: TopicPush<"transactions"> = { topic: "transactions", data: { id: "", type: "data", size: 1 } };
  // The payload table's pushes are pushes of the same type.
  const fromPayload: PayloadPush = { topic: `address:${hex}`, data: { event: "pending", txId: "" } };
  const widened: TopicPush = fromPayload;
  expect([...ok, missing, wrongTopic, reason, extra, widened]).toHaveLength(7);
});
