import type { Envelope } from '@tidings/core/protocol';
import type { ClientError } from './client-error.ts';
import type { TopicMap, TransportName } from './options.ts';

/** Where the client is: `idle` until it has a topic, `closed` after `close()` or a terminal error. */
export type ClientStatus = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** An event as delivered on any of the topics of `T`, its `data` typed by its topic. */
export type AnyEnvelope<T extends TopicMap> = {
  [K in keyof T & string]: Envelope<T[K]> & { topic: K };
}[keyof T & string];

/** The events of `client.on`. */
export interface ClientEvents<T extends TopicMap = TopicMap> {
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
  reset: (info: { cursor: string }) => void;
  /** Every event on every subscribed topic (including those of the `topics` option). */
  event: (envelope: AnyEnvelope<T>) => void;
  /** An error the app should hear about: a terminal one (also in `closed`) or a refused subscription. */
  error: (error: ClientError) => void;
}

/** A tidings client. */
export interface Client<T extends TopicMap = TopicMap> {
  /** Calls `handler` for every event on `topic` (at most once per id) and returns the unsubscribe function. */
  subscribe<K extends keyof T & string>(
    topic: K,
    handler: (data: T[K], envelope: Envelope<T[K]>) => void,
  ): () => void;
  /**
   * Publishes, over the WebSocket when one is open, else with `POST {url}/publish`, and resolves to
   * the event's id. The server must authorize the publish. The `event` name defaults to `"message"`.
   */
  publish<K extends keyof T & string>(topic: K, data: T[K], options?: { event?: string }): Promise<string>;
  /** Listens to a client event; returns the function that stops listening. */
  on<E extends keyof ClientEvents<T>>(name: E, listener: ClientEvents<T>[E]): () => void;
  /** Closes the connection (in a shared tab group: leaves it) and stops reconnecting. */
  close(): void;
  /** Where the client is now; see ClientStatus. */
  readonly status: ClientStatus;
  /** The transport of the open connection, if any. */
  readonly transport: TransportName | undefined;
  /** The id of the last event seen: store it to resume from there with the `cursor` option. */
  readonly cursor: string | undefined;
}
