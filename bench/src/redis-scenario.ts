import { existsSync } from 'node:fs';
import { hasRedisServer, startRedis } from './redis-server.ts';
import { type Scenario, SMOKE_RATE } from './scenarios.ts';

const REDIS_PACKAGE = new URL('../../packages/redis/src/index.ts', import.meta.url);

/**
 * Scenario G, cross-node delivery through Redis, when @tidings/redis exists and redis-server is
 * installed (else none): 1,000 WebSocket clients on one node, events published on a second node at
 * a fixed rate, so each one goes publisher → Redis → the clients' node → clients. The baseline is
 * the same load on one node with the in-memory broker; the ratio is the price of crossing Redis.
 */
export async function redisScenarios(): Promise<Scenario[]> {
  if (!existsSync(REDIS_PACKAGE) || !hasRedisServer()) return [];
  return [
    {
      id: 'G',
      title:
        'Cross-node delivery through Redis: 1,000 WebSocket clients, 50 events/s published on another node',
      transport: 'ws',
      mode: 'rate',
      baseline: 'tidings-node',
      targets: ['tidings-node', 'tidings-redis'],
      unit: 'delivery',
      full: { clients: 1000, warmupMs: 500, durationMs: 3000, connectConcurrency: 100, ratePerS: 50 },
      smoke: SMOKE_RATE,
      goals: [],
      async setup() {
        const redis = await startRedis();
        return { env: { BENCH_REDIS_URL: redis.url }, teardown: () => redis.stop() };
      },
    },
  ];
}
