import { createAuthenticator } from '../auth/authenticator.ts';
import type { Broker, BrokerHead } from '../broker.ts';
import { TidingsError } from '../errors.ts';
import type { EventPosition } from '../event-id.ts';
import type { EventRecord } from '../event-record.ts';
import { createMemoryBroker } from '../memory-broker.ts';
import type { ResolvedOptions } from '../options.ts';
import { toJson } from '../protocol/codec.ts';
import { DEFAULT_EVENT } from '../protocol/messages.ts';
import { isValidEventName, isValidTopic } from '../protocol/topics.ts';
import type { HubStats } from '../stats.ts';
import type { Connection, ConnectionOwner } from './connection.ts';
import { PublishRate } from './publish-rate.ts';
import { Registry } from './registry.ts';
import { Ticker } from './ticker.ts';

const encoder = new TextEncoder();

// After the current I/O turn: `setImmediate` where the runtime has one (Node, Bun, Deno), which runs
// right after pending I/O instead of a clamped timer; `setTimeout(0)` elsewhere (workerd).
const nextTurn: (fn: () => void) => void =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? (fn) => (globalThis as unknown as { setImmediate(fn: () => void): void }).setImmediate(fn)
    : (fn) => setTimeout(fn, 0);

/** A connection the ticker visits on heartbeat sweeps. */
interface Beating {
  heartbeat(): void;
}

/**
 * The hub's shared state and the operations every route uses: admission, replay, fan-out,
 * publishing and the counters. Routes and connections talk to this; nothing here knows a framework.
 */
export class HubContext implements ConnectionOwner {
  readonly options: ResolvedOptions;
  readonly broker: Broker;
  readonly registry: Registry;
  readonly auth: ReturnType<typeof createAuthenticator>;
  readonly ticker: Ticker;
  /** HTTP publishes per caller per second (WebSocket publishes are counted per connection). */
  readonly publishRate: PublishRate;
  draining = false;
  readonly #ownsBroker: boolean;
  readonly #stopListening: () => void;
  readonly #answerQueue = new Set<{ answer(): void }>();
  #answerScheduled = false;
  #idle: (() => void) | undefined;
  #closing: Promise<void> | undefined;
  #published = 0;
  #delivered = 0;
  #dropped = 0;
  #resets = 0;

  constructor(options: ResolvedOptions) {
    this.options = options;
    this.#ownsBroker = !options.broker;
    this.broker =
      options.broker ??
      createMemoryBroker({ retentionCount: options.retentionCount, retentionMs: options.retentionMs });
    this.registry = new Registry(options);
    this.publishRate = new PublishRate(options.maxHttpPublishesPerSecond);
    this.auth = createAuthenticator(options);
    const sweep = (set: Set<Connection>) => () => {
      for (const connection of set) (connection as unknown as Beating).heartbeat();
    };
    this.ticker = new Ticker(options.tickMs, [
      { everyMs: options.heartbeatMs, run: sweep(this.registry.byTransport.ws) },
      { everyMs: options.sseHeartbeatMs, run: sweep(this.registry.byTransport.sse) },
    ]);
    this.#stopListening = this.broker.subscribe({
      event: (record) => this.#fanOut(record),
      reset: (head) => {
        for (const set of Object.values(this.registry.byTransport)) for (const c of [...set]) c.reset(head);
      },
    });
  }

  // The hot path: cost is the number of subscribers of this one topic.
  #fanOut(record: EventRecord): void {
    const subscribers = this.registry.byTopic.get(record.topic);
    if (subscribers) for (const connection of subscribers) connection.offer(record);
  }

  head(): BrokerHead {
    return this.broker.head();
  }

  /** Takes a limit slot and starts the shared timer. Throws 429/503 when refused. */
  admit(connection: Connection): void {
    if (this.draining)
      throw new TidingsError('unavailable', 'server is shutting down', this.options.retryAfterS);
    this.registry.admit(connection);
    this.ticker.start();
    this.ticker.schedule(connection);
  }

  release(connection: Connection): void {
    this.ticker.unschedule(connection);
    this.registry.remove(connection);
    if (this.registry.size === 0) {
      this.ticker.stop();
      this.#idle?.();
    }
  }

  delivered(): void {
    this.#delivered++;
  }

  dropped(): void {
    this.#dropped++;
  }

  resetSent(): void {
    this.#resets++;
  }

  /**
   * Subscribes the connection to `topics` and replays what it missed after `cursor`, with live
   * events held back until the replay is written. Without a cursor the connection starts at head.
   */
  async start(
    connection: Connection,
    topics: readonly string[],
    cursor: EventPosition | undefined,
  ): Promise<void> {
    connection.pending ??= [];
    this.registry.subscribe(connection, topics);
    if (!cursor) {
      const head = this.broker.head();
      connection.epoch = head.epoch;
      connection.lastSeq = head.seq;
    } else {
      connection.epoch = cursor.epoch;
      connection.lastSeq = cursor.seq;
      await this.#replay(connection, topics, cursor, false);
    }
    connection.goLive();
  }

  /** Adds topics to a live connection, replaying them after `cursor` when one is given. */
  async addTopics(
    connection: Connection,
    topics: readonly string[],
    cursor: EventPosition | undefined,
  ): Promise<void> {
    const fresh = topics.filter((t) => !connection.topics.includes(t));
    if (fresh.length === 0) return;
    connection.pending ??= [];
    this.registry.subscribe(connection, fresh);
    if (cursor) await this.#replay(connection, fresh, cursor, true);
    connection.goLive();
  }

  async #replay(connection: Connection, topics: readonly string[], cursor: EventPosition, older: boolean) {
    const result = await this.broker.readAfter(topics, cursor.epoch, cursor.seq);
    if (connection.closed) return;
    if ('reset' in result) connection.reset(this.broker.head());
    else for (const record of result.events) connection.replay(record, older);
  }

  /** Validates, serialises once, and stores an event; live subscribers get it through the broker. */
  async publish(topic: unknown, data: unknown, event: unknown = DEFAULT_EVENT): Promise<EventRecord> {
    if (!isValidTopic(topic)) throw new TidingsError('bad_request', 'invalid topic name');
    if (!isValidEventName(event)) throw new TidingsError('bad_request', 'invalid event name');
    const json = toJson(data);
    if (json === undefined) throw new TidingsError('bad_request', 'data must be JSON-serialisable');
    // Characters are at most 3 UTF-8 bytes each, so short data skips the encode entirely.
    if (
      json.length * 3 > this.options.maxMessageBytes &&
      encoder.encode(json).length > this.options.maxMessageBytes
    ) {
      throw new TidingsError('payload_too_large', `data over ${this.options.maxMessageBytes} bytes`);
    }
    let record: EventRecord;
    try {
      record = await this.broker.publish({ topic, event, data: json });
    } catch (error) {
      if (error instanceof TidingsError) throw error;
      this.options.onError?.(error);
      throw new TidingsError('unavailable', 'event store unavailable', this.options.retryAfterS);
    }
    this.#published++;
    return record;
  }

  /** Queues a long-poll answer; all answers due in one turn go out together, so bursts batch. */
  answerSoon(waiter: { answer(): void }): void {
    this.#answerQueue.add(waiter);
    if (this.#answerScheduled) return;
    this.#answerScheduled = true;
    nextTurn(() => {
      this.#answerScheduled = false;
      const due = [...this.#answerQueue];
      this.#answerQueue.clear();
      for (const w of due) w.answer();
    });
  }

  stats(): HubStats {
    const t = this.registry.byTransport;
    return {
      connections: {
        total: this.registry.size,
        ws: t.ws.size,
        sse: t.sse.size,
        longPoll: t['long-poll'].size,
      },
      topics: this.registry.byTopic.size,
      published: this.#published,
      delivered: this.#delivered,
      dropped: this.#dropped,
      resets: this.#resets,
    };
  }

  /**
   * Ends every connection and waits for them to go, up to the drain timeout. Every call gets the
   * same drain: a second `close()` used to resolve at once, before the connections were gone.
   */
  close(): Promise<void> {
    this.#closing ??= this.#drain();
    return this.#closing;
  }

  async #drain(): Promise<void> {
    this.draining = true;
    const idle = new Promise<void>((resolve) => {
      this.#idle = resolve;
    });
    for (const set of Object.values(this.registry.byTransport)) for (const c of [...set]) c.end('shutdown');
    if (this.registry.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.options.drainTimeoutMs);
      });
      await Promise.race([idle, timeout]);
      clearTimeout(timer);
      // Whatever did not go in time is forgotten, so nothing keeps the hub alive.
      for (const set of Object.values(this.registry.byTransport)) for (const c of [...set]) this.release(c);
    }
    this.ticker.stop();
    this.#stopListening();
    if (this.#ownsBroker) await this.broker.close?.();
  }
}
