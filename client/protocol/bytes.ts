/** Byte helpers that work in Node and in browsers (no Buffer). */

const HEX_DIGITS = new TextEncoder().encode("0123456789abcdef");
const hexDecoder = new TextDecoder();
/** Digits of inputs up to 128 bytes (ids, keys, addresses); longer ones get their own buffer. */
const hexScratch = new Uint8Array(256);

/**
 * Lower-case hex, as one flat string. Built by `+=`, a 32-byte id's hex was a rope of about 30
 * string pieces (0.9 KB of heap) that V8 keeps as is where it is a map key: three such keys per
 * unspent output made a node run out of its 256 MiB heap opening 100,000 of them (issue 17). A flat
 * 64-character string takes about 90 bytes, and decoding the digits at once is faster too.
 */
export function toHex(b: Uint8Array): string {
  const n = 2 * b.length;
  const out = n <= hexScratch.length ? hexScratch : new Uint8Array(n);
  for (let i = 0; i < b.length; i++) {
    out[2 * i] = HEX_DIGITS[b[i] >> 4];
    out[2 * i + 1] = HEX_DIGITS[b[i] & 15];
  }
  return hexDecoder.decode(out.subarray(0, n));
}

/** Parses even-length hex (either case); throws TypeError naming the parameter on bad input. */
export function fromHex(hex: string, name = "hex"): Uint8Array {
  if (typeof hex !== "string" || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new TypeError(`${name} must be an even-length hex string`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Unsigned byte order (memcmp); a prefix sorts first. Public keys, ids and ledger keys are ordered by it. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
