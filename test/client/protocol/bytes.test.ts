/** toHex / fromHex (client/protocol/bytes.ts) against Node's own hex encoding. */
import { randomBytes } from "node:crypto";
import { fromHex, toHex } from "../../../client/protocol/bytes";

test("toHex is Buffer's lower-case hex at every length from 0 to 300 bytes, and fromHex reverses it", () => {
  for (let n = 0; n <= 300; n++) {
    const b = randomBytes(n);
    const hex = toHex(b);
    expect(hex).toBe(b.toString("hex"));
    expect(Buffer.from(fromHex(hex)).equals(b)).toBe(true);
  }
  // A view into a larger buffer: only its own bytes.
  const big = Uint8Array.from({ length: 64 }, (_, i) => i);
  expect(toHex(big.subarray(10, 14))).toBe("0a0b0c0d");
  // Every byte value, and a long input after a short one (no digits left over from the last call).
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  expect(toHex(all)).toBe(Buffer.from(all).toString("hex"));
  expect(toHex(Uint8Array.of(0xff))).toBe("ff");
  expect(toHex(new Uint8Array(0))).toBe("");
});
