import { type Envelope, RESERVED_EVENT_PREFIX } from '@tidings/core/protocol';
import type { Client, ClientEvents, ClientStatus, PublishState, ResetInfo } from './client.ts';
import { ClientError } from './client-error.ts';
import { createBackoff } from './internal/backoff.ts';
import { createConnection, type NoticeInfo, type Sink } from './internal/connection.ts';
import { createDedupe } from './internal/dedupe.ts';
import type { PublishMessage } from './internal/link.ts';
import { createSharedConnection } from './internal/shared-connection.ts';
import { watchWake } from './internal/watch-wake.ts';
import {
  type ClientOptions,
  checkTopic,
  resolveOptions,
  type TopicMap,
  type TransportName,
} from './options.ts';

// biome-ignore lint/suspicious/noExplicitAny: listeners and callbacks of every signature, called by slot
type Any = any;

// Refusals that are not about the publish: the server may take it later.
const RETRY: string[] = ['network', 'disconnected', 'rate_limited', 'unavailable'];
/** One subscription: its handler, `onError` and `onReset`. */
type Entry = [
  (data: unknown, envelope: Envelope) => void,
  ((error: ClientError) => void) | undefined,
  ((info: ResetInfo) => void) | undefined,
];

// The set of `key` in `map`, made if new (then empty).
const setOf = <V>(map: Map<string, Set<V>>, key: string): Set<V> =>
  map.get(key) ?? map.set(key, new Set()).get(key)!;

// A throwing handler must not break delivery to the others or the connection: report it, go on.
function call<A extends unknown[]>(fn: (...args: A) => void, ...args: A): void {
  try {
    fn(...args);
  } catch (error) {
    setTimeout(() => {
      throw error;
    });
  }
}

/**
 * Creates a client. It connects once it has a topic (from `topics` or `subscribe`), picks the best
 * transport that works, and keeps every subscription alive across reconnects without losing events.
 *
 * @example
 * const client = createClient<{ notes: { text: string } }>({ url: '/realtime' });
 * const off = client.subscribe('notes', (note) => console.log(note.text));
 * await client.publish('notes', { text: 'hello' });
 */
export function createClient<T extends TopicMap = Record<string, unknown>>(
  options: ClientOptions<T>,
): Client<T> {
  const o = resolveOptions(options as ClientOptions);
  const subscriptions = new Map<string, Set<Entry>>();
  // Each listener in an array of its own, like a subscription's callbacks.
  const listeners = new Map<string, Set<[Any]>>();
  // Topics the server refused, with the error each subscription to them got.
  const refused = new Map<string, ClientError>();
  const seen = createDedupe();
  let waiting: [() => void, (error: ClientError) => void][] = [];
  let cursor = o.cursor;
  let status: ClientStatus = 'idle';
  let transport: TransportName | undefined;
  // The change of topics on its way to the connection, if one is.
  let retopicking: Promise<void> | undefined;
  let closed: boolean | undefined;
  // Idempotency keys: random per client, then counted.
  const prefix = Math.random().toString(36).slice(2);
  let keys = 0;
  // The publishes waiting for their answer, in order.
  const outbox = new Set<PublishMessage>();
  let tail: Promise<unknown> = Promise.resolve();
  const final = () => new ClientError('closed');
  // What subscribe and publish check first.
  const check = (topic: string): void => {
    if (closed) throw final();
    checkTopic(topic);
  };

  // Calls one callback (a subscription's 0 handler, 1 onError, 2 onReset; a listener's 0) of every
  // entry under `key` that has it.
  const each = (map: Map<string, Set<Any[]>>, key: string, slot: number, ...args: unknown[]): void => {
    for (const entry of map.get(key) ?? []) if (entry[slot]) call(entry[slot], ...args);
  };
  const emit = (name: string, arg: unknown): void => each(listeners, name, 0, arg);
  const mine = (topic: string) => subscriptions.has(topic) || o.topics.includes(topic);

  const sink: Sink = {
    cursor: () => cursor,
    setCursor(c) {
      cursor = c;
    },
    event(envelope) {
      const { id, topic, event, data } = envelope as Envelope<Any>;
      if (seen(id)) return;
      cursor = id;
      // A shared connection carries every tab's topics: this tab hears its own only.
      if (!mine(topic)) return;
      if (event.startsWith(RESERVED_EVENT_PREFIX)) {
        return emit('presence', {
          id,
          topic,
          // After RESERVED_EVENT_PREFIX, `tidings:`.
          action: event.slice(8),
          user: data.user,
        });
      }
      each(subscriptions, topic, 0, data, envelope);
      emit('event', envelope);
    },
    reset(info) {
      const topics = info.topics;
      // A reset of some topics moves nothing: what they retain follows, like every other event.
      if (!topics) cursor = info.cursor;
      // This tab's subscriptions to those topics, or to every topic (`each` skips the others).
      for (const topic of new Set(topics ?? subscriptions.keys())) each(subscriptions, topic, 2, info);
      emit('reset', info);
    },
    error(error) {
      const topic = error.topic;
      if (topic) {
        // Heard once per refusal, by this tab's own topics only.
        if (refused.has(topic) || !mine(topic)) return;
        refused.set(topic, error);
        each(subscriptions, topic, 1, error);
      }
      emit('error', error);
    },
    notify(name, info: NoticeInfo) {
      if (closed) return;
      const open = name === 'open';
      if (name !== 'fallback') {
        // A restart on the same transport (a wake-up, a topic change, another tab taking over) is not news.
        if (open && status === name && transport === info.transport) return;
        status = name;
        transport = open ? info.transport : undefined;
      }
      // A terminal error is as final as close(): nothing reopens a closed client.
      closed = name === 'closed';
      if (open || closed) {
        for (const [resolve, reject] of waiting) closed ? reject(info.error ?? final()) : resolve();
        waiting = [];
      }
      emit(name, info);
      if (closed && info.error) emit('error', info.error);
    },
  };

  const upstream = (o.sharedConnection ? createSharedConnection : createConnection)(o, sink);

  /**
   * Queues one publish behind `before` (the one published before it) and sends it until the server
   * answers, again after each loss with the same key, telling the app each step. One in flight per
   * tab keeps the publishes in order on every path: HTTP requests could overtake each other, and a
   * new leader tab gets them anew.
   */
  const send = (message: PublishMessage, before: Promise<unknown>): Promise<string> => {
    const tell = (state: PublishState, id?: string, error?: unknown): void => {
      // An answer ends the wait: there is room for one more.
      if (id || error) outbox.delete(message);
      emit('publish', { ...message, state, id, error });
    };
    outbox.add(message);
    tell('queued');
    return before.then(async () => {
      for (const backoff = createBackoff(o); ; ) {
        try {
          if (closed) throw final();
          tell('sent');
          const id = await upstream.publish(message);
          tell('acknowledged', id);
          return id;
          // biome-ignore lint/suspicious/noExplicitAny: a ClientError, or whatever else went wrong
        } catch (error: any) {
          // Lost before the answer, or the server is away for now: again, with the same key.
          if (!(RETRY.includes(error.code) || error.status > 499)) {
            tell('refused', undefined, error);
            throw error;
          }
        }
        // At the next `open`, or after a backoff (a client with no topic has no connection to open).
        await new Promise<void>((resolve) => {
          waiting.push([resolve, resolve as () => void]);
          setTimeout(resolve, backoff.next());
        });
      }
    });
  };
  const stopWatching = watchWake((online) => {
    if (online || status !== 'open') upstream.wake();
  });
  // Topic changes made in one turn (several subscribe calls) reach the connection as one.
  const retopic = (): unknown =>
    (retopicking ||= Promise.resolve().then(() => {
      retopicking = undefined;
      // After close() the connection ignores it.
      upstream.topics([...new Set([...o.topics, ...subscriptions.keys()])]);
    }));
  retopic();

  const client: Client<T> = {
    subscribe(topic, handler, subscribeOptions) {
      check(topic);
      const set = setOf(subscriptions, topic);
      if (!set.size) retopic();
      // A new array each time, so the same function subscribed twice is called twice and unsubscribed once.
      const entry: Entry = [handler as Entry[0], subscribeOptions?.onError, subscribeOptions?.onReset];
      set.add(entry);
      const error = refused.get(topic);
      if (error && entry[1]) queueMicrotask(() => call(entry[1]!, error));
      return () => {
        if (set.delete(entry) && !set.size) {
          subscriptions.delete(topic);
          // Nobody wants it now: a later subscribe asks the server again.
          refused.delete(topic);
          retopic();
        }
      };
    },
    // Async, so that each refusal is a rejection.
    async publish(topic, data, publishOptions) {
      check(topic);
      if (outbox.size >= o.maxOutbox) throw new ClientError('outbox_full', `${outbox.size} waiting`);
      const sent = send({ topic, data, event: publishOptions?.event, key: `${prefix}.${++keys}` }, tail);
      tail = sent.catch(String);
      return sent;
    },
    ready: () =>
      new Promise((resolve, reject) => {
        status === 'open' ? resolve() : closed ? reject(final()) : waiting.push([resolve, reject]);
      }),
    on<E extends keyof ClientEvents<T>>(name: E, listener: ClientEvents<T>[E]) {
      // A new array each time: the same function added twice is called twice.
      const entry: [Any] = [listener];
      const set = setOf(listeners, name).add(entry);
      return () => {
        set.delete(entry);
      };
    },
    close() {
      stopWatching();
      upstream.close();
      sink.notify('closed', {});
    },
    get status() {
      return status;
    },
    get transport() {
      return transport;
    },
    get cursor() {
      return cursor;
    },
  };
  // With `persist`, the IndexedDB part loads (only then). It stores the outbox from then on, and what
  // tabs that are gone left unanswered goes first. Where it cannot (Node, a private window), the
  // outbox stays in memory.
  if (o.persist) {
    tail = import('./internal/persisted-outbox.ts')
      .then((m) => m.persistOutbox(o, client as Client, outbox, send, emit, ClientError))
      .catch(String);
  }
  return client;
}
