/** The node API client: typed methods, subscriptions, reconnection (see client.ts). */
export { ApiClient, hex32 } from "./client";
export type { ApiClientOptions, BackoffOptions, ClientEvents, ConnectionState, RequestOptions } from "./client";
export { ClientErrorCode, NodeApiError, TangleClientError, hasCode, isTransient } from "./errors";
export { Subscription } from "./subscription";
export { defaultWebSocket, setDefaultWebSocket } from "./socket";
export type { WebSocketConstructor, WebSocketLike } from "./socket";
export type * from "./types";
