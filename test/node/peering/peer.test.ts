/**
 * Peer (node/peering/peer.ts) over a real WebSocket on 127.0.0.1 whose far end does not read:
 * gossip queues while the socket buffer is over its bound, and the queue is bounded in bytes as
 * well as in count (10,000 full frames used to be kept: 640 MiB for one peer that never reads),
 * dropping the oldest; once the far end reads again the queue drains in order.
 */
import { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import { Peer } from "../../../node/peering/peer";
import { PEER_LIMITS } from "../../../node/peering/protocol";

test("gossip to a peer that does not read is queued within maxQueuedBytesPerPeer, oldest dropped, then drained", async () => {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((r) => wss.once("listening", r));
  const far = new Promise<WebSocket>((r) => wss.once("connection", (ws) => r(ws)));
  const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  await new Promise((r) => ws.once("open", r));
  const remote = await far;
  remote.pause(); // reads nothing
  let received = 0;
  remote.on("message", () => received++);
  const peer = new Peer("test", ws, "out");
  const frame = 60 * 1024;
  const count = 2000; // 117 MiB offered, all of it while the socket is congested
  for (let i = 0; i < count; i++) peer.sendTx(new Uint8Array(frame).fill(i & 0xff));
  const queued = peer.queue.reduce((n, b) => n + b.length, 0);
  expect(peer.queuedBytes).toBe(queued);
  expect(queued).toBeLessThanOrEqual(PEER_LIMITS.maxQueuedBytesPerPeer);
  expect(peer.queueDrops).toBe(count - peer.sent - peer.queue.length);
  expect(peer.queueDrops).toBeGreaterThan(0);
  // The newest are kept.
  expect(peer.queue[peer.queue.length - 1][0]).toBe((count - 1) & 0xff);
  remote.resume();
  const deadline = Date.now() + 10_000;
  while (peer.queue.length > 0 && Date.now() < deadline) {
    peer.flush();
    await new Promise((r) => setTimeout(r, PEER_LIMITS.flushIntervalMs));
  }
  expect(peer.queue.length).toBe(0);
  expect(peer.queuedBytes).toBe(0);
  while (received < peer.sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  expect(received).toBe(peer.sent);
  ws.terminate();
  await new Promise((r) => wss.close(r));
}, 20_000);
