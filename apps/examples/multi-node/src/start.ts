// `pnpm --filter example-multi-node start`: Redis (unless REDIS_URL is set), two hub processes and
// a round-robin balancer, all on 127.0.0.1. `start:postgres` does the same on PostgreSQL (unless
// DATABASE_URL is set). Ctrl-C stops everything it started.
import { startCluster } from './cluster.ts';

const postgres = process.argv.includes('--postgres');
const given = postgres ? process.env.DATABASE_URL : process.env.REDIS_URL;
const cluster = await startCluster({
  broker: postgres ? 'postgres' : 'redis',
  redisUrl: process.env.REDIS_URL || undefined,
  databaseUrl: process.env.DATABASE_URL || undefined,
  balancerPort: Number(process.env.PORT || 3000),
});
const label = postgres ? 'Postgres:' : 'Redis:   ';
console.log(`${label} ${cluster.storeUrl}${given ? '' : ' (started for this demo)'}`);
for (const node of cluster.nodes) console.log(`${node.name}:   ${node.url} (pid ${node.pid})`);
console.log(`Balancer: ${cluster.url}  <- open this one, in two tabs`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cluster.stop().then(() => process.exit(0));
  });
}
