import { existsSync } from 'node:fs';
import { hasPostgres, startPostgres } from './postgres-server.ts';
import { hasRedisServer, startRedis } from './redis-server.ts';
import { type Scenario, SMOKE_RATE } from './scenarios.ts';

const REDIS_PACKAGE = new URL('../../packages/redis/src/index.ts', import.meta.url);
const POSTGRES_PACKAGE = new URL('../../packages/postgres/src/index.ts', import.meta.url);

/**
 * Scenario G, cross-node delivery through Redis and through PostgreSQL, when the brokers exist and
 * redis-server / PostgreSQL are installed (else without that target, or none): 1,000 WebSocket
 * clients on one node, events published on a second node at a fixed rate, so each one goes
 * publisher → the store → the clients' node → clients. The baseline is the same load on one node
 * with the in-memory broker; the ratio is the price of crossing the store.
 */
export async function redisScenarios(): Promise<Scenario[]> {
  const redis = existsSync(REDIS_PACKAGE) && hasRedisServer();
  const postgres = existsSync(POSTGRES_PACKAGE) && hasPostgres();
  if (!redis && !postgres) return [];
  const targets = ['tidings-node'];
  if (redis) targets.push('tidings-redis');
  if (postgres) targets.push('tidings-postgres');
  return [
    {
      id: 'G',
      title: `Cross-node delivery through ${[redis && 'Redis', postgres && 'PostgreSQL'].filter(Boolean).join(' and ')}: 1,000 WebSocket clients, 50 events/s published on another node`,
      transport: 'ws',
      mode: 'rate',
      baseline: 'tidings-node',
      targets,
      unit: 'delivery',
      full: { clients: 1000, warmupMs: 500, durationMs: 3000, connectConcurrency: 100, ratePerS: 50 },
      smoke: SMOKE_RATE,
      goals: [],
      async setup() {
        const [started, db] = await Promise.all([
          redis ? startRedis() : undefined,
          postgres ? startPostgres() : undefined,
        ]);
        const env: Record<string, string> = {};
        if (started) env.BENCH_REDIS_URL = started.url;
        if (db) env.BENCH_PG_URL = db.url;
        return {
          env,
          teardown: async () => {
            await started?.stop();
            await db?.stop();
          },
        };
      },
    },
  ];
}
