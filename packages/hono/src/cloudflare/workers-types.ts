/** A server-side WebSocket in workerd, with the hibernation API's attachment. */
export interface WorkersWebSocket {
  readonly readyState: number;
  send(message: string): void;
  close(code?: number, reason?: string): void;
  /** Keeps a small structured-clone value with the socket, across hibernation. */
  serializeAttachment(value: unknown): void;
  deserializeAttachment(): unknown;
}

/** The part of `DurableObjectState` the hub host uses. */
export interface DurableObjectStateLike {
  /** Hands the socket to the runtime, which calls `webSocketMessage`/`webSocketClose` and may hibernate. */
  acceptWebSocket(ws: WorkersWebSocket, tags?: string[]): void;
  getWebSockets(tag?: string): WorkersWebSocket[];
  /** A reply the runtime sends itself, without running (or waking) the object. */
  setWebSocketAutoResponse(pair?: unknown): void;
}

/**
 * A Durable Object namespace binding, typed loosely so that `DurableObjectNamespace<YourHub>` from
 * `@cloudflare/workers-types` fits it.
 */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: never): unknown;
}
