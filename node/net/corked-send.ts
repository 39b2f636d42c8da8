/**
 * Sends a WebSocket frame with the socket corked until the current batch of callbacks and promise
 * jobs has run: answers finished together (a storage commit acknowledges many transactions at
 * once) leave in one write system call instead of one each.
 */
import type { Socket } from "node:net";
import WebSocket from "ws";

const corked = new WeakSet<Socket>();

function uncork(socket: Socket): void {
  corked.delete(socket);
  socket.uncork();
}

export function sendCorked(ws: WebSocket, data: Uint8Array): void {
  // `ws` keeps its socket in a field it does not type; without one, a plain send.
  const socket = (ws as unknown as { _socket?: Socket })._socket;
  if (socket && !corked.has(socket) && !socket.destroyed) {
    socket.cork();
    corked.add(socket);
    process.nextTick(uncork, socket);
  }
  ws.send(data);
}
