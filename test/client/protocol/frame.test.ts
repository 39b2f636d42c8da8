/**
 * The one MessagePack frame codec (client/protocol/frame.ts): integers in their smallest MessagePack integer
 * format at every size (the formats of the MessagePack specification), non-integers as float 64,
 * and a decoder that refuses what is not MessagePack. Decoded again by msgpackr (what the node and
 * client read with) and by the independent reader of test/node/api/_wire.ts.
 */
import { Packr } from "msgpackr";
import { FrameError, packFrame, unpackFrame } from "../../../client/protocol/frame";
import { walkWire } from "../../node/api/_wire";

const msgpackr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: "number" } as ConstructorParameters<typeof Packr>[0]);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

test("integers take the smallest integer format of the specification, at every size", () => {
  const cases: [number | bigint, string][] = [
    [0, "00"],
    [127, "7f"],
    [128, "cc80"],
    [255, "ccff"],
    [256, "cd0100"],
    [65535, "cdffff"],
    [65536, "ce00010000"],
    [2 ** 32 - 1, "ceffffffff"],
    [2 ** 32, "cf0000000100000000"],
    [1_796_427_683_678, "cf000001a2436f175e"],
    [Number.MAX_SAFE_INTEGER, "cf001fffffffffffff"],
    [2n ** 64n - 1n, "cfffffffffffffffff"],
    [-1, "ff"],
    [-32, "e0"],
    [-33, "d0df"],
    [-128, "d080"],
    [-129, "d1ff7f"],
    [-32768, "d18000"],
    [-32769, "d2ffff7fff"],
    [-(2 ** 31), "d280000000"],
    [-(2 ** 31) - 1, "d3ffffffff7fffffff"],
    [-(2n ** 63n), "d38000000000000000"],
  ];
  for (const [v, want] of cases) {
    expect([v, hex(packFrame(v))]).toEqual([v, want]);
    if (typeof v === "number") expect(msgpackr.unpack(packFrame(v))).toBe(v);
  }
  // A millisecond time inside a response, as the node sends it.
  const frame = packFrame({ id: 7, result: { timestamp: 1_796_427_683_678, confidence: 0.25, receivedMs: 1_796_427_683_860 } });
  expect(walkWire(frame).filter((s) => s.path.startsWith("result.")).map((s) => [s.path, s.kind])).toEqual([
    ["result.<key>", "str"],
    ["result.timestamp", "uint"],
    ["result.<key>", "str"],
    ["result.confidence", "float64"],
    ["result.<key>", "str"],
    ["result.receivedMs", "uint"],
  ]);
  expect(unpackFrame(frame)).toEqual({ id: 7, result: { timestamp: 1_796_427_683_678, confidence: 0.25, receivedMs: 1_796_427_683_860 } });
});

test("strings, bin, arrays, maps, nil and booleans at their length boundaries round-trip", () => {
  for (const n of [0, 31, 32, 255, 256, 65535, 65536]) {
    const s = "é".repeat(n >> 1) + "a".repeat(n & 1); // 2-byte UTF-8 characters: n bytes
    const bytes = new Uint8Array(n).map((_, i) => i);
    const arr = Array.from({ length: Math.min(n, 70000) }, (_, i) => i);
    const map = Object.fromEntries(Array.from({ length: Math.min(n, 20) }, (_, i) => [`k${i}`, i % 2 === 0]));
    const v = { s, bytes, arr, map, nil: null, undef: undefined, t: true, f: false, nested: [[{ a: [] }]] };
    const back = msgpackr.unpack(packFrame(v));
    expect(back).toEqual({ ...v, bytes: Buffer.from(bytes), undef: null });
    expect(walkWire(packFrame(v)).find((x) => x.path === "bytes")?.kind).toBe("bin");
  }
  for (const mixed of ["temperature °C", "a".repeat(40) + "€", "ü", "x".repeat(255) + "ß", "🌡️ sensor"]) {
    expect(msgpackr.unpack(packFrame({ [mixed]: mixed }))).toEqual({ [mixed]: mixed });
  }
  expect(hex(packFrame("a".repeat(31)).subarray(0, 1))).toBe("bf");
  expect(hex(packFrame("a".repeat(32)).subarray(0, 2))).toBe("d920");
  expect(hex(packFrame(new Uint8Array(1)))).toBe("c40100");
  expect(hex(packFrame(Array(16).fill(0)).subarray(0, 3))).toBe("dc0010");
});

test("a value with no MessagePack form is refused, not written half", () => {
  expect(() => packFrame({ f: () => 1 })).toThrow("no MessagePack form");
  expect(() => packFrame(2n ** 64n)).toThrow("does not fit 64 bits");
  expect(hex(packFrame({ ok: 1 }))).toBe("81a26f6b01");
});

test("frames that are not MessagePack are refused with ERR_BAD_FRAME", () => {
  for (const bad of [[0xc1], [0x91, 0xc1], [0x81, 0xa1, 0x61, 0xc1], [0xc1, 0xc1, 0xc1], [0xcb, 0x00], []]) {
    let err: unknown;
    try {
      unpackFrame(Uint8Array.from(bad));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FrameError);
    expect((err as FrameError).code).toBe("ERR_BAD_FRAME");
  }
});
