/**
 * The bootstrap client (node/snapshot/bootstrap.ts) against a peer that misbehaves: a WebSocket
 * server on 127.0.0.1 speaking the peer protocol by hand (hello, snapinfo, snapchunk as each case
 * says). A download that goes wrong is ERR_BOOTSTRAP_DOWNLOAD; a download that completes over
 * several chunks reaches verification (bytes that are no snapshot: ERR_BOOTSTRAP_VERIFY naming
 * ERR_SNAPSHOT_MALFORMED); each leaves the data directory empty. The real node serving its file and
 * a real bootstrap: bootstrap.process.test.ts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import WebSocket from "ws";
import { packFrame, unpackFrame } from "../../../client/protocol/frame";
import { devGenesis } from "../../../node/networks/dev";
import { silentLogger } from "../../../node/logger";
import { PEER_LIMITS } from "../../../node/peering/protocol";
import { bootstrapFromPeers } from "../../../node/snapshot/bootstrap";
import { devHello } from "../peering/_peer";

type Mode = "whole" | "wrong-offset" | "short" | "close" | "none";

const file = randomBytes(Math.ceil(2.5 * PEER_LIMITS.snapshotChunkBytes));
let tmp: string;
beforeAll(() => void (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tangle-bootstrap-unit-"))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A peer on 127.0.0.1 that offers `file` as snapshot 5 and answers snapget as `mode` says. */
async function fakePeer(mode: Mode): Promise<{ url: string; asked: number[]; close(): Promise<void> }> {
  const wss = new WebSocket.Server({ host: "127.0.0.1", port: 0, path: "/peer" });
  await new Promise((r) => wss.once("listening", r));
  const asked: number[] = [];
  wss.on("connection", (ws) => {
    ws.send(packFrame(devHello()));
    ws.on("message", (d: Buffer) => {
      const m = unpackFrame(d) as any;
      if (m.t === "snapreq") ws.send(packFrame(mode === "none" ? { t: "snapnone" } : { t: "snapinfo", index: 5, kind: "full", bytes: file.length, ledgerRoot: "ab".repeat(32) }));
      if (m.t !== "snapget") return;
      asked.push(m.offset);
      const data = file.subarray(m.offset, m.offset + PEER_LIMITS.snapshotChunkBytes);
      const last = m.offset + data.length >= file.length;
      if (mode === "close" && m.offset > 0) return ws.terminate();
      if (mode === "wrong-offset" && m.offset > 0) return ws.send(packFrame({ t: "snapchunk", index: 5, offset: m.offset + 1, data, last }));
      if (mode === "short" && m.offset > 0) return ws.send(packFrame({ t: "snapchunk", index: 5, offset: m.offset, data: data.subarray(0, 10), last: true }));
      ws.send(packFrame({ t: "snapchunk", index: 5, offset: m.offset, data, last }));
    });
  });
  const port = (wss.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    asked,
    close: () => {
      for (const c of wss.clients) c.terminate();
      return new Promise((r) => wss.close(() => r()));
    },
  };
}

const cases: [Mode, string, RegExp][] = [
  ["wrong-offset", "ERR_BOOTSTRAP_DOWNLOAD", /a chunk of snapshot 5 at 49153; asked for 5 at 49152/],
  ["short", "ERR_BOOTSTRAP_DOWNLOAD", /do not add up to the 122880 bytes offered/],
  ["close", "ERR_BOOTSTRAP_DOWNLOAD", /connection closed/],
  ["none", "ERR_BOOTSTRAP_NO_SNAPSHOT", /the peer has no snapshot to serve/],
  ["whole", "ERR_BOOTSTRAP_VERIFY", /ERR_SNAPSHOT_MALFORMED/],
];

test.each(cases)("a peer whose snapshot answers are %s: %s, the data directory left empty", async (mode, code, why) => {
  const peer = await fakePeer(mode);
  const dataDir = path.join(tmp, mode);
  try {
    await expect(bootstrapFromPeers({ dataDir, genesis: devGenesis(), peers: [peer.url], log: silentLogger() })).rejects.toMatchObject({ code, message: expect.stringMatching(why) });
    expect(fs.existsSync(dataDir) ? fs.readdirSync(dataDir) : []).toEqual([]);
    // One chunk at a time, in order, from the start (the whole file: all three asked).
    if (mode !== "none") expect(peer.asked).toEqual(mode === "whole" ? [0, PEER_LIMITS.snapshotChunkBytes, 2 * PEER_LIMITS.snapshotChunkBytes] : [0, PEER_LIMITS.snapshotChunkBytes]);
  } finally {
    await peer.close();
  }
});

test("a data directory that is not empty is left alone: nothing asked, nothing changed", async () => {
  const peer = await fakePeer("whole");
  const dataDir = path.join(tmp, "not-empty");
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(path.join(dataDir, "keep"), "x");
  try {
    expect(await bootstrapFromPeers({ dataDir, genesis: devGenesis(), peers: [peer.url], log: silentLogger() })).toEqual({ imported: false });
    expect(fs.readdirSync(dataDir)).toEqual(["keep"]);
    expect(peer.asked).toEqual([]);
  } finally {
    await peer.close();
  }
});
