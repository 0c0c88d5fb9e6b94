/** The event envelope, the same JSON object on every transport. */
export interface Envelope<T = unknown> {
  id: string;
  topic: string;
  event: string;
  data: T;
}

/** Body of a short-poll or long-poll answer. */
export interface PollResponse<T = unknown> {
  events: Envelope<T>[];
  cursor: string;
  reset?: true;
}

/** Messages the server sends over a WebSocket. */
export type ServerMessage =
  | { type: 'welcome'; connectionId: string; cursor: string; heartbeat: number }
  | ({ type: 'event' } & Envelope)
  | { type: 'reset'; cursor: string }
  | { type: 'ack'; ref: string; id: string }
  | { type: 'error'; code: string; message: string; ref?: string }
  | { type: 'ping' }
  | { type: 'pong' };

/** Messages a client sends over a WebSocket. */
export type ClientMessage =
  | { type: 'subscribe'; topics: string[]; cursor?: string }
  | { type: 'unsubscribe'; topics: string[] }
  | { type: 'publish'; topic: string; event?: string; data: unknown; ref?: string }
  | { type: 'ping' }
  | { type: 'pong' };

/** The `data` of an SSE `close` event: why the server ended the stream and when to come back. */
export interface CloseNotice {
  code: string;
  retryMs: number;
}

/** Default event name, left out of SSE frames. */
export const DEFAULT_EVENT = 'message';
