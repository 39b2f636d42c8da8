/**
 * Snapshot transfer (peer protocol 5; node/peering/snapshot-serve.ts): the messages' forms, and a
 * real node serving its newest full file in `<data>/snapshots/` chunk by chunk to a raw peer over
 * 127.0.0.1; malformed or unsolicited snapshot messages are invalid data (closed 4003, banned).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { packFrame, unpackFrame } from "../../../client/protocol/frame";
import { parsePeerMessage, PEER_LIMITS, PeerCloseCode } from "../../../node/peering/protocol";
import { writeLiveSnapshot } from "../../../node/snapshot/periodic";
import { startTestNode, TestNode } from "../../support/node";
import { devHello, rawPeer, RawPeer } from "./_peer";

jest.setTimeout(60_000);

const parse = (m: unknown) => parsePeerMessage(packFrame(m), true, false);
const root = "ab".repeat(32);

describe("snapshot messages", () => {
  test("the well-formed ones are taken as they are", () => {
    expect(parse({ t: "snapreq" })).toEqual({ ok: true, msg: { t: "snapreq" } });
    expect(parse({ t: "snapnone" })).toEqual({ ok: true, msg: { t: "snapnone" } });
    expect(parse({ t: "snapinfo", index: 9, kind: "full", bytes: 1000, ledgerRoot: root })).toEqual({ ok: true, msg: { t: "snapinfo", index: 9, kind: "full", bytes: 1000, ledgerRoot: root } });
    expect(parse({ t: "snapget", index: 9, offset: 0 })).toEqual({ ok: true, msg: { t: "snapget", index: 9, offset: 0 } });
    const data = new Uint8Array(PEER_LIMITS.snapshotChunkBytes).fill(7);
    expect(parse({ t: "snapchunk", index: 9, offset: 49152, data, last: true })).toEqual({ ok: true, msg: { t: "snapchunk", index: 9, offset: 49152, data, last: true } });
    // A full chunk fits in one peer frame.
    expect(packFrame({ t: "snapchunk", index: 0xffff_ffff, offset: 2 ** 47, data, last: false }).length).toBeLessThan(PEER_LIMITS.maxFrameBytes);
  });

  test("anything else is a reason to penalize", () => {
    const bad: [unknown, string][] = [
      [{ t: "snapinfo", index: 0, kind: "full", bytes: 1000, ledgerRoot: root }, "bad snapinfo"],
      [{ t: "snapinfo", index: 9, kind: "delta", bytes: 1000, ledgerRoot: root }, "bad snapinfo"],
      [{ t: "snapinfo", index: 9, kind: "full", bytes: 0, ledgerRoot: root }, "bad snapinfo"],
      [{ t: "snapinfo", index: 9, kind: "full", bytes: 10, ledgerRoot: root.toUpperCase() }, "bad snapinfo"],
      [{ t: "snapget", index: 9 }, "bad snapget"],
      [{ t: "snapget", index: 9, offset: -1 }, "bad snapget"],
      [{ t: "snapget", index: 1.5, offset: 0 }, "bad snapget"],
      [{ t: "snapget", index: 9, offset: 2 ** 48 }, "bad snapget"],
      [{ t: "snapchunk", index: 9, offset: 0, data: new Uint8Array(PEER_LIMITS.snapshotChunkBytes + 1), last: false }, "bad snapchunk"],
      [{ t: "snapchunk", index: 9, offset: 0, data: "abc", last: true }, "bad snapchunk"],
      [{ t: "snapchunk", index: 9, offset: 0, data: new Uint8Array(0), last: false }, "bad snapchunk"],
      [{ t: "snapchunk", index: 9, offset: 0, data: new Uint8Array(3) }, "bad snapchunk"],
    ];
    for (const [m, why] of bad) expect(parse(m)).toEqual({ ok: false, why });
  });
});

describe("a node serving its snapshot", () => {
  let n: TestNode;
  let file: string;
  beforeAll(async () => {
    n = await startTestNode({});
    const t0 = Date.now();
    while (n.node.ledgerIndex < 2 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
    const dir = path.join(n.dataDir, "snapshots");
    fs.mkdirSync(dir, { recursive: true });
    const w = await writeLiveSnapshot(n.node.store, n.node.genesis, path.join(dir, "tmp.snap"));
    // The server reads only the header: a file of 2.5 chunks (the real one, padded) is served as it is.
    file = path.join(dir, `full-${w.index + 1000}.snap`);
    fs.writeFileSync(file, Buffer.concat([fs.readFileSync(w.file), randomBytes(Math.ceil(2.5 * PEER_LIMITS.snapshotChunkBytes))]));
    // An older file beside it is not the one served.
    fs.renameSync(w.file, path.join(dir, `full-${w.index}.snap`));
  });
  afterAll(() => n.close());

  async function hello(address: string): Promise<RawPeer> {
    const p = await rawPeer(n.port, address);
    p.send(devHello());
    return p;
  }
  const answers = (p: RawPeer, t: string) => p.frames.map((f) => unpackFrame(f) as any).filter((m) => m.t === t);
  async function answer(p: RawPeer, t: string, count: number): Promise<any> {
    const t0 = Date.now();
    while (answers(p, t).length < count) {
      if (Date.now() - t0 > 5000) throw new Error(`no ${t}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return answers(p, t)[count - 1];
  }

  test("snapinfo names the newest full file; its chunks, asked one after another, are the file's bytes", async () => {
    const p = await hello("127.0.0.4");
    p.send({ t: "snapreq" });
    const bytes = fs.readFileSync(file);
    const info = await answer(p, "snapinfo", 1);
    // The index is the header's (the file's name says 1000 more).
    expect(info).toMatchObject({ t: "snapinfo", index: Number(/full-(\d+)/.exec(file)![1]) - 1000, kind: "full", bytes: bytes.length });
    const parts: Buffer[] = [];
    for (let offset = 0, k = 1; ; k++) {
      p.send({ t: "snapget", index: info.index, offset });
      const c = await answer(p, "snapchunk", k);
      expect([c.index, c.offset]).toEqual([info.index, offset]);
      parts.push(Buffer.from(c.data));
      offset += c.data.length;
      if (c.last) break;
    }
    expect(parts.map((x) => x.length)).toEqual([PEER_LIMITS.snapshotChunkBytes, PEER_LIMITS.snapshotChunkBytes, bytes.length - 2 * PEER_LIMITS.snapshotChunkBytes]);
    expect(Buffer.concat(parts).equals(bytes)).toBe(true);
    // A file it was not offered: snapnone.
    p.send({ t: "snapget", index: info.index + 1, offset: 0 });
    await answer(p, "snapnone", 1);
    // Past the end of the offered file: invalid data.
    p.send({ t: "snapget", index: info.index, offset: bytes.length });
    expect(await p.closed).toBe(PeerCloseCode.INVALID_DATA);
  });

  test("malformed or unsolicited snapshot messages close the connection as invalid data, and the address is banned", async () => {
    for (const [i, m] of [{ t: "snapget", index: 1, offset: -5 }, { t: "snapchunk", index: 1, offset: 0, data: new Uint8Array(4), last: true }, { t: "snapinfo", index: 1, kind: "full", bytes: 5, ledgerRoot: root }, { t: "snapnone" }].entries()) {
      const addr = `127.0.0.${10 + i}`;
      const p = await hello(addr);
      await answer(p, "hello", 1);
      p.send(m);
      expect(await p.closed).toBe(PeerCloseCode.INVALID_DATA);
      const again = await rawPeer(n.port, addr);
      expect(await again.closed).toBe(PeerCloseCode.BANNED);
    }
  });
});
