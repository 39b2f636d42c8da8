/**
 * A paused connection makes no more answers (issue 15, defect 6, found by the chaos suite): a
 * client that sends 64 getStream requests in one burst (one read on the node's side) and never
 * reads. Once the answers already made put its send buffer over API_LIMITS.maxBufferedBytesPerConnection,
 * the rest of the burst waits for the buffer to drain. Before, every request of the read ran (all of
 * them before the first answer went out), so one connection held 64 answers: ~11 MiB here, not 4,
 * and 32 such connections raised a node's RSS by 380 MiB.
 *
 * The node is in this process so that the send buffer can be read right after each send: the
 * node's sends are corked until the end of the turn, so the buffer then holds every answer of the turn.
 */
import WebSocket from "ws";
import { toHex } from "../../../client/protocol/bytes";
import { packFrame } from "../../../client/protocol/frame";
import { API_LIMITS } from "../../../node/api/limits";
import { startTestNode, TestNode } from "../../support/node";
import { alice, buildTx } from "../_helpers";

let t: TestNode;
afterAll(() => t?.close());

test("a burst of getStream from a client that never reads: answers stop at the buffer bound, the rest wait", async () => {
  t = await startTestNode();
  const stream = new Uint8Array(32).fill(5);
  let prev = new Uint8Array(32);
  for (let seq = 0; seq < 40; seq++) {
    const bytes = buildTx(t.node, alice, { type: "data", streamId: stream, sequence: seq, prevRecordId: prev, contentType: "application/octet-stream", data: new Uint8Array(4096).fill(seq) });
    const r = await t.node.submit(bytes);
    prev = Buffer.from(r.id, "hex");
  }
  const ws = new WebSocket(t.url);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  ws.pause(); // never reads
  ws.on("error", () => undefined);
  // The node's side of this connection: every send is followed by a look at its buffer.
  const conns = (t.started.api as unknown as { connections: Set<{ ws: WebSocket }> }).connections;
  await new Promise((r) => setTimeout(r, 50));
  expect(conns.size).toBe(1);
  const server = [...conns][0].ws;
  let sends = 0;
  let maxBuffered = 0;
  let answerBytes = 0;
  const send = server.send.bind(server);
  server.send = ((data: Uint8Array, ...rest: unknown[]) => {
    (send as (...a: unknown[]) => void)(data, ...rest);
    sends++;
    answerBytes = Math.max(answerBytes, data.length);
    maxBuffered = Math.max(maxBuffered, server.bufferedAmount);
  }) as typeof server.send;

  // One write of 64 WebSocket frames on the client's socket, so that the node reads them together.
  // Client frames are masked (RFC 6455 5.3); a zero mask leaves the payload as it is.
  const frames: Buffer[] = [];
  for (let id = 0; id < API_LIMITS.maxInFlightPerConnection; id++) {
    const payload = Buffer.from(packFrame({ id, method: "getStream", params: { streamId: toHex(stream), limit: 40 } }));
    expect(payload.length).toBeLessThan(126); // the one-byte length form
    frames.push(Buffer.from([0x82, 0x80 | payload.length, 0, 0, 0, 0]), payload);
  }
  (ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(Buffer.concat(frames));
  await new Promise((r) => setTimeout(r, 500));

  expect(answerBytes).toBeGreaterThan(160_000);
  expect(sends).toBeGreaterThan(0);
  // What was made: at most the bound plus the one answer that crossed it.
  expect({ sends, maxBuffered, within: maxBuffered <= API_LIMITS.maxBufferedBytesPerConnection + answerBytes }).toEqual({ sends, maxBuffered, within: true });
  expect(sends).toBeLessThan(API_LIMITS.maxInFlightPerConnection);
  ws.terminate();
});
