import type { RetentionOptions } from '@tidings/core/broker';
import type { RedisClusterOptions } from './internal/redis-cluster.ts';
import type { RedisCommandClient, RedisSubscriberClient } from './redis-client.ts';

/**
 * Options of `createRedisBroker`. Give either `client` or `url`. Retention is per topic
 * (`retentionCount`, `retentionMs`, `retentionByTopic`, as the in-memory broker takes them): a busy
 * topic never pushes a quiet one's events out. The cluster options are in RedisClusterOptions.
 */
export interface RedisBrokerOptions extends RetentionOptions, RedisClusterOptions {
  /**
   * Your node-redis client (`createClient(...)` from `redis` 5 or 6), connected or not. The broker
   * connects it if needed but never closes it: that stays yours. Default: none (then `url` is required).
   * Off: give `url` instead.
   */
  client?: RedisCommandClient;
  /**
   * A Redis URL (`redis://127.0.0.1:6379`) for a client the broker creates, and closes on `close()`.
   * Needs the `redis` package installed. Default: none (then `client` is required). Off: give `client`
   * instead.
   */
  url?: string;
  /**
   * The connection to subscribe with (a subscribed connection can run no other commands). Default:
   * `client.duplicate()`, which the broker connects and, on `close()`, closes. Cannot be turned off:
   * live events reach the hub through it.
   */
  subscriber?: RedisSubscriberClient;
  /**
   * Prefix of the keys and channel: `<prefix>head` (hash), `<prefix><epoch>:t:<topic>` (a stream per
   * topic), `<prefix><epoch>:topics`, `:lost` and `:recent`, and the channel `<prefix>live`. Hubs
   * that share events use the same prefix; separate apps on one Redis use different ones.
   * Default `'tidings:'`. Cannot be turned off: every key and channel is named with it; not empty.
   */
  prefix?: string;
  /**
   * Events kept for replay per topic (trimmed exactly). Default 1000. Override some topics with
   * `retentionByTopic`. Off: `Number.MAX_SAFE_INTEGER` (the age limit still applies). At least 1, which
   * keeps only the newest event.
   */
  retentionCount?: number;
  /**
   * How long an event is kept for replay, in ms, by Redis's clock; a topic's stream expires this
   * long after its last event. Default 300000 (5 minutes). Off: 0 (no age trimming: ten years).
   */
  retentionMs?: number;
  /**
   * Overrides of `count` and `ms` for some topics, by pattern: an exact topic name, or a prefix ending
   * in `*` (`prices.*`, or `*` for all). The longest matching pattern wins; a field it leaves out comes
   * from `retentionCount` and `retentionMs`. Default: none. Off: leave it out.
   */
  retentionByTopic?: RetentionOptions['retentionByTopic'];
  /**
   * How many of the newest events of all topics the live feed can fetch in order after a node
   * missed some (its subscription dropped): a node that missed more resets its connections. Each
   * costs a stream entry naming the topic. Default 10000. Cannot be turned off: it is how a node
   * that missed events catches up without resetting its clients. At least 1.
   */
  recentCount?: number;
  /**
   * Events read per Redis call when replaying or filling a gap. Default 500. Cannot be turned off:
   * history is always read in pages, so no call holds Redis for long.
   */
  readBatchSize?: number;
  /**
   * `Retry-After` sent with the 503 a publish or replay gets while Redis is unreachable, in ms (sent
   * rounded up to whole seconds). Default 2000. Off: 0 sends `Retry-After: 0`.
   */
  retryAfterMs?: number;
  /**
   * How long `createRedisBroker` waits for Redis to answer before it rejects with an error naming
   * the server, in ms. Default 10000. Cannot be turned off: without it an unreachable URL would keep
   * the app waiting forever while the Redis client retries.
   */
  connectTimeoutMs?: number;
  /**
   * How long a publish or replay may wait for Redis before it fails with `unavailable` (503 with
   * `Retry-After`), in ms, enforced by the broker whatever the connection does. A publish that
   * times out may still have been stored (subscribers then see it). Default 5000. Cannot be turned
   * off: a frozen Redis would otherwise hold publishes and replays for good.
   */
  commandTimeoutMs?: number;
  /**
   * How often the broker PINGs Redis on both its connections, in ms. A ping unanswered within
   * `commandTimeoutMs` marks Redis down: publishes and replays are refused at once until a ping is
   * answered, then every node catches up from the streams. So a stall is noticed within
   * `healthCheckMs + commandTimeoutMs`, a frozen server or a silent partition included; a connection
   * that misses two pings in a row while claiming to be up is closed and opened again. Default 1000.
   * Cannot be turned off: it is how a stalled Redis or a dead connection is found.
   */
  healthCheckMs?: number;
  /**
   * How soon a failed catch-up with the stream (after a reconnect or a gap) is retried, in ms. Default
   * 500. Cannot be turned off: a node that has not caught up would miss events.
   */
  catchUpRetryMs?: number;
  /**
   * Told about connection errors, refused publishes and failed catch-ups (node-redis reports each
   * reconnect attempt). The broker recovers by itself either way. Default: none. Off: leave it out.
   */
  onError?: (error: unknown) => void;
}

/** The defaults of `createRedisBroker`'s options. */
export const REDIS_BROKER_DEFAULTS = {
  prefix: 'tidings:',
  retentionCount: 1000,
  retentionMs: 300_000,
  recentCount: 10_000,
  readBatchSize: 500,
  retryAfterMs: 2000,
  connectTimeoutMs: 10_000,
  catchUpRetryMs: 500,
  commandTimeoutMs: 5000,
  healthCheckMs: 1000,
} as const;

/** Options after defaults and validation. */
export type ResolvedRedisBrokerOptions = Omit<RedisBrokerOptions, keyof typeof REDIS_BROKER_DEFAULTS> & {
  prefix: string;
  retentionCount: number;
  retentionMs: number;
  recentCount: number;
  readBatchSize: number;
  retryAfterMs: number;
  connectTimeoutMs: number;
  catchUpRetryMs: number;
  commandTimeoutMs: number;
  healthCheckMs: number;
};

function check(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`${name} must be an integer of at least ${min}, got ${value}`);
  }
}

/** Applies defaults; impossible options throw a TypeError. */
export function resolveRedisBrokerOptions(options: RedisBrokerOptions): ResolvedRedisBrokerOptions {
  const resolved: ResolvedRedisBrokerOptions = { ...options, ...REDIS_BROKER_DEFAULTS };
  // An option given as `undefined` keeps its default, as if it were left out.
  for (const key of Object.keys(REDIS_BROKER_DEFAULTS) as (keyof typeof REDIS_BROKER_DEFAULTS)[]) {
    if (options[key] !== undefined) (resolved as Record<string, unknown>)[key] = options[key];
  }
  if (!options.client === !options.url) throw new TypeError('give the Redis broker either client or url');
  if (typeof resolved.prefix !== 'string' || resolved.prefix === '') {
    throw new TypeError('prefix must be a non-empty string');
  }
  check('retentionCount', resolved.retentionCount, 1);
  check('retentionMs', resolved.retentionMs, 0);
  check('recentCount', resolved.recentCount, 1);
  check('readBatchSize', resolved.readBatchSize, 1);
  check('retryAfterMs', resolved.retryAfterMs, 0);
  check('connectTimeoutMs', resolved.connectTimeoutMs, 1);
  if ('retryAfterS' in options) throw new TypeError('retryAfterS was renamed retryAfterMs (in ms)');
  check('catchUpRetryMs', resolved.catchUpRetryMs, 1);
  check('commandTimeoutMs', resolved.commandTimeoutMs, 1);
  check('healthCheckMs', resolved.healthCheckMs, 1);
  return resolved;
}
