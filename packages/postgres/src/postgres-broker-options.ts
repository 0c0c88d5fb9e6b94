import type { RetentionOptions } from '@tidings/core/broker';
import type { PgListenClient, PgPool } from './postgres-client.ts';
import { checkSchemaName } from './schema.ts';

/**
 * Options of `createPostgresBroker`. Give either `pool` or `connectionString`. Retention is per
 * topic (`retentionCount`, `retentionMs`, `retentionByTopic`, as the in-memory broker takes them).
 */
export interface PostgresBrokerOptions extends RetentionOptions {
  /**
   * Your `pg` Pool. The broker never closes it. Default: none (then `connectionString` is required).
   * Off: give `connectionString` instead.
   */
  pool?: PgPool;
  /**
   * A Postgres URL for a Pool the broker creates (and closes on `close()`), with `keepAlive` on and
   * `query_timeout` set from `commandTimeoutMs`. Needs the `pg` package. Default: none (then `pool` is
   * required). Off: give `pool` instead.
   */
  connectionString?: string;
  /**
   * Makes the broker's own connection, used to LISTEN and to read the feed (called again after it
   * broke). Default: `new pg.Client(pool.options)`, or from `connectionString`. Cannot be turned off:
   * the broker always keeps one connection of its own to LISTEN on.
   */
  listenClient?: () => PgListenClient;
  /**
   * The Postgres schema of the tables (`<schema>.events`, `.topics`, `.meta`): lower-case letters,
   * digits and `_`. Hubs that share events use the same one. Default `'tidings'`. Cannot be turned
   * off: the tables live in it.
   */
  schema?: string;
  /**
   * The NOTIFY channel. Default: the schema name. Cannot be turned off: a commit wakes the feed through
   * it.
   */
  channel?: string;
  /**
   * Create or complete the schema on start (idempotent, serialised between nodes by an advisory
   * lock). Default true. Off: false, when you run `node_modules/@tidings/postgres/sql/schema.sql` in
   * your own migrations.
   */
  migrate?: boolean;
  /**
   * Events kept for replay per topic. Default 1000. Off: `Number.MAX_SAFE_INTEGER` (the age limit
   * still applies). At least 1, which keeps only the newest event.
   */
  retentionCount?: number;
  /**
   * How long an event is kept for replay, in ms, by Postgres's clock. Default 300000 (5 minutes). Off:
   * `Number.MAX_SAFE_INTEGER`.
   */
  retentionMs?: number;
  /**
   * Overrides of `count` and `ms` for some topics, by pattern: an exact topic name, or a prefix ending
   * in `*` (`prices.*`, or `*` for all). The longest matching pattern wins; a field it leaves out comes
   * from `retentionCount` and `retentionMs`. Default: none. Off: leave it out.
   */
  retentionByTopic?: RetentionOptions['retentionByTopic'];
  /**
   * Events read per query when replaying or catching up. Default 500. Cannot be turned off: history is
   * always read in pages.
   */
  readBatchSize?: number;
  /**
   * `Retry-After` sent with the 503 a publish or replay gets while Postgres is unreachable, in ms (sent
   * rounded up to whole seconds). Default 2000. Off: 0 sends `Retry-After: 0`.
   */
  retryAfterMs?: number;
  /**
   * How long `createPostgresBroker` waits for Postgres before it rejects, in ms. Default 10000. Cannot
   * be turned off: an unreachable database would keep the app waiting forever.
   */
  connectTimeoutMs?: number;
  /**
   * How long a publish or replay may wait for Postgres before it fails with `unavailable` (503 with
   * `Retry-After`), in ms, enforced by the broker. A publish in your transaction that times out
   * leaves the transaction to you: roll it back. Default 5000. Cannot be turned off: a stalled
   * database would otherwise hold publishes and replays for good.
   */
  commandTimeoutMs?: number;
  /**
   * How often the broker runs `SELECT 1` on the pool and on its own connection, in ms. An answer
   * that does not come within `commandTimeoutMs` marks Postgres down: publishes and replays are
   * refused at once until one comes, so a stall is noticed within `healthCheckMs + commandTimeoutMs`.
   * Its own connection, if it misses two in a row, is replaced. Default 1000. Cannot be turned off: it
   * is how a stalled database or a dead connection is found.
   */
  healthCheckMs?: number;
  /**
   * How often this node trims expired rows and rows beyond the count of the topics it published to, in
   * ms. Default 1000. Cannot be turned off: the tables would grow without bound.
   */
  trimIntervalMs?: number;
  /**
   * Rows dropped per trim statement, at most. Default 5000. Cannot be turned off: every trim statement
   * is bounded, so none runs long.
   */
  trimBatchSize?: number;
  /**
   * How soon the feed looks again while a transaction that may hold an event's seq is still open,
   * in ms (its commit also wakes the feed at once). Default 20. Cannot be turned off: the feed waits for
   * that seq rather than skip it, so it has to look again.
   */
  pollMs?: number;
  /**
   * How soon a failed catch-up (or a failed reconnect of the LISTEN connection) is retried, in ms.
   * Default 500. Cannot be turned off: a node that has not caught up would miss events.
   */
  catchUpRetryMs?: number;
  /**
   * Told about connection errors, refused calls and failed rounds. The broker recovers by itself.
   * Default: none. Off: leave it out.
   */
  onError?: (error: unknown) => void;
}

/** The defaults of `createPostgresBroker`'s options. */
export const POSTGRES_BROKER_DEFAULTS = {
  schema: 'tidings',
  migrate: true,
  readBatchSize: 500,
  retryAfterMs: 2000,
  connectTimeoutMs: 10_000,
  commandTimeoutMs: 5000,
  healthCheckMs: 1000,
  trimIntervalMs: 1000,
  trimBatchSize: 5000,
  pollMs: 20,
  catchUpRetryMs: 500,
} as const;

/** Options after defaults and validation. */
export type ResolvedPostgresBrokerOptions = Omit<
  PostgresBrokerOptions,
  keyof typeof POSTGRES_BROKER_DEFAULTS | 'channel'
> & {
  -readonly [K in keyof typeof POSTGRES_BROKER_DEFAULTS]: (typeof POSTGRES_BROKER_DEFAULTS)[K] extends boolean
    ? boolean
    : (typeof POSTGRES_BROKER_DEFAULTS)[K] extends string
      ? string
      : number;
} & { channel: string };

/** Applies defaults; impossible options throw a TypeError. */
export function resolvePostgresBrokerOptions(options: PostgresBrokerOptions): ResolvedPostgresBrokerOptions {
  const resolved = { ...options, ...POSTGRES_BROKER_DEFAULTS } as ResolvedPostgresBrokerOptions;
  for (const key of Object.keys(POSTGRES_BROKER_DEFAULTS) as (keyof typeof POSTGRES_BROKER_DEFAULTS)[]) {
    if (options[key] !== undefined) (resolved as Record<string, unknown>)[key] = options[key];
  }
  if (!options.pool === !options.connectionString) {
    throw new TypeError('give the Postgres broker either pool or connectionString');
  }
  checkSchemaName(resolved.schema);
  resolved.channel = options.channel ?? resolved.schema;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(resolved.channel)) {
    throw new TypeError(`channel must be lower case letters, digits and _, got ${resolved.channel}`);
  }
  for (const key of [
    'readBatchSize',
    'connectTimeoutMs',
    'commandTimeoutMs',
    'healthCheckMs',
    'trimIntervalMs',
    'trimBatchSize',
    'pollMs',
    'catchUpRetryMs',
  ] as const) {
    const value = resolved[key];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new TypeError(`${key} must be a positive integer, got ${value}`);
    }
  }
  if (!Number.isSafeInteger(resolved.retryAfterMs) || resolved.retryAfterMs < 0) {
    throw new TypeError(`retryAfterMs must be an integer of at least 0, got ${resolved.retryAfterMs}`);
  }
  return resolved;
}
