import { type Envelope, isValidTopic } from '@tidings/core/protocol';
import type { Client, ClientEvents, ClientStatus } from './client.ts';
import { createConnection, type NoticeInfo, type Sink } from './internal/connection.ts';
import { createDedupe } from './internal/dedupe.ts';
import { createSharedConnection } from './internal/shared-connection.ts';
import { watchWake } from './internal/watch-wake.ts';
import { type ClientOptions, resolveOptions, type TopicMap, type TransportName } from './options.ts';

type Listener = (...args: never[]) => void;

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
export function createClient<T extends TopicMap = TopicMap>(options: ClientOptions<T>): Client<T> {
  const o = resolveOptions(options as ClientOptions);
  const handlers = new Map<string, Set<(data: unknown, envelope: Envelope) => void>>();
  const listeners = new Map<string, Set<Listener>>();
  const seen = createDedupe();
  let cursor = o.cursor;
  let status: ClientStatus = 'idle';
  let transport: TransportName | undefined;
  let queued = false;
  let closed = false;

  const emit = (name: string, arg: unknown): void => {
    for (const fn of listeners.get(name) ?? []) call(fn as (arg: unknown) => void, arg);
  };

  const sink: Sink = {
    getCursor: () => cursor,
    setCursor(c) {
      cursor = c;
    },
    event(envelope) {
      if (seen(envelope.id)) return;
      cursor = envelope.id;
      for (const handler of handlers.get(envelope.topic) ?? []) call(handler, envelope.data, envelope);
      emit('event', envelope);
    },
    reset(c) {
      cursor = c;
      emit('reset', { cursor: c });
    },
    error: (error) => emit('error', error),
    notify(name, info: NoticeInfo) {
      if (closed) return;
      if (name !== 'fallback') {
        // A restart on the same transport (a wake-up, a topic change) is not news.
        if (name === 'open' && status === 'open' && transport === info.transport) return;
        status = name;
        transport = name === 'open' ? info.transport : undefined;
      }
      emit(name, info);
      if (name === 'closed' && info.error) emit('error', info.error);
    },
  };

  const upstream = (o.sharedConnection ? createSharedConnection : createConnection)(o, sink);
  const stopWatching = watchWake(upstream.wake, o.wakeAfterHiddenMs);
  // Topic changes made in one turn (several subscribe calls) reach the connection as one.
  const retopic = (): void => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      if (!closed) upstream.setTopics([...new Set([...o.topics, ...handlers.keys()])]);
    });
  };
  retopic();

  return {
    subscribe(topic, handler) {
      if (!isValidTopic(topic)) throw new TypeError(`invalid topic ${topic}`);
      let set = handlers.get(topic);
      if (!set) {
        set = new Set();
        handlers.set(topic, set);
        retopic();
      }
      // A wrapper, so the same function subscribed twice is called twice and unsubscribed once.
      const entry = (data: unknown, envelope: Envelope) =>
        handler(data as T[typeof topic], envelope as Envelope<T[typeof topic]>);
      set.add(entry);
      return () => {
        if (set.delete(entry) && !set.size) {
          handlers.delete(topic);
          retopic();
        }
      };
    },
    publish(topic, data, publishOptions) {
      if (!isValidTopic(topic)) return Promise.reject(new TypeError(`invalid topic ${topic}`));
      return upstream.publish({ topic, data, event: publishOptions?.event });
    },
    on<E extends keyof ClientEvents<T>>(name: E, listener: ClientEvents<T>[E]) {
      let set = listeners.get(name);
      if (!set) {
        set = new Set();
        listeners.set(name, set);
      }
      const entry = (arg: never) => (listener as Listener)(arg);
      set.add(entry);
      return () => {
        set.delete(entry);
      };
    },
    close() {
      if (closed) return;
      stopWatching();
      upstream.close();
      sink.notify('closed', {});
      closed = true;
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
}
