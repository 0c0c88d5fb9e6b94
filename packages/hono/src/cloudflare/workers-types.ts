/** The server end of a `WebSocketPair` in workerd. */
export interface WorkersWebSocket {
  readonly readyState: number;
  /** Starts delivering events to this Worker or object (the non-hibernating API). */
  accept(): void;
  send(message: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message' | 'close' | 'error', listener: (event: Event) => void): void;
}

/** The `DurableObjectState` a Durable Object is constructed with; the hub host uses none of it. */
export type DurableObjectStateLike = object;

/**
 * A Durable Object namespace binding, typed loosely so that `DurableObjectNamespace<YourHub>` from
 * `@cloudflare/workers-types` fits it.
 */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: never): unknown;
}
