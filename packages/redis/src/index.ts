/**
 * `@tidings/redis`: a broker that lets tidings hubs on many nodes share one ordered, replayable
 * stream of events through Redis. Any node can resume any client; no sticky sessions.
 */
export { REDIS_CLUSTER_DEFAULTS, type RedisClusterOptions } from './internal/redis-cluster.ts';
export { createRedisBroker, type RedisBroker } from './redis-broker.ts';
export {
  REDIS_BROKER_DEFAULTS,
  type RedisBrokerOptions,
  type ResolvedRedisBrokerOptions,
} from './redis-broker-options.ts';
export type { RedisCommandClient, RedisConnection, RedisSubscriberClient } from './redis-client.ts';
