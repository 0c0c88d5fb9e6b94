import {
  type Broker,
  type BrokerHead,
  type BrokerListener,
  createEpoch,
  createRetentionPolicy,
  type DuplicatePublish,
  EventRecord,
  formatEventId,
  HealthCheck,
  type HistoryResult,
  type PublishInput,
  TidingsError,
  withTimeout,
} from '@tidings/core/broker';
import { CommitFeed } from './internal/commit-feed.ts';
import { type Executor, toExecutor } from './internal/executor.ts';
import { ListenConnection } from './internal/listen-connection.ts';
import { readHistory } from './internal/read-history.ts';
import { createStatements } from './internal/statements.ts';
import { Trimmer } from './internal/trimmer.ts';
import { type PostgresBrokerOptions, resolvePostgresBrokerOptions } from './postgres-broker-options.ts';
import type { PgListenClient, PgPool } from './postgres-client.ts';
import { migrate } from './schema.ts';

/** A broker on Postgres. `close()` stops the feed and the trim, and closes what the broker opened. */
export interface PostgresBroker extends Broker {
  readonly transactional: true;
  /** Idempotency keys are honoured across every node, in the publish statement (and its transaction). */
  readonly idempotent: true;
  /** Without `idempotency`, always an event. */
  publish(input: PublishInput & { idempotency?: undefined }): Promise<EventRecord>;
  /** With `idempotency`, a `DuplicatePublish` when the key is already stored. */
  publish(input: PublishInput): Promise<EventRecord | DuplicatePublish>;
  readAfter(topics: readonly string[], epoch: string, afterSeq: number): Promise<HistoryResult>;
  /**
   * Publishes inside your transaction: `tx` is a `pg` client between `BEGIN` and `COMMIT`, or a
   * Drizzle transaction. The event exists, and is delivered, only if that transaction commits.
   * Same as `hub.publish(topic, data, { tx })`. With `idempotency`, a key already stored answers a
   * `DuplicatePublish`; the key is stored with the event, so only if the transaction commits.
   */
  publishIn(tx: unknown, input: Omit<PublishInput, 'tx' | 'idempotency'>): Promise<EventRecord>;
  publishIn(tx: unknown, input: Omit<PublishInput, 'tx'>): Promise<EventRecord | DuplicatePublish>;
  /** Claims `key` for `ttlMs` across every node on the database (connect tickets are single-use through it). */
  claimOnce(key: string, ttlMs: number): Promise<boolean>;
  close(): Promise<void>;
}

// Rows beyond a topic's count are dropped only once this old, so a node a moment behind still
// delivers them live (readers apply the count themselves, so the client sees no difference).
const TRIM_GRACE_MS = 5000;

/**
 * Creates a broker that keeps events in Postgres: an events table whose `bigserial` gives the seq,
 * `NOTIFY` (carrying only the seq) to wake every node, and each node reading the table in seq order
 * behind a horizon that no open transaction can commit below. Publish inside the app's own
 * transaction (`hub.publish(topic, data, { tx })`) and the event exists iff it commits. Resolves
 * once the schema is in place and the feed is listening.
 *
 * @example
 * const broker = await createPostgresBroker({ pool });
 * const hub = createHub({ anonymous: true, broker });
 * // on shutdown: await hub.close(); await broker.close();
 */
export async function createPostgresBroker(options: PostgresBrokerOptions): Promise<PostgresBroker> {
  const o = resolvePostgresBrokerOptions(options);
  const onError = o.onError ?? (() => {});
  const unavailable = (why: string) => new TidingsError('unavailable', why, { retryAfterMs: o.retryAfterMs });
  const retentionOf = createRetentionPolicy(o);
  const sql = createStatements(o.schema);
  const pg = o.pool && o.listenClient ? undefined : await import('pg');
  const ownPool = !o.pool;
  const pool: PgPool =
    o.pool ??
    (new pg!.default.Pool({
      connectionString: o.connectionString,
      keepAlive: true,
      query_timeout: o.commandTimeoutMs + 1000,
    }) as unknown as PgPool);
  const onPoolError = (error: Error) => onError(error);
  // An idle pooled connection that breaks (a Postgres restart) is reported here, not thrown.
  pool.on('error', onPoolError);
  const listenConfig = o.pool?.options ?? { connectionString: o.connectionString };
  const newListenClient =
    o.listenClient ??
    (() => new pg!.default.Client({ ...listenConfig, keepAlive: true }) as unknown as PgListenClient);

  const bounded = <T>(work: Promise<T>, what: string): Promise<T> =>
    withTimeout(work, o.commandTimeoutMs, () => {
      const error = unavailable(`Postgres did not answer ${what} within ${o.commandTimeoutMs} ms`);
      health.suspect(error);
      return error;
    });
  const poolExec: Executor = (text, values) => pool.query(text, values);

  const listen = new ListenConnection({
    create: newListenClient,
    channel: o.channel,
    retryMs: o.catchUpRetryMs,
    timeoutMs: o.commandTimeoutMs,
    onNotify: () => feed.wake(),
    onReopen: () => feed.wake(),
    onError,
  });
  const feed: CommitFeed = new CommitFeed({
    async round(head) {
      const { rows } = await listen.query(sql.round, [head]);
      const row = rows[0]!;
      return { epoch: String(row.epoch), issued: Number(row.issued), writers: row.writers as string[] };
    },
    async rows(after, upTo, limit) {
      const { rows } = await listen.query(sql.rows, [after, upTo, limit]);
      const events = rows
        .filter((r) => r.seq !== null)
        .map((r) => ({
          seq: Number(r.seq),
          topic: String(r.topic),
          event: String(r.event),
          data: String(r.data),
          time: Number(r.time),
        }));
      return { events, trimmed: rows[0]?.trimmed === true };
    },
    async renewEpoch(epoch) {
      await listen.query(sql.renewEpoch, [epoch, createEpoch()]);
    },
    pageSize: o.readBatchSize,
    pollMs: o.pollMs,
    retryMs: o.catchUpRetryMs,
    onError,
  });

  let misses = 0;
  const health = new HealthCheck({
    intervalMs: o.healthCheckMs,
    async probe() {
      const timeout = (what: string) => () =>
        new Error(`Postgres did not answer SELECT 1 on ${what} within ${o.commandTimeoutMs} ms`);
      const own = listen.ready
        ? listen.query('SELECT 1', []).then(
            () => {
              misses = 0;
            },
            (error: unknown) => {
              // Its socket may be dead without an error (a partition): replace it after two misses.
              if (++misses >= 2) {
                misses = 0;
                listen.replace();
              }
              throw error;
            },
          )
        : Promise.reject(new Error('the LISTEN connection is not open'));
      await Promise.all([withTimeout(pool.query('SELECT 1'), o.commandTimeoutMs, timeout('the pool')), own]);
    },
    onChange(healthy, error) {
      if (healthy) feed.wake();
      else onError(error);
    },
  });
  const trimmer = new Trimmer({
    run: (text, values) => bounded(pool.query(text, values), 'a trim'),
    statements: sql,
    retentionOf,
    intervalMs: o.trimIntervalMs,
    batchSize: o.trimBatchSize,
    graceMs: TRIM_GRACE_MS,
    healthy: () => health.healthy,
    onError,
  });

  let closed = false;
  const shutDown = async () => {
    closed = true;
    health.stop();
    trimmer.stop();
    feed.close();
    await listen.close();
    // A pool the broker made may still report a connection it drops late: never an unhandled error.
    if (ownPool) pool.on('error', () => {});
    else pool.off?.('error', onPoolError);
    if (ownPool)
      await withTimeout(pool.end(), o.commandTimeoutMs, () => new Error('end timed out')).catch(() => {});
  };
  try {
    await withTimeout(
      (async () => {
        if (o.migrate) await migrate(pool, o.schema);
        await listen.open();
        await feed.start();
      })(),
      o.connectTimeoutMs,
      () => new Error(`tidings: Postgres did not answer within ${o.connectTimeoutMs} ms`),
    );
  } catch (error) {
    await shutDown();
    throw error;
  }
  health.start();
  trimmer.start();

  const refuse = () => {
    if (closed) return unavailable('the Postgres broker is closed');
    if (!health.healthy) return unavailable('Postgres is not answering');
    return undefined;
  };

  // Topics known to have their mark row, and since when (ms): a row may be dropped once the topic
  // has no events left, so an entry is trusted for a while only.
  const marked = new Map<string, number>();
  async function ensureMark(topic: string): Promise<void> {
    const since = marked.get(topic);
    if (since !== undefined && since > Date.now() - 10_000) return;
    await bounded(pool.query(sql.mark, [topic]), 'a publish');
    if (marked.size >= 10_000) marked.clear();
    marked.set(topic, Date.now());
  }

  async function publishWith(exec: Executor, input: PublishInput): Promise<EventRecord | DuplicatePublish> {
    const refused = refuse();
    if (refused) throw refused;
    const { ms } = retentionOf(input.topic);
    const key = input.idempotency;
    let row: Record<string, unknown>;
    try {
      if (input.tx !== undefined) await ensureMark(input.topic);
      const values: unknown[] = [input.topic, input.event, input.data, ms, o.channel];
      let text = input.tx === undefined ? sql.publish : sql.publishInTx;
      if (key) {
        trimmer.keyed();
        text = input.tx === undefined ? sql.publishKeyed : sql.publishKeyedInTx;
        values.push(key.key, Math.max(1, Math.ceil(key.windowMs)));
      }
      const { rows } = await bounded(exec(text, values), 'a publish');
      row = rows[0]!;
    } catch (error) {
      // A database error inside the app's transaction (say, it was already aborted) is the app's to see.
      if (input.tx !== undefined && !(error instanceof TidingsError)) throw error;
      onError(error);
      throw unavailable('Postgres did not take the event');
    }
    const seq = Number(row.seq);
    if (row.duplicate === true) return { duplicate: true, id: formatEventId(String(row.epoch), seq) };
    trimmer.touched(input.topic);
    return new EventRecord(
      seq,
      formatEventId(String(row.epoch), seq),
      input.topic,
      input.event,
      input.data,
      Number(row.time),
    );
  }

  return {
    transactional: true,
    idempotent: true,
    publish: ((input: PublishInput) =>
      publishWith(
        input.tx === undefined ? poolExec : toExecutor(input.tx),
        input,
      )) as PostgresBroker['publish'],

    publishIn: ((tx: unknown, input: Omit<PublishInput, 'tx'>) =>
      publishWith(toExecutor(tx), { ...input, tx })) as PostgresBroker['publishIn'],

    subscribe(listener: BrokerListener): () => void {
      feed.listeners.add(listener);
      return () => feed.listeners.delete(listener);
    },

    async readAfter(topics: readonly string[], epoch: string, afterSeq: number): Promise<HistoryResult> {
      const refused = refuse();
      if (refused) throw refused;
      try {
        // Everything committed before this call and final is delivered first, so a reader sees its writes.
        await bounded(feed.sync(), 'a catch-up');
        if (epoch !== feed.epoch) return { reset: true };
        return await readHistory(
          (after) =>
            bounded(
              poolExec(sql.read, [
                topics,
                topics.map((t) => retentionOf(t).count),
                after,
                feed.seq,
                o.readBatchSize,
              ]),
              'a replay',
            ),
          epoch,
          afterSeq,
          o.readBatchSize,
        );
      } catch (error) {
        onError(error);
        throw unavailable('Postgres could not be read');
      }
    },

    head(): BrokerHead {
      return feed.head();
    },

    async claimOnce(key: string, ttlMs: number): Promise<boolean> {
      const refused = refuse();
      if (refused) throw refused;
      try {
        const { rows } = await bounded(poolExec(sql.claim, [key, ttlMs]), 'a ticket claim');
        return rows.length === 1;
      } catch (error) {
        onError(error);
        throw unavailable('Postgres could not record the claim');
      }
    },

    async close(): Promise<void> {
      if (closed) return;
      await shutDown();
    },
  };
}
