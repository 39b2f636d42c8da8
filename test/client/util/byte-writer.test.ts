/**
 * The one growable byte buffer (client/util/byte-writer.ts): what is written comes back in order
 * and little-endian where it says so, growth past the first capacity keeps every byte already
 * written, a patch lands on its place and refuses one outside what was written, and reset starts
 * over. Checked against DataView and Buffer, not against itself.
 */
import { ByteWriter } from "../../../client/util/byte-writer";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

test("u8, u32le, u64le and bytes in order, little-endian", () => {
  const w = new ByteWriter(4);
  w.u8(0xab);
  w.u32le(0x01020304);
  w.u64le(0x1122334455667788n);
  w.bytes(Uint8Array.of(9, 8, 7));
  expect(hex(w.finish())).toBe("ab" + "04030201" + "8877665544332211" + "090807");
  expect(w.length).toBe(16);
});

test("growing past the capacity many times keeps every byte", () => {
  const w = new ByteWriter(1);
  const want = Buffer.alloc(100_003);
  for (let i = 0; i < want.length; i++) {
    want[i] = (i * 31 + 7) & 0xff;
    w.u8(want[i]);
  }
  expect(Buffer.from(w.finish()).equals(want)).toBe(true);
  expect(w.buf.length).toBeGreaterThanOrEqual(want.length);
  // One big write grows straight to a size that holds it.
  const big = new ByteWriter(2);
  big.bytes(new Uint8Array(1000).fill(5));
  expect(big.finish()).toEqual(new Uint8Array(1000).fill(5));
});

test("ensure, then direct writes through buf and view", () => {
  const w = new ByteWriter(2);
  w.u8(1);
  w.ensure(3);
  w.buf[w.length] = 0xcd;
  w.view.setUint16(w.length + 1, 0x1234);
  w.length += 3;
  expect(hex(w.written())).toBe("01cd1234");
});

test("patchU32le overwrites a length written before; outside what was written it throws", () => {
  const w = new ByteWriter();
  w.u32le(0);
  w.bytes(Uint8Array.of(1, 2, 3));
  w.patchU32le(0, 3);
  expect(hex(w.finish())).toBe("03000000010203");
  expect(() => w.patchU32le(4, 1)).toThrow(RangeError);
  expect(() => w.patchU32le(-1, 1)).toThrow(RangeError);
});

test("finish copies; reset starts over with the same capacity", () => {
  const w = new ByteWriter(8);
  w.bytes(Uint8Array.of(1, 2));
  const a = w.finish();
  w.reset();
  w.u8(3);
  expect(a).toEqual(Uint8Array.of(1, 2));
  expect(w.finish()).toEqual(Uint8Array.of(3));
  expect(w.buf.length).toBe(8);
});
