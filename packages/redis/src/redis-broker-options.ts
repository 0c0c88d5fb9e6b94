import type { RedisCommandClient, RedisSubscriberClient } from './redis-client.ts';

/** Options of `createRedisBroker`. Give either `client` or `url`. */
export interface RedisBrokerOptions {
  /**
   * Your node-redis client (`createClient(...)` from `redis` 5 or 6), connected or not. The broker
   * connects it if needed but never closes it: that stays yours. Default: none (then `url` is required).
   */
  client?: RedisCommandClient;
  /**
   * A Redis URL (`redis://127.0.0.1:6379`) for a client the broker creates, and closes on `close()`.
   * Needs the `redis` package installed. Default: none (then `client` is required).
   */
  url?: string;
  /**
   * The connection to subscribe with (a subscribed connection can run no other commands). Default:
   * `client.duplicate()`, which the broker connects and, on `close()`, closes.
   */
  subscriber?: RedisSubscriberClient;
  /**
   * Prefix of the keys and channel: `<prefix>log` (stream), `<prefix>meta` (hash) and the channel
   * `<prefix>events`. Hubs that share events use the same prefix; separate apps on one Redis use
   * different ones. Default `'tidings:'`.
   */
  prefix?: string;
  /**
   * Events kept for replay, across all topics (trimmed exactly, as the in-memory broker does).
   * Default 1000.
   */
  retentionCount?: number;
  /** How long an event is kept for replay, in ms, by Redis's clock; 0 turns age trimming off. Default 300000 (5 minutes). */
  retentionMs?: number;
  /** Stream entries read per Redis call when replaying or filling a gap. Default 500. */
  readBatchSize?: number;
  /** `Retry-After` (seconds) sent with the 503 a publish or replay gets while Redis is unreachable. Default 2. */
  retryAfterS?: number;
  /**
   * How long a Redis command may take before it fails, in ms. A publish that times out answers 503,
   * although Redis may still have stored it. Default 5000.
   */
  commandTimeoutMs?: number;
  /** How soon a failed catch-up with the stream (after a reconnect or a gap) is retried, in ms. Default 500. */
  catchUpRetryMs?: number;
  /**
   * Told about connection errors, refused publishes and failed catch-ups (node-redis reports each
   * reconnect attempt). The broker recovers by itself either way. Default: none.
   */
  onError?: (error: unknown) => void;
}

/** The defaults of `createRedisBroker`'s options. */
export const REDIS_BROKER_DEFAULTS = {
  prefix: 'tidings:',
  retentionCount: 1000,
  retentionMs: 300_000,
  readBatchSize: 500,
  retryAfterS: 2,
  catchUpRetryMs: 500,
  commandTimeoutMs: 5000,
} as const;

/** Options after defaults and validation. */
export type ResolvedRedisBrokerOptions = Omit<RedisBrokerOptions, keyof typeof REDIS_BROKER_DEFAULTS> & {
  prefix: string;
  retentionCount: number;
  retentionMs: number;
  readBatchSize: number;
  retryAfterS: number;
  catchUpRetryMs: number;
  commandTimeoutMs: number;
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
  check('readBatchSize', resolved.readBatchSize, 1);
  check('retryAfterS', resolved.retryAfterS, 0);
  check('catchUpRetryMs', resolved.catchUpRetryMs, 1);
  check('commandTimeoutMs', resolved.commandTimeoutMs, 1);
  return resolved;
}
