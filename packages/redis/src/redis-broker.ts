import {
  type Broker,
  type BrokerHead,
  type BrokerListener,
  createRetentionPolicy,
  type DuplicatePublish,
  EventRecord,
  formatEventId,
  type HistoryResult,
  type PublishInput,
  TidingsError,
  withTimeout,
} from '@tidings/core/broker';
import { createClaimOnce } from './internal/claim-once.ts';
import { watchConnections } from './internal/connection-watch.ts';
import { createEpochSource } from './internal/epoch-source.ts';
import { LiveFeed } from './internal/live-feed.ts';
import { createPageReader, createTopicReader } from './internal/log-page.ts';
import { PUBLISH_SCRIPT, RANGE_SCRIPT, READ_SCRIPT } from './internal/lua-scripts.ts';
import { readHistory } from './internal/read-history.ts';
import { createRedisCluster } from './internal/redis-cluster.ts';
import { createScript } from './internal/script.ts';
import { type RedisBrokerOptions, resolveRedisBrokerOptions } from './redis-broker-options.ts';
import type { RedisCommandClient, RedisConnection, RedisSubscriberClient } from './redis-client.ts';

/** A broker on Redis. `close()` stops the live feed and closes the connections the broker opened. */
export interface RedisBroker extends Broker {
  /** Idempotency keys are honoured across every node: checked and stored in the publish script. */
  readonly idempotent: true;
  readAfter(topics: readonly string[], epoch: string, afterSeq: number): Promise<HistoryResult>;
  /** Without `idempotency`, always an event. */
  publish(input: PublishInput & { idempotency?: undefined }): Promise<EventRecord>;
  /** With `idempotency`, a `DuplicatePublish` when the key is already held. */
  publish(input: PublishInput): Promise<EventRecord | DuplicatePublish>;
  claimOnce(key: string, ttlMs: number): Promise<boolean>;
  close(): Promise<void>;
}

async function connectFromUrl(url: string): Promise<RedisCommandClient> {
  // Imported here so that apps handing in their own client never load a second copy of `redis`.
  const { createClient } = await import('redis');
  return createClient({ url }) as unknown as RedisCommandClient;
}

/** Where the broker connects, for an error message: the URL without its credentials. */
function describe(options: { url?: string | undefined }): string {
  if (!options.url) return 'the given client';
  try {
    const url = new URL(options.url);
    url.username = '';
    url.password = '';
    return url.href;
  } catch {
    return 'the given URL';
  }
}

async function shut(connection: RedisConnection, timeoutMs: number): Promise<void> {
  if (!connection.isOpen) return;
  // close() waits for pending replies, which never come while Redis is away or frozen.
  if (!connection.isReady) return connection.destroy();
  await withTimeout(connection.close(), timeoutMs, () => new Error('close timed out')).catch(() =>
    connection.destroy(),
  );
}

/**
 * Creates a broker that lets hubs on many nodes share one ordered log in Redis. Publishing runs one
 * Lua script: it takes the next seq, appends the event to its topic's stream (trimmed by that
 * topic's count and age), notes it in a short stream of all topics, and announces it on a channel,
 * atomically. Every node delivers the channel in seq order and fills any gap from the streams, so a
 * client may resume on any node; a topic that lost events after a client's cursor is reset by name,
 * and a new epoch (the data was flushed or lost) resets every connection, never a silent gap.
 * Every call is bounded by `commandTimeoutMs`, and a health check refuses calls at once while Redis
 * does not answer. Resolves once connected and subscribed.
 *
 * @example
 * const broker = await createRedisBroker({ url: process.env.REDIS_URL });
 * const hub = createHub({ anonymous: true, broker });
 * // on shutdown: await hub.close(); await broker.close();
 */
export async function createRedisBroker(options: RedisBrokerOptions): Promise<RedisBroker> {
  const o = resolveRedisBrokerOptions(options);
  const onError = o.onError ?? (() => {});
  const unavailable = (why: string) => new TidingsError('unavailable', why, { retryAfterMs: o.retryAfterMs });
  const retentionOf = createRetentionPolicy({
    retentionCount: o.retentionCount,
    // 0 keeps its old meaning, no age trimming: ten years.
    retentionMs: o.retentionMs === 0 ? 315_360_000_000 : o.retentionMs,
    retentionByTopic: o.retentionByTopic,
  });
  const channel = `${o.prefix}live`;
  const keys = [`${o.prefix}head`];

  const owned: RedisConnection[] = [];
  const client = o.client ?? (await connectFromUrl(o.url!));
  if (!o.client) owned.push(client);
  const subscriber: RedisSubscriberClient = o.subscriber ?? client.duplicate();
  if (!o.subscriber) owned.push(subscriber);

  // node-redis keeps a command that was not yet written when the connection broke and sends it
  // after reconnecting, which would hold a publish for the whole outage. Aborting this signal on
  // every connection error fails such commands at once instead; they never reached Redis.
  let connectionLife = new AbortController();
  const commandOptions = () => ({ abortSignal: connectionLife.signal, timeout: o.commandTimeoutMs });
  const onClientError = (error: unknown) => {
    connectionLife.abort();
    connectionLife = new AbortController();
    onError(error);
  };

  const epochs = createEpochSource();
  const lead = [o.prefix];
  const publishScript = createScript(client, PUBLISH_SCRIPT, keys, lead, commandOptions);
  const bounded = <T>(work: Promise<T>, what: string) =>
    withTimeout(work, o.commandTimeoutMs, () => {
      const error = unavailable(`Redis did not answer ${what} within ${o.commandTimeoutMs} ms`);
      health.suspect(error);
      return error;
    });
  const rangeScript = createScript(client, RANGE_SCRIPT, keys, lead, commandOptions);
  const readScript = createScript(client, READ_SCRIPT, keys, lead, commandOptions);
  const range = createPageReader(
    (args) => bounded(rangeScript(args), 'a catch-up read'),
    o.readBatchSize,
    epochs,
    () => feed.head(),
  );
  const read = createTopicReader(
    (args) => bounded(readScript(args), 'a replay'),
    o.readBatchSize,
    epochs,
    () => feed.head(),
    (topic) => retentionOf(topic).ms,
  );
  const claim = createClaimOnce(client, o.prefix, commandOptions);
  const feed: LiveFeed = new LiveFeed({ read: range, retryMs: o.catchUpRetryMs, onError });
  // The cluster view (seats, presence, operator commands, node liveness): internal/redis-cluster.ts.
  const cluster = createRedisCluster({
    client,
    subscriber,
    prefix: o.prefix,
    options: o,
    commandOptions,
    bounded,
    onError,
  });
  const onMessage = (message: string) => feed.receive(message);
  const onReady = () => feed.catchUp();
  const connections = [client, subscriber];
  let closed = false;

  const health = watchConnections({
    client,
    subscriber,
    intervalMs: o.healthCheckMs,
    timeoutMs: o.commandTimeoutMs,
    resubscribe: () => subscriber.subscribe(channel, onMessage),
    isClosed: () => closed,
    onError,
    // Back: whatever the channel carried meanwhile is read from the streams.
    onUp: () => feed.catchUp(),
  });

  // Without an 'error' listener node-redis crashes the process on the first lost connection.
  client.on('error', onClientError);
  subscriber.on('error', onError);
  const detach = () => {
    health.stop();
    for (const connection of connections) connection.off('ready', onReady);
    if (!owned.includes(client)) client.off('error', onClientError);
    if (!owned.includes(subscriber)) subscriber.off('error', onError);
  };
  let connectTimer: ReturnType<typeof setTimeout> | undefined;
  try {
    const connecting = (async () => {
      if (!client.isOpen) await client.connect();
      if (!subscriber.isOpen) await subscriber.connect();
      // Subscribed first, then the head is read: no event can fall between the two.
      await subscriber.subscribe(channel, onMessage);
      await cluster.start();
      await feed.start();
    })();
    const timeout = new Promise<never>((_, reject) => {
      connectTimer = setTimeout(
        () =>
          reject(
            new Error(`tidings: Redis at ${describe(o)} did not answer within ${o.connectTimeoutMs} ms`),
          ),
        o.connectTimeoutMs,
      );
    });
    connecting.catch(() => {});
    await Promise.race([connecting, timeout]);
  } catch (error) {
    clearTimeout(connectTimer);
    feed.close();
    await cluster.close();
    detach();
    for (const connection of owned) await shut(connection, o.commandTimeoutMs);
    throw error;
  }
  clearTimeout(connectTimer);
  health.start();
  // node-redis reconnects and resubscribes before 'ready'; what was published meanwhile is caught up from the streams.
  for (const connection of connections) connection.on('ready', onReady);

  const refuse = () => {
    if (closed) return unavailable('the Redis broker is closed');
    if (!client.isReady) return unavailable('Redis is not connected');
    if (!health.healthy) return unavailable('Redis is not answering');
    return undefined;
  };

  async function publish(input: PublishInput): Promise<EventRecord | DuplicatePublish> {
    const refused = refuse();
    if (refused) throw refused;
    const { count, ms } = retentionOf(input.topic);
    const idempotency = input.idempotency;
    let reply: unknown[];
    try {
      reply = await bounded(
        publishScript([
          channel,
          input.topic,
          input.event,
          input.data,
          String(count),
          String(ms),
          epochs.candidate,
          String(o.recentCount),
          idempotency?.key ?? '',
          String(Math.max(1, Math.ceil(idempotency?.windowMs ?? 1))),
        ]),
        'a publish',
      );
    } catch (error) {
      onError(error);
      throw unavailable('Redis did not take the event');
    }
    const epoch = String(reply[0]);
    const seq = Number(reply[1]);
    // The first publish's event, perhaps of an epoch since replaced: only its id is of use.
    if (String(reply[3]) === 'duplicate') return { duplicate: true, id: formatEventId(epoch, seq) };
    epochs.seen(epoch);
    return new EventRecord(
      seq,
      formatEventId(epoch, seq),
      input.topic,
      input.event,
      input.data,
      Number(reply[2]),
    );
  }

  return {
    idempotent: true,
    cluster: cluster.view,
    publish: publish as RedisBroker['publish'],

    subscribe(listener: BrokerListener): () => void {
      feed.listeners.add(listener);
      return () => feed.listeners.delete(listener);
    },

    async readAfter(topics: readonly string[], epoch: string, afterSeq: number): Promise<HistoryResult> {
      const refused = refuse();
      if (refused) throw refused;
      let answer: Awaited<ReturnType<typeof readHistory>>;
      try {
        answer = await readHistory(read, topics, epoch, afterSeq);
      } catch (error) {
        onError(error);
        throw unavailable('Redis could not be read');
      }
      if (answer.logEpoch === feed.epoch) return answer.result;
      // This node has not yet seen the log's new epoch: reset (conservatively) and catch up, so
      // its live stream is never mixed with the new epoch's history on one connection.
      feed.catchUp();
      return { reset: true };
    },

    head(): BrokerHead {
      return feed.head();
    },

    async claimOnce(key: string, ttlMs: number): Promise<boolean> {
      const down = refuse();
      if (down) throw down;
      return bounded(claim(key, ttlMs), 'a ticket claim');
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      feed.close();
      await cluster.close();
      detach();
      if (!owned.includes(subscriber)) {
        const stop = subscriber.unsubscribe(channel, onMessage).catch(() => {});
        if (subscriber.isReady) await stop;
      }
      for (const connection of owned) await shut(connection, o.commandTimeoutMs);
    },
  };
}
