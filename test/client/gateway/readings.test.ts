/**
 * Record content (client/gateway/readings.ts): a reading's time goes out as a MessagePack integer
 * (uint 64 for a time in ms), read back by the independent reader of test/node/api/_wire.ts; a
 * record is the array header plus the readings' bytes, whatever the count (fixarray, array 16,
 * array 32); records written with the old encoder (msgpackr, time as float 64) read the same; data
 * that is not an array of {t, v} is refused.
 */
import { Packr } from "msgpackr";
import { arrayHeader, arrayHeaderBytes, encodeReading, packReadings, unpackReadings } from "../../../client/gateway/readings";
import { walkWire } from "../../node/api/_wire";

const T = 1_796_427_683_678;

test("a reading's time is a MessagePack integer, its value as given", () => {
  const bytes = encodeReading({ t: T, v: { pm25: 7.1, no2: 21 } });
  const wire = walkWire(bytes).filter((s) => s.path !== "v.<key>" && s.path !== "<key>");
  expect(wire.map((s) => [s.path, s.kind, s.format])).toEqual([
    ["t", "uint", 0xcf],
    ["v.pm25", "float64", 0xcb],
    ["v.no2", "uint", 21],
  ]);
  expect(wire[0].value).toBe(BigInt(T));
  expect(unpackReadings(packReadings([bytes]))).toEqual([{ t: T, v: { pm25: 7.1, no2: 21 } }]);
});

test("records of 0, 15, 16, 65535 and 65536 readings: header plus readings, read back in order", () => {
  for (const n of [0, 15, 16, 65535, 65536]) {
    const encoded = Array.from({ length: n }, (_, i) => encodeReading({ t: T + i, v: i }));
    const data = packReadings(encoded);
    expect(arrayHeader(n).length).toBe(arrayHeaderBytes(n));
    expect(data.length).toBe(arrayHeaderBytes(n) + encoded.reduce((s, e) => s + e.length, 0));
    const back = unpackReadings(data);
    expect(back.length).toBe(n);
    if (n > 0) expect([back[0], back[n - 1]]).toEqual([{ t: T, v: 0 }, { t: T + n - 1, v: n - 1 }]);
  }
});

test("records written by the former encoder (msgpackr: float 64 times) read the same", () => {
  const old = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: "number" } as ConstructorParameters<typeof Packr>[0]);
  const readings = [{ t: T, v: 20.5 }, { t: T + 1000, v: { rh: 40, label: "n°3" } }, { t: T + 2000, v: [1, -2, null, true] }];
  const data = packReadings(readings.map((r) => Uint8Array.from(old.pack(r))));
  expect(walkWire(data).find((s) => s.path === "0.t")?.kind).toBe("float64");
  expect(unpackReadings(data)).toEqual(readings);
});

test("data that is not an array of readings is refused", () => {
  for (const bad of [Uint8Array.of(0x01), packReadings([Uint8Array.of(0x05)]), new TextEncoder().encode("{}"), Uint8Array.of(0x91, 0xc1), Uint8Array.of(0x92, 0x80)]) {
    expect(() => unpackReadings(bad)).toThrow();
  }
});
