import type { Envelope } from '@tidings/core/protocol';
import type { ClientError } from './client-error.ts';
import type { TopicMap, TransportName } from './options.ts';

/** Where the client is: `idle` until it has a topic, `closed` after `close()` or a terminal error. */
export type ClientStatus = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** An event as delivered on any of the topics of `T`, its `data` typed by its topic. */
export type AnyEnvelope<T extends TopicMap> = {
  [K in keyof T & string]: Envelope<T[K]> & { topic: K };
}[keyof T & string];

/**
 * Where a publish is: `queued` in the outbox (not connected, or behind earlier publishes), `sent` to
 * the server and waiting for its answer (again after a reconnect), then `acknowledged` (stored as
 * event `id`) or `refused` (`error` says why; nothing was published).
 */
export type PublishState = 'queued' | 'sent' | 'acknowledged' | 'refused';

/** A step of one publish, as `on('publish')` tells it. */
export interface PublishInfo {
  /** The publish's idempotency key: random, the same each time it is sent. */
  key: string;
  topic: string;
  event?: string;
  data: unknown;
  state: PublishState;
  /** The event id, once `acknowledged`. */
  id?: string;
  /** Why it was `refused`. */
  error?: ClientError;
}

/** Options of `publish`. */
export interface PublishOptions {
  /** The event name. Default `"message"`. */
  event?: string;
}

/** The events of `client.on`. */
export interface ClientEvents<T extends TopicMap = Record<string, unknown>> {
  /** The first connection attempt starts. */
  connecting: (info: { transport: TransportName }) => void;
  /** A transport delivers; again after every reconnect, fallback or probe that changed the transport. */
  open: (info: { transport: TransportName }) => void;
  /** The connection was lost; the next attempt comes after `delayMs`. */
  reconnecting: (info: { attempt: number; delayMs: number; error: ClientError }) => void;
  /** A transport could not open or did not deliver; the client moves to the next one. */
  fallback: (info: { from: TransportName; to: TransportName; reason: string }) => void;
  /** The client stopped: `close()` was called, or a terminal error (then `error` is set). */
  closed: (info: { error?: ClientError }) => void;
  /** The server no longer has the events after the client's cursor: reload your state, then carry on. */
  reset: (info: ResetInfo) => void;
  /** Every event on every subscribed topic (including those of the `topics` option), presence events aside. */
  event: (envelope: AnyEnvelope<T>) => void;
  /**
   * A user's first connection to a topic with presence on (the server's `presence` option) opened
   * (`join`), or their last one closed (`leave`): once per user, however many tabs and nodes. These
   * are events of the topic's log (`tidings:join`, `tidings:leave`): they resume like any other,
   * and they reach neither `subscribe` handlers nor `on('event')`.
   */
  presence: (info: { topic: keyof T & string; action: 'join' | 'leave'; user: string; id: string }) => void;
  /**
   * An error the app should hear about: a terminal one (also in `closed`), or a refused topic (one
   * error per topic, `error.topic` naming it; the other topics carry on), or one the server took
   * away from the connection (`hub.unsubscribe`: code `unsubscribed`, likewise).
   */
  error: (error: ClientError) => void;
  /** A publish of this client moved on: queued, sent, acknowledged or refused (see PublishState). */
  publish: (info: PublishInfo) => void;
}

/**
 * A reset: events after the cursor are gone from the server. Without `topics` every topic lost
 * events and the client goes on from `cursor`; with `topics` only those did (what they still retain
 * follows), and the cursor does not move.
 */
export interface ResetInfo {
  cursor: string;
  topics?: string[];
}

/** Per-subscription callbacks of `subscribe`. */
export interface SubscribeOptions {
  /**
   * The server refused this topic (`error.code` `forbidden`, `error.topic` the topic), or took it
   * away from the open connection (`unsubscribed`: `hub.unsubscribe`, told over WebSocket and SSE);
   * the client's other topics carry on, and the topic is not asked for on later connections. Called
   * once per subscription, also for one made afterwards. A topic is asked for again once every
   * subscription to it has been dropped and one is made anew.
   */
  onError?: (error: ClientError) => void;
  /** Events of this topic were lost (a reset of every topic, or of this one): reload what it shows. */
  onReset?: (info: ResetInfo) => void;
}

/** A tidings client. */
export interface Client<T extends TopicMap = Record<string, unknown>> {
  /**
   * Calls `handler` for every event on `topic` (at most once per id) and returns the unsubscribe
   * function. `options` hears what happens to this one subscription: a refusal, a reset. Throws a
   * `ClientError` `closed` after `close()`.
   */
  subscribe<K extends keyof T & string>(
    topic: K,
    handler: (data: T[K], envelope: Envelope<T[K]>) => void,
    options?: SubscribeOptions,
  ): () => void;
  /**
   * Publishes, over the WebSocket when one is open, else with `POST {url}/publish`, and resolves to
   * the event's id; the server must authorize the publish. It waits in the outbox until the server
   * answers: sent again after a reconnect with the same idempotency key, in the order published.
   * Rejects with the server's refusal, with `outbox_full` when `maxOutbox` publishes wait already,
   * and with `closed` after `close()`.
   */
  publish<K extends keyof T & string>(topic: K, data: T[K], options?: PublishOptions): Promise<string>;
  /**
   * Resolves when the client is open: at once if it is, else at its next `open`. Rejects with the
   * error if the client closes first (`closed` after `close()`). The client connects once it has a
   * topic: without one this waits.
   */
  ready(): Promise<void>;
  /** Listens to a client event; returns the function that stops listening. */
  on<E extends keyof ClientEvents<T>>(name: E, listener: ClientEvents<T>[E]): () => void;
  /**
   * Closes the connection (in a shared tab group: leaves it) and stops reconnecting, for good: a
   * closed client does not reopen (`subscribe` throws, `publish` and `ready` reject, with a
   * `ClientError` `closed`). Create a new client to connect again.
   */
  close(): void;
  /** Where the client is now; see ClientStatus. */
  readonly status: ClientStatus;
  /** The transport of the open connection, if any. */
  readonly transport: TransportName | undefined;
  /** The id of the last event seen: store it to resume from there with the `cursor` option. */
  readonly cursor: string | undefined;
}
