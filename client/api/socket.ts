/**
 * The WebSocket the client uses: the subset of the browser API that both the native WebSocket and
 * the `ws` package implement. The client never imports `ws` itself: browsers use the native one
 * (found on globalThis), Node registers `ws` once through client/node.ts (`setDefaultWebSocket`), and
 * anyone may pass a constructor explicitly.
 */
export interface WebSocketLike {
  readonly readyState: number;
  binaryType: string;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export const WS_OPEN = 1;

let registered: WebSocketConstructor | undefined;

/** Sets the WebSocket used when none is passed (client/node.ts registers `ws`). */
export function setDefaultWebSocket(ctor: WebSocketConstructor | undefined): void {
  registered = ctor;
}

/** The registered WebSocket, else the global one (browsers, Node 22+), else undefined. */
export function defaultWebSocket(): WebSocketConstructor | undefined {
  if (registered) return registered;
  const g = (globalThis as { WebSocket?: unknown }).WebSocket;
  return typeof g === "function" ? (g as WebSocketConstructor) : undefined;
}

/** Bytes of a received frame, whatever the implementation delivered. */
export function frameBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data) && data.every((d) => ArrayBuffer.isView(d))) {
    const parts = data as ArrayBufferView[];
    const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const p of parts) {
      out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
      at += p.byteLength;
    }
    return out;
  }
  return undefined;
}
