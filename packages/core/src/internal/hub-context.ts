import { type Authenticator, createAuthenticator, type MaybePromise } from '../auth/authenticator.ts';
import { createTicketRedeemer, type TicketRedeemer } from '../auth/ticket-redeemer.ts';
import {
  type Broker,
  type BrokerHead,
  type DuplicatePublish,
  type HistoryResult,
  isDuplicatePublish,
  type PublishInput,
} from '../broker.ts';
import { type Clock, SYSTEM_CLOCK } from '../clock.ts';
import type { NodeConnections } from '../cluster.ts';
import { type ErrorInfo, TidingsError, toTidingsError } from '../errors.ts';
import type { EventPosition } from '../event-id.ts';
import type { EventRecord } from '../event-record.ts';
import type { HubRequest } from '../hub-request.ts';
import { createMemoryBroker } from '../memory-broker.ts';
import type { ResolvedOptions } from '../options.ts';
import type { Principal } from '../principal.ts';
import { DEFAULT_EVENT } from '../protocol/messages.ts';
import type { HubStats } from '../stats.ts';
import { Admission } from './admission.ts';
import { Conflation } from './conflation.ts';
import type { Connection, ConnectionOwner, EndReason, Transport } from './connection.ts';
import { HubOperator } from './hub-operator.ts';
import { pacedGoLive, pacedReplay } from './paced-replay.ts';
import { toPublishInput } from './publish-input.ts';
import { RateWindow } from './rate-window.ts';
import { Registry } from './registry.ts';
import { Ticker } from './ticker.ts';

// After the current I/O turn: `setImmediate` where the runtime has one (Node, Bun, Deno), which runs
// right after pending I/O instead of a clamped timer; `setTimeout(0)` elsewhere (workerd). Not the
// hub's clock: this is an order ("after this turn"), not a time, so a test clock that stands still
// must not hold long-poll answers back.
const nextTurn: (fn: () => void) => void =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? (fn) => (globalThis as unknown as { setImmediate(fn: () => void): void }).setImmediate(fn)
    : (fn) => setTimeout(fn, 0);

/**
 * The hub's shared state and the operations every route uses: admission, replay, fan-out,
 * publishing and the counters. Routes and connections talk to this; nothing here knows a framework.
 */
export class HubContext implements ConnectionOwner {
  readonly options: ResolvedOptions;
  /** Every time reading and timer of the hub (see HubOptions.clock). */
  readonly clock: Clock;
  readonly broker: Broker;
  readonly registry: Registry;
  readonly auth: Authenticator;
  readonly tickets: TicketRedeemer;
  readonly ticker: Ticker;
  /** HTTP publishes per caller (principal id, else address) per second. */
  readonly httpPublishRate: RateWindow<string>;
  /** WebSocket publishes per connection per second. */
  readonly wsPublishRate: RateWindow<Connection>;
  /** New WebSockets and SSE streams per second (`maxConnectionsPerSecond`). */
  readonly admission: Admission;
  /** Cluster, presence, hooks and metrics. */
  readonly operator: HubOperator;
  /** Conflation of state topics; undefined (and never looked at per event) without `conflateTopics`. */
  readonly conflation: Conflation | undefined;
  /** Set by `close()`: new requests are refused, and the readiness route fails. */
  draining = false;
  readonly #metrics: HubOperator['metrics'];
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
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.#ownsBroker = !options.broker;
    this.broker =
      options.broker ??
      createMemoryBroker({
        retentionCount: options.retentionCount,
        retentionMs: options.retentionMs,
        retentionByTopic: options.retentionByTopic,
        retentionMaxEvents: options.retentionMaxEvents,
        clock: this.clock,
      });
    this.registry = new Registry(options);
    this.httpPublishRate = new RateWindow(options.maxHttpPublishesPerSecond);
    this.wsPublishRate = new RateWindow(options.maxPublishesPerSecond);
    this.admission = new Admission(options.maxConnectionsPerSecond);
    const jwt = options.jwt;
    this.tickets = createTicketRedeemer({
      secret: options.tickets?.secret ?? (jwt && 'secret' in jwt ? jwt.secret : undefined),
      ttlMs: options.tickets?.ttlMs ?? 30_000,
      maxTtlMs: options.tickets?.maxTtlMs ?? 300_000,
      maxTopics: options.maxTopicsPerConnection,
      claimOnce: this.broker.claimOnce?.bind(this.broker),
      claimFailed: (error, route) => this.brokerFailed(error, route),
    });
    this.auth = createAuthenticator(
      options,
      this.tickets,
      (error, info) => this.report(error, info),
      this.clock,
    );
    const sweep = (set: Set<Connection>) => () => {
      for (const connection of set) connection.heartbeat();
    };
    this.ticker = new Ticker(options.tickMs, this.clock, [
      { everyMs: options.heartbeatMs, run: sweep(this.registry.byTransport.ws) },
      { everyMs: options.sseHeartbeatMs, run: sweep(this.registry.byTransport.sse) },
    ]);
    const batchMs = options.batchWindowMs;
    const conflateTopics = options.conflateTopics ?? [];
    const conflation = conflateTopics.length > 0 ? new Conflation({ ...options, conflateTopics }) : undefined;
    this.conflation = conflation;
    this.#stopListening = this.broker.subscribe({
      // Chosen once: a hub without conflated topics fans out exactly as if conflation did not exist.
      event:
        batchMs > 0
          ? (record) => this.#hold(record, batchMs)
          : conflation
            ? (record) => this.#fanOutConflated(record, conflation)
            : (record) => this.#fanOut(record),
      reset: (head) => {
        // What a batch holds is older than the reset: it goes first.
        this.#flushBatch();
        conflation?.clear();
        for (const set of Object.values(this.registry.byTransport)) for (const c of [...set]) c.reset(head);
      },
    });
    this.operator = new HubOperator(this);
    this.#metrics = this.operator.metrics;
  }

  /** Live events held for `batchWindowMs`, oldest first; undefined while none are. */
  #batch: EventRecord[] | undefined;
  #batchTimer: unknown;

  // One timer per hub, never per connection: the first event of a batch arms it.
  #hold(record: EventRecord, batchMs: number): void {
    if (this.#batch) {
      this.#batch.push(record);
      return;
    }
    this.#batch = [record];
    this.#batchTimer = this.clock.setTimeout(() => this.#flushBatch(), batchMs);
  }

  /** Delivers the held events in one turn, so each socket writes them together (its cork). */
  #flushBatch(): void {
    const batch = this.#batch;
    if (!batch) return;
    this.#batch = undefined;
    this.clock.clearTimeout(this.#batchTimer);
    const conflation = this.conflation;
    if (conflation) for (const record of batch) this.#fanOutConflated(record, conflation);
    else for (const record of batch) this.#fanOut(record);
  }

  // The fan-out of a hub with conflated topics (see conflation.ts).
  #fanOutConflated(record: EventRecord, conflation: Conflation): void {
    const subscribers = this.registry.byTopic.get(record.topic);
    if (!subscribers) return;
    if (this.#metrics) this.#metrics.fanOut(record);
    conflation.fanOut(subscribers, record);
  }

  // The hot path: cost is the number of subscribers of this one topic.
  #fanOut(record: EventRecord): void {
    const subscribers = this.registry.byTopic.get(record.topic);
    if (!subscribers) return;
    if (this.#metrics) this.#metrics.fanOut(record);
    for (const connection of subscribers) connection.offer(record);
  }

  head(): BrokerHead {
    return this.broker.head();
  }

  /** Authenticates a request; a principal whose tokens were revoked is refused (`revoked`, 401). */
  authenticate(request: HubRequest, url: URL, route: string): MaybePromise<Principal> {
    const found = this.auth.authenticate(request, url, route);
    if (!(found instanceof Promise)) return this.#unrevoked(found);
    return found.then((principal) => this.#unrevoked(principal));
  }

  #unrevoked<P extends Principal | undefined>(principal: P): P {
    if (principal) this.operator.checkRevoked(principal);
    return principal;
  }

  /**
   * `authenticate` for a WebSocket upgrade, which may still authenticate in its first message:
   * undefined when the request carries no credential the hub accepts (see Authenticator).
   */
  authenticateOrWait(request: HubRequest, url: URL, route: string): MaybePromise<Principal | undefined> {
    const found = this.auth.authenticateOrWait(request, url, route);
    if (!(found instanceof Promise)) return this.#unrevoked(found);
    return found.then((principal) => this.#unrevoked(principal));
  }

  /** Verifies a token from a WebSocket `auth` message; a revoked principal is refused too. */
  async verifyToken(token: string, request: HubRequest | undefined): Promise<Principal> {
    const principal = await this.auth.verifyToken(token, request);
    this.operator.checkRevoked(principal);
    return principal;
  }

  /** Takes the principal's seat in the cluster (see HubOperator.takeSeat); `admit` gives it back if refused. */
  takeSeat(principal: Principal): Promise<void> | undefined {
    return this.operator.takeSeat(principal);
  }

  /** Tells `onError` about an unexpected error. A throwing `onError` is ignored. Bound, for the hooks. */
  readonly report = (error: unknown, info: ErrorInfo): void => {
    try {
      this.options.onError?.(error, info);
    } catch {
      // Reporting must never become a second failure.
    }
  };

  /** A broker failure as the client sees it: 503 with Retry-After; the cause goes to `onError`. */
  brokerFailed(error: unknown, route?: string): TidingsError {
    this.#metrics?.brokerError();
    return toTidingsError(
      error,
      route === undefined ? { stage: 'broker' } : { stage: 'broker', route },
      this.options.onError,
      { code: 'unavailable', message: 'event store unavailable', retryAfterMs: this.options.retryAfterMs },
    );
  }

  /**
   * Where a client whose cursor the log cannot answer goes on from. A cursor of another epoch (the
   * log was flushed, Redis restarted without persistence, a memory broker's process restarted) goes
   * to the start of the current epoch, so the events the new log holds reach the client rather than
   * being skipped; a cursor beyond head goes to head.
   */
  resetPoint(cursor: EventPosition): BrokerHead {
    const head = this.broker.head();
    return cursor.epoch === head.epoch ? head : { epoch: head.epoch, seq: 0 };
  }

  /** Reads the retained events after a position, a broker failure becoming a 503. */
  async readAfter(topics: readonly string[], cursor: EventPosition, route: string): Promise<HistoryResult> {
    try {
      return await this.broker.readAfter(topics, cursor.epoch, cursor.seq);
    } catch (error) {
      throw this.brokerFailed(error, route);
    }
  }

  /** A reconnect delay for one client the closing hub sends away: its own, below `drainSpreadMs`. */
  drainDelayMs(): number {
    return Math.floor(Math.random() * this.options.drainSpreadMs);
  }

  /** The refusal of a request that reached a closing hub: 503 with this client's own Retry-After. */
  shuttingDown(): TidingsError {
    return new TidingsError('unavailable', 'server is shutting down', { retryAfterMs: this.drainDelayMs() });
  }

  /**
   * Whether a new WebSocket or SSE stream may start now: undefined, or its refusal (503) when the
   * hub is closing or `maxConnectionsPerSecond` is reached, with when to come back. Counts the
   * arrival against the throttle; called once per request, before its credential is checked, so a
   * crowd is turned away for the price of a clock reading.
   */
  admitStream(): TidingsError | undefined {
    if (this.draining) return this.shuttingDown();
    const waitMs = this.admission.take(this.clock.now());
    if (waitMs === undefined) return undefined;
    return new TidingsError('unavailable', 'too many new connections, come back later', {
      retryAfterMs: waitMs,
    });
  }

  /**
   * Takes a limit slot and starts the shared timer. Throws 429/503 when refused, giving back the
   * cluster seat `takeSeat` took for it.
   */
  admit(connection: Connection): void {
    try {
      if (this.draining) throw this.shuttingDown();
      this.registry.admit(connection);
    } catch (error) {
      if (connection.principal.id !== undefined) this.operator.cluster.freeSeat(connection.principal.id);
      throw error;
    }
    this.ticker.start();
    this.ticker.schedule(connection);
    this.operator.connected(connection);
  }

  release(connection: Connection): void {
    if (!this.registry.has(connection)) return;
    this.operator.leaving(connection);
    this.ticker.unschedule(connection);
    this.registry.remove(connection);
    this.operator.left(connection);
    if (this.registry.size === 0) {
      this.ticker.stop();
      this.#idle?.();
    }
  }

  ended(connection: Connection, reason: EndReason): void {
    this.operator.ended(connection, reason);
  }

  delivered(transport: Transport, record: EventRecord): void {
    this.#delivered++;
    if (this.#metrics) this.#metrics.delivered(transport, record);
  }

  dropped(): void {
    this.#dropped++;
  }

  resetSent(transport: Transport | 'poll', topics?: readonly string[], connection?: Connection): void {
    this.#resets++;
    this.operator.reset(transport, topics, connection);
  }

  /** Adds topics (none of them on the connection yet) to it. */
  subscribe(connection: Connection, topics: readonly string[]): void {
    this.registry.subscribe(connection, topics);
    this.operator.subscribed(connection, topics);
  }

  /** Removes those of `topics` the connection has. */
  unsubscribe(connection: Connection, topics: readonly string[]): void {
    const present = topics.filter((topic) => connection.topics.includes(topic));
    if (present.length === 0) return;
    this.registry.unsubscribe(connection, present);
    this.operator.unsubscribed(connection, present);
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
    this.subscribe(connection, topics);
    if (!cursor) {
      const head = this.broker.head();
      connection.epoch = head.epoch;
      connection.lastSeq = head.seq;
    } else {
      connection.epoch = cursor.epoch;
      connection.lastSeq = cursor.seq;
      // A cursor at head (a long poll's usual case) has nothing to read: anything newer reaches the
      // connection live, as it subscribed first.
      const head = this.broker.head();
      if (cursor.seq !== head.seq || cursor.epoch !== head.epoch) {
        await this.#replay(connection, topics, cursor, false);
      }
    }
    const paced = pacedGoLive(connection, this.options);
    if (paced) await paced;
  }

  /** Adds topics to a live connection, replaying them after `cursor` when one is given. */
  async addTopics(
    connection: Connection,
    topics: readonly string[],
    cursor: EventPosition | undefined,
  ): Promise<void> {
    const fresh = topics.filter((t) => !connection.topics.includes(t));
    if (fresh.length === 0) return;
    // What a connection that is behind still holds goes before the replay (and what follows it).
    this.conflation?.release(connection);
    connection.pending ??= [];
    this.subscribe(connection, fresh);
    if (cursor) await this.#replay(connection, fresh, cursor, true);
    const paced = pacedGoLive(connection, this.options);
    if (paced) await paced;
  }

  async #replay(connection: Connection, topics: readonly string[], cursor: EventPosition, older: boolean) {
    const result = await this.readAfter(topics, cursor, connection.transport);
    if (connection.closed) return;
    if ('reset' in result) {
      const point = this.resetPoint(cursor);
      connection.reset(point);
      // A cursor of a lost epoch goes on from the start of the new one: what it retains follows.
      if (point.seq < this.broker.head().seq) await this.#replay(connection, topics, point, older);
      return;
    }
    if (result.lost) connection.resetTopics(result.lost);
    // Conflated topics replay the newest event per name since the cursor.
    const squashed = this.conflation?.squash(result.events);
    if (squashed) await pacedReplay(connection, squashed.records, older, this.options, squashed.flagged);
    else await pacedReplay(connection, result.events, older, this.options);
  }

  /**
   * Validates, serialises once (see publish-input.ts), and stores an event; live subscribers get it
   * through the broker. `tx` (server code only) is handed to a transactional broker to publish
   * inside the app's transaction. `key`, an idempotency key already scoped to its caller, makes a
   * repeat within the window a `DuplicatePublish` of the first.
   */
  async publish(
    topic: unknown,
    data: unknown,
    event: unknown = DEFAULT_EVENT,
    route?: string,
    tx?: unknown,
    key?: string,
  ): Promise<EventRecord | DuplicatePublish> {
    const input = toPublishInput({ topic, data, event, route, tx, key }, this.options, this.broker);
    try {
      return await this.store(input);
    } catch (error) {
      throw this.brokerFailed(error, route);
    }
  }

  /**
   * Stores an already validated event through the broker and counts it (a duplicate of an
   * idempotency key is not counted: nothing was stored). Rejects as the broker does.
   */
  async store(input: PublishInput): Promise<EventRecord | DuplicatePublish> {
    const result = await this.broker.publish(input);
    if (!isDuplicatePublish(result)) this.#published++;
    return result;
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

  connections(): NodeConnections {
    const t = this.registry.byTransport;
    return { total: this.registry.size, ws: t.ws.size, sse: t.sse.size, longPoll: t['long-poll'].size };
  }

  stats(): HubStats {
    return {
      connections: this.connections(),
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
    // Events already published reach their subscribers before the connections are told to go.
    this.#flushBatch();
    const idle = new Promise<void>((resolve) => {
      this.#idle = resolve;
    });
    for (const set of Object.values(this.registry.byTransport)) for (const c of [...set]) c.end('shutdown');
    if (this.registry.size > 0) {
      let timer: unknown;
      const timeout = new Promise<void>((resolve) => {
        timer = this.clock.setTimeout(resolve, this.options.drainTimeoutMs);
      });
      await Promise.race([idle, timeout]);
      this.clock.clearTimeout(timer);
      // Whatever did not go in time is dropped (a WebSocket that never finished its closing
      // handshake: a peer that stopped reading), so nothing outlives the drain, the hub or the process.
      for (const set of Object.values(this.registry.byTransport)) {
        for (const c of [...set]) c.terminate('shutdown');
      }
    }
    this.ticker.stop();
    this.conflation?.close();
    // Presence outlives its connections by the grace period; a closing hub gives it back now.
    await this.operator.close();
    this.#stopListening();
    if (this.#ownsBroker) await this.broker.close?.();
  }
}
