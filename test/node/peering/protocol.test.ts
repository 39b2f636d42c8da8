/**
 * The peer protocol (node/peering/protocol.ts). parsePeerMessage, directly: every message type in
 * its good form, and bad ones (text frames, bytes that are not MessagePack or not a message, hello
 * out of turn, malformed tx/req/msreq/beat, unknown types) each with the reason the sender is
 * penalized for. helloFailure (node/peering/failures.ts): which hellos are refused, with what
 * code, sentence and close code. Then a real node process: the frames it sends a peer (hello, beat)
 * are read byte by byte with the independent reader of test/node/api/_wire.ts, and its times are
 * MessagePack integers (the peers' own msgpackr encoder used to send them as float 64).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { packFrame } from "../../../client/protocol/frame";
import { helloFailure } from "../../../node/peering/failures";
import { parsePeerMessage, PEER_LIMITS, PEER_PROTOCOL_VERSION } from "../../../node/peering/protocol";
import { devHello, rawPeer } from "./_peer";
import { walkWire } from "../api/_wire";
import { startNodeProcess } from "../api/_process";

const hello = { t: "hello", protocol: 1, networkId: 7, genesisId: "ab".repeat(32), latestMilestoneIndex: 3 };
const id = "0f".repeat(32);
const parse = (v: unknown, expectHello = false) => parsePeerMessage(packFrame(v), true, expectHello);

describe("parsePeerMessage", () => {
  test("good messages, as they are handed to the peer manager", () => {
    expect(parse(hello, true)).toEqual({ ok: true, msg: hello });
    // A hello of another protocol or network is parsed: refusing it is the manager's (a close, not a ban).
    expect(parse({ ...hello, protocol: "x", networkId: null }, true)).toEqual({ ok: true, msg: { ...hello, protocol: "x", networkId: null } });
    const bytes = Uint8Array.of(1, 2, 3);
    const tx = parse({ t: "tx", bytes });
    expect(tx.ok && tx.msg.t === "tx" && [...tx.msg.bytes]).toEqual([1, 2, 3]);
    const ids = Array.from({ length: PEER_LIMITS.maxIdsPerRequest }, () => id);
    expect(parse({ t: "req", ids })).toEqual({ ok: true, msg: { t: "req", ids } });
    expect(parse({ t: "req", ids: [] })).toEqual({ ok: true, msg: { t: "req", ids: [] } });
    expect(parse({ t: "msreq", index: 1 })).toEqual({ ok: true, msg: { t: "msreq", index: 1 } });
    expect(parse({ t: "beat", latestMilestoneIndex: 9, sentMs: 1_796_427_683_678 })).toEqual({ ok: true, msg: { t: "beat", latestMilestoneIndex: 9, sentMs: 1_796_427_683_678 } });
    expect(parse({ t: "beat", latestMilestoneIndex: 9, sentMs: "soon" })).toEqual({ ok: true, msg: { t: "beat", latestMilestoneIndex: 9, sentMs: undefined } });
    // Protocol 6: the pruned index, in hello and beat (0 included); absent from a peer of 5 or older.
    expect(parse({ ...hello, prunedMilestoneIndex: 0 }, true)).toEqual({ ok: true, msg: { ...hello, prunedMilestoneIndex: 0 } });
    expect(parse({ t: "beat", latestMilestoneIndex: 9, sentMs: 1, prunedMilestoneIndex: 4 })).toEqual({ ok: true, msg: { t: "beat", latestMilestoneIndex: 9, sentMs: 1, prunedMilestoneIndex: 4 } });
    expect(parse({ t: "beatack", sentMs: 5 })).toEqual({ ok: true, msg: { t: "beatack", sentMs: 5 } });
    expect(parse({ t: "beatack" })).toEqual({ ok: true, msg: { t: "beatack", sentMs: undefined } });
    // Extra fields are ignored.
    expect(parse({ t: "msreq", index: 2, extra: [1] })).toEqual({ ok: true, msg: { t: "msreq", index: 2 } });
  });

  test("frames that are not a message", () => {
    expect(parsePeerMessage(packFrame(hello), false, true)).toEqual({ ok: false, why: "undecodable frame (text frame)" });
    const garbage = parsePeerMessage(new TextEncoder().encode("definitely not msgpack"), true, true);
    expect(garbage.ok === false && garbage.why.startsWith("undecodable frame (not MessagePack")).toBe(true);
    expect(parsePeerMessage(Uint8Array.of(0x81, 0xa1, 0x74, 0xc1), true, false)).toEqual({ ok: false, why: "undecodable frame (not MessagePack: the byte 0xc1 is never used)" });
    for (const v of [null, 5, "hello", [hello], { type: "hello" }, { t: 1 }]) {
      expect([v, parse(v, true)]).toEqual([v, { ok: false, why: "undecodable frame (not a message)" }]);
    }
  });

  test("hello first, and only first", () => {
    expect(parse({ t: "tx", bytes: new Uint8Array(1) }, true)).toEqual({ ok: false, why: "first message must be hello" });
    expect(parse({ t: "tx" }, true)).toEqual({ ok: false, why: "first message must be hello" });
    expect(parse(hello, false)).toEqual({ ok: false, why: "unknown message type hello" });
    expect(parse({ ...hello, prunedMilestoneIndex: "7" }, true)).toEqual({ ok: false, why: "bad hello (prunedMilestoneIndex)" });
  });

  test("malformed messages, each with its reason", () => {
    const bad: [unknown, string][] = [
      [{ t: "tx" }, "tx without bytes"],
      [{ t: "tx", bytes: "0102" }, "tx without bytes"],
      [{ t: "req" }, "bad req"],
      [{ t: "req", ids: id }, "bad req"],
      [{ t: "req", ids: [id.toUpperCase()] }, "bad req"],
      [{ t: "req", ids: [id.slice(2)] }, "bad req"],
      [{ t: "req", ids: [id, 5] }, "bad req"],
      [{ t: "req", ids: Array.from({ length: PEER_LIMITS.maxIdsPerRequest + 1 }, () => id) }, "bad req"],
      [{ t: "msreq" }, "bad msreq"],
      [{ t: "msreq", index: 0 }, "bad msreq"],
      [{ t: "msreq", index: 1.5 }, "bad msreq"],
      [{ t: "msreq", index: "1" }, "bad msreq"],
      [{ t: "beat", sentMs: 1 }, "bad beat"],
      [{ t: "beat", latestMilestoneIndex: "3" }, "bad beat"],
      [{ t: "beat", latestMilestoneIndex: 3, prunedMilestoneIndex: -1 }, "bad beat"],
      [{ t: "beat", latestMilestoneIndex: 3, prunedMilestoneIndex: 1.5 }, "bad beat"],
      [{ t: "beat", latestMilestoneIndex: 3, prunedMilestoneIndex: "2" }, "bad beat"],
      [{ t: "beat", latestMilestoneIndex: 3, prunedMilestoneIndex: 2 ** 32 }, "bad beat"],
      [{ t: "gossip" }, "unknown message type gossip"],
      [{ t: "x".repeat(50) }, `unknown message type ${"x".repeat(20)}`],
    ];
    for (const [v, why] of bad) expect([v, parse(v)]).toEqual([v, { ok: false, why }]);
  });
});

describe("helloFailure", () => {
  const ours = { networkId: 7, genesisId: "ab".repeat(32) };
  const h = { t: "hello" as const, protocol: PEER_PROTOCOL_VERSION, networkId: 7, genesisId: "ab".repeat(32), latestMilestoneIndex: 3 };

  test("a hello of this node's protocol, network and genesis is taken", () => {
    expect(helloFailure(h, ours)).toBeUndefined();
  });

  test("another protocol, network or genesis: the code, the sentence and the close code to send", () => {
    expect(helloFailure({ ...h, protocol: 9 }, ours)).toEqual({ code: "ERR_PEER_BAD_PROTOCOL", message: `the peer speaks peer protocol 9, this node ${PEER_PROTOCOL_VERSION}`, closeCode: 4002, closeReason: `protocol 9, want ${PEER_PROTOCOL_VERSION}` });
    expect(helloFailure({ ...h, networkId: 8 }, ours)).toEqual({ code: "ERR_PEER_WRONG_NETWORK", message: "the peer is of another network: network 8, this node 7", closeCode: 4001, closeReason: "different network" });
    expect(helloFailure({ ...h, genesisId: "cd".repeat(32) }, ours)).toEqual({ code: "ERR_PEER_WRONG_NETWORK", message: `the peer is of another network: genesis ${"cd".repeat(32)}, this node ${"ab".repeat(32)}`, closeCode: 4001, closeReason: "different network" });
    // The protocol is checked first; what the peer sent is cut short in the sentences.
    const odd = helloFailure({ ...h, protocol: "x".repeat(100) as unknown as number, networkId: 8 }, ours)!;
    expect([odd.code, odd.message]).toEqual(["ERR_PEER_BAD_PROTOCOL", `the peer speaks peer protocol ${"x".repeat(20)}, this node ${PEER_PROTOCOL_VERSION}`]);
  });
});

describe("a real node's peer frames", () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-peer-frames-"));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test("hello and beat carry their indexes and times as MessagePack integers", async () => {
    const proc = await startNodeProcess(["--data", path.join(tmp, "a"), "--milestone-interval-ms", "200"]);
    const peer = await rawPeer(proc.port);
    try {
      const isBeat = (d: Buffer) => walkWire(d).some((s) => s.path === "t" && s.value === "beat");
      const beat = new Promise<Buffer>((resolve) => peer.ws.on("message", (d: Buffer) => isBeat(d) && resolve(d)));
      peer.send(devHello());
      const b = await beat;
      const frames = peer.frames;
      const fields = walkWire(b).filter((s) => s.path !== "<key>");
      expect(fields.map((s) => [s.path, s.kind])).toEqual([
        ["t", "str"],
        ["latestMilestoneIndex", "uint"],
        ["sentMs", "uint"],
        ["prunedMilestoneIndex", "uint"],
      ]);
      // A time in ms since the epoch is above 2^32: uint 64.
      expect(fields[2].format).toBe(0xcf);
      const sentMs = Number(fields[2].value as bigint);
      expect(Math.abs(sentMs - Date.now())).toBeLessThan(60_000);
      const first = walkWire(frames[0]).filter((s) => s.path !== "<key>");
      expect(first.map((s) => [s.path, s.kind])).toEqual([
        ["t", "str"],
        ["protocol", "uint"],
        ["networkId", "uint"],
        ["genesisId", "str"],
        ["latestMilestoneIndex", "uint"],
        ["prunedMilestoneIndex", "uint"],
      ]);
      expect(first[0].value).toBe("hello");
      for (const f of frames) expect(walkWire(f).filter((s) => s.kind === "float64" || s.kind === "float32")).toEqual([]);
    } finally {
      peer.ws.close();
      await proc.stop("SIGTERM");
    }
  });
});
