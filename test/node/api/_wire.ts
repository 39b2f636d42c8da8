/**
 * A MessagePack reader written from the specification (github.com/msgpack/msgpack/blob/master/spec.md),
 * independent of msgpackr, for tests that must see how each value was encoded on the wire: it
 * returns every scalar with its path and its format byte.
 */

export type WireKind = "nil" | "bool" | "uint" | "int" | "float32" | "float64" | "str" | "bin" | "ext";

export interface WireScalar {
  /** e.g. `result.outputs.0.index`, `data.timestamp`. */
  path: string;
  kind: WireKind;
  /** The format byte as sent (0xcb = float 64, 0xcf = uint 64, …). */
  format: number;
  value: unknown;
}

/** Walks one MessagePack value; throws on a truncated frame, trailing bytes or the unused byte 0xc1. */
export function walkWire(bytes: Uint8Array): WireScalar[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: WireScalar[] = [];
  let pos = 0;
  const need = (n: number) => {
    if (pos + n > bytes.length) throw new Error(`truncated at ${pos}`);
  };
  const u8 = () => (need(1), bytes[pos++]);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4));
  const text = (n: number) => {
    need(n);
    const s = new TextDecoder().decode(bytes.subarray(pos, pos + n));
    pos += n;
    return s;
  };
  const scalar = (path: string, kind: WireKind, format: number, value: unknown) => {
    out.push({ path, kind, format, value });
    return value;
  };
  const join = (path: string, key: unknown) => (path ? `${path}.${String(key)}` : String(key));

  function value(path: string): unknown {
    const f = u8();
    if (f <= 0x7f) return scalar(path, "uint", f, f);
    if (f >= 0xe0) return scalar(path, "int", f, f - 0x100);
    if (f >= 0x80 && f <= 0x8f) return map(path, f & 0x0f);
    if (f >= 0x90 && f <= 0x9f) return array(path, f & 0x0f);
    if (f >= 0xa0 && f <= 0xbf) return scalar(path, "str", f, text(f & 0x1f));
    switch (f) {
      case 0xc0:
        return scalar(path, "nil", f, null);
      case 0xc2:
      case 0xc3:
        return scalar(path, "bool", f, f === 0xc3);
      case 0xc4:
      case 0xc5:
      case 0xc6: {
        const n = f === 0xc4 ? u8() : f === 0xc5 ? u16() : u32();
        need(n);
        pos += n;
        return scalar(path, "bin", f, n);
      }
      case 0xc7:
      case 0xc8:
      case 0xc9: {
        const n = f === 0xc7 ? u8() : f === 0xc8 ? u16() : u32();
        need(n + 1);
        pos += n + 1;
        return scalar(path, "ext", f, n);
      }
      case 0xca:
        need(4);
        pos += 4;
        return scalar(path, "float32", f, view.getFloat32(pos - 4));
      case 0xcb:
        need(8);
        pos += 8;
        return scalar(path, "float64", f, view.getFloat64(pos - 8));
      case 0xcc:
        return scalar(path, "uint", f, u8());
      case 0xcd:
        return scalar(path, "uint", f, u16());
      case 0xce:
        return scalar(path, "uint", f, u32());
      case 0xcf:
        need(8);
        pos += 8;
        return scalar(path, "uint", f, view.getBigUint64(pos - 8));
      case 0xd0:
        need(1);
        return scalar(path, "int", f, view.getInt8(pos++));
      case 0xd1:
        need(2);
        pos += 2;
        return scalar(path, "int", f, view.getInt16(pos - 2));
      case 0xd2:
        need(4);
        pos += 4;
        return scalar(path, "int", f, view.getInt32(pos - 4));
      case 0xd3:
        need(8);
        pos += 8;
        return scalar(path, "int", f, view.getBigInt64(pos - 8));
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8: {
        const n = 1 << (f - 0xd4);
        need(n + 1);
        pos += n + 1;
        return scalar(path, "ext", f, n);
      }
      case 0xd9:
        return scalar(path, "str", f, text(u8()));
      case 0xda:
        return scalar(path, "str", f, text(u16()));
      case 0xdb:
        return scalar(path, "str", f, text(u32()));
      case 0xdc:
        return array(path, u16());
      case 0xdd:
        return array(path, u32());
      case 0xde:
        return map(path, u16());
      case 0xdf:
        return map(path, u32());
      default:
        throw new Error(`format byte 0x${f.toString(16)} at ${pos - 1} is not MessagePack`);
    }
  }
  function array(path: string, n: number): unknown[] {
    const a: unknown[] = [];
    for (let i = 0; i < n; i++) a.push(value(join(path, i)));
    return a;
  }
  function map(path: string, n: number): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const k = value(join(path, "<key>"));
      o[String(k)] = value(join(path, k));
    }
    return o;
  }

  value("");
  if (pos !== bytes.length) throw new Error(`${bytes.length - pos} bytes after the value`);
  return out;
}
