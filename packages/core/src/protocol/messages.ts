/** The event envelope, the same JSON object on every transport. */
export interface Envelope<T = unknown> {
  id: string;
  topic: string;
  event: string;
  data: T;
  /**
   * Set on an event of a conflated topic (the hub's `conflateTopics`) that stands for older events
   * of the same topic and event name the client never got: it fell behind, or resumed, and only
   * the newest value of that name was sent. Absent otherwise.
   */
  conflated?: true;
}

/**
 * Body of a short-poll or long-poll answer. `reset: true`: the client's events are gone and it goes
 * on from `cursor` (the head), `events` is empty. `resetTopics`: those of its topics lost events
 * after its cursor; what they still retain is in `events`, like everything else.
 */
export interface PollResponse<T = unknown> {
  events: Envelope<T>[];
  cursor: string;
  reset?: true;
  resetTopics?: string[];
  /**
   * Set on the answer a waiting long poll gets when the hub shuts down: wait this long (ms) before
   * the next poll, this client's own share of the hub's `drainSpreadMs`.
   */
  retryMs?: number;
}

/** Messages the server sends over a WebSocket. */
export type ServerMessage =
  | { type: 'welcome'; connectionId: string; cursor: string; heartbeat: number }
  | ({ type: 'event' } & Envelope)
  | { type: 'reset'; cursor: string; topics?: string[] }
  | { type: 'unsubscribed'; topics: string[] }
  /**
   * A `publish` with a `ref` was stored as event `id`; `duplicate: true` when its `key` repeated an
   * earlier publish's within the idempotency window: `id` is that first event's, nothing new was published.
   */
  | { type: 'ack'; ref: string; id: string; duplicate?: true }
  | { type: 'error'; code: string; message: string; ref?: string; topics?: string[] }
  /** The answer to an `auth` message on an open socket: the connection's credential now ends at `expiresAt` (ms; null: never). */
  | { type: 'authenticated'; expiresAt: number | null }
  /**
   * Sent right before the server closes the socket (1001 `unavailable`, the hub shutting down): come
   * back after `retryMs`, this client's own share of the hub's `drainSpreadMs`.
   */
  | { type: 'close'; code: string; retryMs: number }
  | { type: 'ping' }
  | { type: 'pong' };

/** Messages a client sends over a WebSocket. */
export type ClientMessage =
  | { type: 'subscribe'; topics: string[]; cursor?: string }
  | { type: 'unsubscribe'; topics: string[] }
  /**
   * `key`: an idempotency key (see `isValidIdempotencyKey`): a publish repeating the key of an
   * earlier one of the same principal, within the hub's idempotency window, publishes nothing.
   */
  | { type: 'publish'; topic: string; event?: string; data: unknown; ref?: string; key?: string }
  /**
   * The credential, sent as the first message of a socket that opened without one (instead of a
   * token in the URL), or later on an open socket to refresh it before it expires.
   */
  | { type: 'auth'; token: string }
  | { type: 'ping' }
  | { type: 'pong' };

/** The `data` of an SSE `close` event: why the server ended the stream and when to come back. */
export interface CloseNotice {
  code: string;
  retryMs: number;
}

/** Default event name, left out of SSE frames. */
export const DEFAULT_EVENT = 'message';

/** The longest token an `auth` message may carry, in characters. */
export const MAX_TOKEN_LENGTH = 8192;
