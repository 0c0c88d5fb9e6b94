import { HealthCheck, withTimeout } from '@tidings/core/broker';
import type { RedisCommandClient, RedisConnection, RedisSubscriberClient } from '../redis-client.ts';

/** The broker's two connections and what to do about them. */
export interface ConnectionWatchOptions {
  client: RedisCommandClient;
  subscriber: RedisSubscriberClient;
  /** Time between pings, in ms. */
  intervalMs: number;
  /** How long a ping may take, in ms. */
  timeoutMs: number;
  /** Subscribes the subscriber again after it was reopened. */
  resubscribe(): Promise<unknown>;
  isClosed(): boolean;
  onError(error: unknown): void;
  /** Redis answers again (or a connection was reopened): catch up. */
  onUp(): void;
}

/**
 * PINGs both connections every `intervalMs` (Redis allows PING on a subscribed connection). An
 * unanswered ping marks Redis down; a connection that claims to be up but missed two pings in a row
 * is silently dead (a partition that drops packets, a NAT that forgot it): it is closed and opened
 * again, which TCP alone would do only many minutes later.
 */
export function watchConnections(o: ConnectionWatchOptions): HealthCheck {
  const silent = new Map<RedisConnection, number>();
  const reopen = (connection: RedisCommandClient | RedisSubscriberClient) => {
    connection.destroy();
    const opening = (async () => {
      await connection.connect();
      if (connection === o.subscriber) await o.resubscribe();
      o.onUp();
    })();
    opening.catch(o.onError);
  };
  const ping = async (connection: RedisCommandClient | RedisSubscriberClient, name: string) => {
    if (!connection.isReady) throw new Error(`the Redis ${name} connection is not ready`);
    try {
      await withTimeout(
        connection.sendCommand(['PING']),
        o.timeoutMs,
        () => new Error(`Redis did not answer a PING on the ${name} connection within ${o.timeoutMs} ms`),
      );
      silent.delete(connection);
    } catch (error) {
      const misses = (silent.get(connection) ?? 0) + 1;
      silent.set(connection, misses);
      if (misses >= 2 && connection.isReady && !o.isClosed()) {
        silent.delete(connection);
        reopen(connection);
      }
      throw error;
    }
  };
  return new HealthCheck({
    intervalMs: o.intervalMs,
    probe: async () => {
      await Promise.all([ping(o.client, 'command'), ping(o.subscriber, 'subscriber')]);
    },
    onChange(healthy, error) {
      if (healthy) o.onUp();
      else o.onError(error);
    },
  });
}
