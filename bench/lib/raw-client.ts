/**
 * A raw request function over one API WebSocket, for load generators: every answer is returned
 * whole (a refusal is an answer with `error`, counted by the caller by its code), with no timer,
 * queue entry or abort hook per request as the client library has. Once the connection is closed,
 * every request in flight and every later one is answered `{ error: { code: "closed <code>" } }`.
 * Setup and observation in the suites go through the client library (ApiClient) instead.
 */
import WebSocket from "ws";
import { packFrame, unpackFrame } from "../../client/protocol/frame";

/** An answer frame as read: `{ id, result }` or `{ id, error: { code, message } }`. */
export type RawAnswer = any;

export interface RawClient {
  call(method: string, params?: unknown): Promise<RawAnswer>;
  close(): void;
  /** Whether the connection is still open. */
  readonly open: boolean;
}

export async function openRawClient(url: string): Promise<RawClient> {
  const ws = new WebSocket(url);
  await new Promise((r, j) => (ws.once("open", r), ws.once("error", j)));
  let nextId = 1;
  let closedWith: number | undefined;
  const pending = new Map<number, (m: RawAnswer) => void>();
  ws.on("message", (d: Buffer) => {
    const m = unpackFrame(d) as RawAnswer;
    const cb = pending.get(m?.id);
    if (cb) {
      pending.delete(m.id);
      cb(m);
    }
  });
  ws.on("close", (code) => {
    closedWith = code;
    for (const cb of pending.values()) cb({ error: { code: `closed ${code}` } });
    pending.clear();
  });
  return {
    call: (method, params) =>
      new Promise<RawAnswer>((resolve) => {
        if (ws.readyState !== WebSocket.OPEN) return resolve({ error: { code: `closed ${closedWith ?? 1006}` } });
        const id = nextId++;
        pending.set(id, resolve);
        ws.send(packFrame({ id, method, params }));
      }),
    close: () => ws.close(),
    get open() {
      return ws.readyState === WebSocket.OPEN;
    },
  };
}
