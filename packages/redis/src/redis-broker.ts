import {
  type Broker,
  type BrokerHead,
  type BrokerListener,
  EventRecord,
  formatEventId,
  type HistoryResult,
  type PublishInput,
  TidingsError,
} from '@tidings/core';
import { createEpochSource } from './internal/epoch-source.ts';
import { LiveFeed } from './internal/live-feed.ts';
import { createPageReader } from './internal/log-page.ts';
import { PUBLISH_SCRIPT, READ_SCRIPT } from './internal/lua-scripts.ts';
import { readHistory } from './internal/read-history.ts';
import { createScript } from './internal/script.ts';
import { type RedisBrokerOptions, resolveRedisBrokerOptions } from './redis-broker-options.ts';
import type { RedisCommandClient, RedisConnection, RedisSubscriberClient } from './redis-client.ts';

/** A broker on Redis. `close()` stops the live feed and closes the connections the broker opened. */
export interface RedisBroker extends Broker {
  readAfter(topics: readonly string[], epoch: string, afterSeq: number): Promise<HistoryResult>;
  publish(input: PublishInput): Promise<EventRecord>;
  close(): Promise<void>;
}

async function connectFromUrl(url: string): Promise<RedisCommandClient> {
  // Imported here so that apps handing in their own client never load a second copy of `redis`.
  const { createClient } = await import('redis');
  return createClient({ url }) as unknown as RedisCommandClient;
}

async function shut(connection: RedisConnection): Promise<void> {
  if (!connection.isOpen) return;
  // close() waits for pending replies, which never come while Redis is away.
  if (!connection.isReady) return connection.destroy();
  await connection.close().catch(() => connection.destroy());
}

/**
 * Creates a broker that lets hubs on many nodes share one ordered log in Redis. Publishing runs one
 * Lua script: it takes the next seq, appends the event to a stream (trimmed by count and age) and
 * announces it on a channel, atomically. Every node delivers the channel in seq order and fills any
 * gap from the stream, so a client may resume on any node; an event Redis no longer has, or a new
 * epoch (the data was flushed or lost), makes every connection reset instead of missing it.
 * Resolves once connected and subscribed.
 *
 * @example
 * const broker = await createRedisBroker({ url: process.env.REDIS_URL });
 * const hub = createHub({ anonymous: true, broker });
 * // on shutdown: await hub.close(); await broker.close();
 */
export async function createRedisBroker(options: RedisBrokerOptions): Promise<RedisBroker> {
  const o = resolveRedisBrokerOptions(options);
  const onError = o.onError ?? (() => {});
  const unavailable = (why: string) => new TidingsError('unavailable', why, o.retryAfterS);
  const channel = `${o.prefix}events`;
  const keys = [`${o.prefix}meta`, `${o.prefix}log`];
  const retention = [String(o.retentionCount), String(o.retentionMs)];

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
  const publishScript = createScript(client, PUBLISH_SCRIPT, keys, commandOptions);
  const readScript = createScript(client, READ_SCRIPT, keys, commandOptions);
  const read = createPageReader(readScript, o.readBatchSize, epochs, () => feed.head());
  const feed: LiveFeed = new LiveFeed({ read, retryMs: o.catchUpRetryMs, onError });
  const onMessage = (message: string) => feed.receive(message);
  const onReady = () => feed.catchUp();
  const connections = [client, subscriber];
  let closed = false;

  // Without an 'error' listener node-redis crashes the process on the first lost connection.
  client.on('error', onClientError);
  subscriber.on('error', onError);
  const detach = () => {
    for (const connection of connections) connection.off('ready', onReady);
    if (!owned.includes(client)) client.off('error', onClientError);
    if (!owned.includes(subscriber)) subscriber.off('error', onError);
  };
  try {
    if (!client.isOpen) await client.connect();
    if (!subscriber.isOpen) await subscriber.connect();
    // Subscribed first, then the head is read: no event can fall between the two.
    await subscriber.subscribe(channel, onMessage);
    await feed.start();
  } catch (error) {
    feed.close();
    detach();
    for (const connection of owned) await shut(connection);
    throw error;
  }
  // node-redis reconnects and resubscribes before 'ready'; what was published meanwhile is caught up from the stream.
  for (const connection of connections) connection.on('ready', onReady);

  return {
    async publish(input: PublishInput): Promise<EventRecord> {
      if (closed) throw unavailable('the Redis broker is closed');
      if (!client.isReady) throw unavailable('Redis is not connected');
      let reply: unknown[];
      try {
        reply = await publishScript([
          channel,
          input.topic,
          input.event,
          input.data,
          ...retention,
          epochs.candidate,
        ]);
      } catch (error) {
        onError(error);
        throw unavailable('Redis did not take the event');
      }
      const epoch = String(reply[0]);
      const seq = Number(reply[1]);
      epochs.seen(epoch);
      return new EventRecord(
        seq,
        formatEventId(epoch, seq),
        input.topic,
        input.event,
        input.data,
        Number(reply[2]),
      );
    },

    subscribe(listener: BrokerListener): () => void {
      feed.listeners.add(listener);
      return () => feed.listeners.delete(listener);
    },

    async readAfter(topics: readonly string[], epoch: string, afterSeq: number): Promise<HistoryResult> {
      if (closed) throw unavailable('the Redis broker is closed');
      if (!client.isReady) throw unavailable('Redis is not connected');
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

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      feed.close();
      detach();
      if (!owned.includes(subscriber)) {
        const stop = subscriber.unsubscribe(channel, onMessage).catch(() => {});
        if (subscriber.isReady) await stop;
      }
      for (const connection of owned) await shut(connection);
    },
  };
}
