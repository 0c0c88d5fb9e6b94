import { createHub, createMemoryBroker, type Hub, type HubOptions, type TopicMap } from '@tidings/core';
import { ADAPTER_HOOKS, type HubAdapterHooks, subscriberCount } from '@tidings/core/adapter';
import type { Broker } from '@tidings/core/broker';
import { createManualClock, type ManualClock } from './create-manual-clock.ts';

/** Options of `createTestHub`: every hub option except `broker` and `clock`, which the test hub owns. */
export interface TestHubOptions extends Omit<HubOptions, 'broker' | 'clock' | 'anonymous'> {
  /** Allow clients without a token. Default true, unless `jwt` or `authenticate` is set. */
  anonymous?: boolean;
  /**
   * As the hub's: the window a closing hub spreads its clients' reconnects over, in ms. Default 0 on
   * a test hub (a hub's default is 5000): after a `restart`, clients come back at once (after their
   * own backoff), so a test does not wait seconds for them. Set it to test the spread itself.
   */
  drainSpreadMs?: number;
  /**
   * The clock the hub runs on; share one between test hubs to move them together. Default: a new
   * manual clock starting at the real time (so tokens signed with real `exp` values work).
   */
  clock?: ManualClock;
}

/** Options of `testHub.restart`. */
export interface RestartOptions {
  /**
   * Keep the event log, as a server restarted in front of a persistent broker (Redis) does: clients
   * resume where they were and lose nothing. Default false: a new, empty log with a new epoch, as
   * an in-memory hub's restart, so every client that resumes gets a reset.
   */
  keepHistory?: boolean;
}

/** Options of `testHub.waitForSubscribers`. */
export interface WaitForSubscribersOptions {
  /** How long to wait before rejecting, in real ms. Default 5000. */
  timeoutMs?: number;
}

/** An event as the test hub's log keeps it. */
export interface LoggedEvent {
  id: string;
  topic: string;
  event: string;
  /** The data, parsed back from the JSON the hub stored. */
  data: unknown;
  /** When it was published, by the hub's clock (ms since the epoch). */
  time: number;
}

/**
 * An in-memory hub for tests, on a manual clock. Serve it like any hub (`serve()` from
 * `@tidings/node`, an adapter, or `handle` for Fetch-style tests) and point real clients at it.
 */
export interface TestHub<T extends TopicMap = Record<string, unknown>> extends Hub<T> {
  /** The hub's clock: heartbeats, long-poll timeouts, token expiry and retention wait for `clock.advance`. */
  readonly clock: ManualClock;
  /** Every event published since the hub was created, by the server or by clients, across restarts, in order. */
  readonly log: readonly LoggedEvent[];
  /** The ids of the log, all of them or those of one topic, in publish order: what `recorder.assertComplete` takes. */
  ids(topic?: string): string[];
  /** The epoch of the current log; a restart without `keepHistory` changes it. */
  readonly epoch: string;
  /** How many restarts so far. */
  readonly restarts: number;
  /** How many connections are subscribed to `topic` now (WebSockets, SSE streams, waiting long polls). */
  subscribers(topic: string): number;
  /**
   * Resolves once at least `count` connections are subscribed to `topic`: after it, a publish
   * reaches them live. Rejects after `timeoutMs` of real time, saying how many there were.
   */
  waitForSubscribers(topic: string, count: number, options?: WaitForSubscribersOptions): Promise<void>;
  /**
   * Restarts the hub behind the same server: new connections reach a fresh hub at once, the old
   * one closes as a real shutdown does (WebSockets get 1001, SSE a `close` event, long polls their
   * answer) and clients reconnect. Resolves when the old hub is closed: a connection that cannot
   * finish closing (a blackholed WebSocket) holds it until `clock.advance(drainTimeoutMs)`.
   */
  restart(options?: RestartOptions): Promise<void>;
}

/** The defaults of the test hub. */
export const TEST_HUB_DEFAULTS: { readonly waitTimeoutMs: 5000; readonly pollEveryMs: 5 } = {
  waitTimeoutMs: 5000,
  pollEveryMs: 5,
};

const RETENTION = ['retentionCount', 'retentionMs', 'retentionByTopic', 'retentionMaxEvents'] as const;
// Taken at load, so a test runner's fake timers installed later do not stop waits or their timeouts.
const realSetTimeout = globalThis.setTimeout;

function hooksOf(hub: Hub<never>): HubAdapterHooks {
  return (hub as unknown as Record<symbol, HubAdapterHooks>)[ADAPTER_HOOKS]!;
}

/**
 * Creates a test hub: an in-memory hub on a manual clock, with its event log, subscriber counts
 * and forced restarts. No test framework is imported (tested under vitest and node:test).
 *
 * @example
 * const hub = createTestHub();
 * const server = await serve(hub);
 * const client = createClient({ url: server.url, topics: ['notes'] });
 * await hub.waitForSubscribers('notes', 1);
 * await hub.publish('notes', { text: 'hi' });
 * await hub.restart(); // a new epoch: the client resumes and gets a reset
 */
export function createTestHub<T extends TopicMap = Record<string, unknown>>(
  options: TestHubOptions = {},
): TestHub<T> {
  if ('broker' in options) {
    throw new TypeError(
      'the test hub owns its broker (in memory, on its clock): pass retention options instead',
    );
  }
  if (options.clock !== undefined && !isManualClock(options.clock)) {
    throw new TypeError('clock must be a manual clock from createManualClock');
  }
  const { clock: givenClock, anonymous, ...rest } = options;
  const clock = givenClock ?? createManualClock();
  // The retention options go to the broker the test hub makes; the hub itself refuses them beside one.
  const retention: Record<string, unknown> = {};
  const hubOptions: Record<string, unknown> = { ...rest };
  for (const key of RETENTION) {
    retention[key] = hubOptions[key];
    delete hubOptions[key];
  }
  hubOptions.anonymous = anonymous ?? !(options.jwt || options.authenticate);
  hubOptions.drainSpreadMs = options.drainSpreadMs ?? 0;
  const log: LoggedEvent[] = [];
  const newBroker = (): Broker => {
    const broker = createMemoryBroker({ ...retention, clock });
    broker.subscribe({
      event(record) {
        log.push({
          id: record.id,
          topic: record.topic,
          event: record.event,
          data: JSON.parse(record.data),
          time: record.time,
        });
      },
      reset() {},
    });
    return broker;
  };
  const newHub = (broker: Broker) => createHub<T>({ ...(hubOptions as HubOptions), broker, clock });
  let broker = newBroker();
  // Built once up front, so bad options throw here, as createHub's do.
  let hub = newHub(broker);
  let restarts = 0;
  let closing: Promise<void> | undefined;

  const hooks: HubAdapterHooks = {
    respond: (request, context) => hooksOf(hub).respond(request, context),
    upgrade: (request, context) => hooksOf(hub).upgrade(request, context),
    misconfigured: (message) => hooksOf(hub).misconfigured(message),
    subscribers: (topic) => subscriberCount(hub, topic),
  };

  const testHub: TestHub<T> = {
    clock,
    get options() {
      return hub.options;
    },
    get log() {
      return log;
    },
    get epoch() {
      return broker.head().epoch;
    },
    get restarts() {
      return restarts;
    },
    publish: (topic, data, publishOptions) => hub.publish(topic, data, publishOptions),
    handle: (request, context) => hub.handle(request, context),
    issueTicket: (principal, ticketOptions) => hub.issueTicket(principal, ticketOptions),
    head: () => hub.head(),
    presence: (topic) => hub.presence(topic),
    disconnect: (target, reason) => hub.disconnect(target, reason),
    unsubscribe: (target, topics) => hub.unsubscribe(target, topics),
    revoke: (userId, untilMs) => hub.revoke(userId, untilMs),
    nodes: () => hub.nodes(),
    get nodeId() {
      return hub.nodeId;
    },
    stats: () => hub.stats(),
    get ready() {
      return closing === undefined && hub.ready;
    },
    ids: (topic) => log.filter((e) => topic === undefined || e.topic === topic).map((e) => e.id),
    subscribers: (topic) => subscriberCount(hub, topic),
    waitForSubscribers(topic, count, waitOptions = {}) {
      const timeoutMs = waitOptions.timeoutMs ?? TEST_HUB_DEFAULTS.waitTimeoutMs;
      if (!(Number.isInteger(count) && count >= 0)) throw new TypeError('count must be a whole number ≥ 0');
      if (!(timeoutMs >= 0 && timeoutMs < Infinity)) throw new TypeError('timeoutMs must be a number ≥ 0');
      const deadline = performance.now() + timeoutMs;
      return new Promise<void>((resolve, reject) => {
        // Polled: a count is cheap to read, and the hub has no event for it.
        const check = () => {
          const now = subscriberCount(hub, topic);
          if (now >= count) resolve();
          else if (performance.now() >= deadline) {
            reject(
              new Error(
                `waitForSubscribers timed out after ${timeoutMs} ms: ${now} of ${count} connections on ${topic}`,
              ),
            );
          } else realSetTimeout(check, TEST_HUB_DEFAULTS.pollEveryMs);
        };
        check();
      });
    },
    async restart(restartOptions = {}) {
      if (closing) throw new Error('the test hub is closed');
      const old = hub;
      const oldBroker = broker;
      if (!restartOptions.keepHistory) broker = newBroker();
      hub = newHub(broker);
      restarts++;
      await old.close();
      if (broker !== oldBroker) await oldBroker.close?.();
    },
    close() {
      closing ??= hub.close().then(() => broker.close?.());
      return closing;
    },
  };
  // Adapters find a hub's hooks under this key; these forward to the hub of the moment.
  Object.defineProperty(testHub, ADAPTER_HOOKS, { value: hooks });
  return testHub;
}

function isManualClock(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ManualClock).advance === 'function' &&
    typeof (value as ManualClock).now === 'function'
  );
}
