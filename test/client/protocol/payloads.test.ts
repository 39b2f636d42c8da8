/**
 * The payload modules (client/protocol/payloads/) on their own and through their registry: every
 * payload type docs/protocol.md describes ("### Payload <code>: <name>") is registered under that
 * name and code and no other is; each module reads the payload bytes of the independent Python
 * writer's vector of its type (test/vectors/protocol.json) and writes them back identically, and
 * refuses a payload that does not end where its length says; the registry answers only for its
 * own names and codes; and the modules import only the field helpers, limits, errors and byte
 * helpers, never the codec (so the codec can import the registry without a cycle).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import vectors from "../../vectors/protocol.json";
import { PAYLOADS, payloadByCode, payloadByName } from "../../../client/protocol/payloads";
import { Reader, DecodeFailure } from "../../../client/protocol/payloads/_fields";
import { ByteWriter } from "../../../client/util/byte-writer";
import { ProtocolErrorCode as E } from "../../../client/protocol/errors";
import { fromHex, toHex } from "../../../client/protocol/bytes";
import { importGraph, sourceFiles } from "../../structure/_imports";

const doc = fs.readFileSync(path.join(__dirname, "..", "..", "..", "docs", "protocol.md"), "utf8");
const documented = [...doc.matchAll(/^### Payload (\d+): (\w+)/gm)].map((m) => [m[2], Number(m[1])] as const);

/** Offsets of the essence (docs/protocol.md): type byte at 37, length u32 at 38, payload at 42. */
const TYPE_AT = 37;
const PAYLOAD_AT = 42;

describe("the registry", () => {
  test("holds exactly the payload types docs/protocol.md describes, under their names and codes", () => {
    expect(documented.map(([name]) => name)).toEqual(expect.arrayContaining(["transfer", "data", "milestone"]));
    expect(Object.entries(PAYLOADS).map(([name, m]) => [name, m.code] as const)).toEqual(documented);
    for (const [name, code] of documented) {
      expect(payloadByName(name)?.name).toBe(name);
      expect(payloadByCode(code)?.name).toBe(name);
    }
  });

  test("answers nothing for other names and codes (prototype names and non-strings included)", () => {
    for (const name of ["", "Transfer", "device", "constructor", "toString", "__proto__", 1, undefined, null, {}]) expect(payloadByName(name)).toBeUndefined();
    const past = Math.max(...documented.map(([, code]) => code)) + 1;
    for (const code of [0, past, 255, -1, 1.5, NaN]) expect(payloadByCode(code)).toBeUndefined();
  });
});

describe.each(vectors.vectors.map((v) => [v.name, v] as const))("module for vector %s", (_name, v) => {
  const essence = fromHex(v.essenceHex);
  const payloadBytes = essence.subarray(PAYLOAD_AT);
  const declaredLength = new DataView(essence.buffer, essence.byteOffset).getUint32(TYPE_AT + 1, true);
  const module = payloadByCode(essence[TYPE_AT]);

  test("reads the writer's payload bytes and writes them back identically", () => {
    expect(module).toBeDefined();
    expect(declaredLength).toBe(payloadBytes.length);
    const r = new Reader(payloadBytes);
    const p = module!.decode(r, payloadBytes.length);
    expect(r.at).toBe(payloadBytes.length);
    expect(p.type).toBe(module!.name);
    const w = new ByteWriter();
    module!.encode(w, p);
    expect(toHex(w.finish())).toBe(toHex(payloadBytes));
  });

  test("refuses the same bytes when the declared end is one byte short", () => {
    let failure: unknown;
    try {
      module!.decode(new Reader(payloadBytes), payloadBytes.length - 1);
    } catch (err) {
      failure = err;
    }
    expect(failure).toBeInstanceOf(DecodeFailure);
    expect((failure as DecodeFailure).code).toBe(E.PAYLOAD_LENGTH);
  });
});

test("the vectors cover every registered payload type", () => {
  expect(new Set(vectors.vectors.map((v) => payloadByCode(fromHex(v.essenceHex)[TYPE_AT])?.name))).toEqual(new Set(Object.keys(PAYLOADS)));
});

test("payload modules import only field helpers, limits, errors and byte helpers, never the codec", () => {
  const files = sourceFiles("client/protocol/payloads");
  const { edges } = importGraph(files);
  const allowed = new Set([
    "client/protocol/payloads/_fields.ts",
    "client/protocol/payloads/_module.ts",
    "client/protocol/limits.ts",
    "client/protocol/errors.ts",
    "client/protocol/bytes.ts",
    "client/util/byte-writer.ts",
  ]);
  const modules = files.filter((f) => !f.endsWith("/index.ts") && !path.basename(f).startsWith("_"));
  expect(modules.map((f) => path.basename(f, ".ts")).sort()).toEqual(Object.keys(PAYLOADS).sort()); // one file per registered type
  for (const f of modules) expect({ file: f, imports: edges.get(f)!.filter((to) => !allowed.has(to)) }).toEqual({ file: f, imports: [] });
  for (const f of files) expect(edges.get(f)).not.toContain("client/protocol/codec.ts");
});
