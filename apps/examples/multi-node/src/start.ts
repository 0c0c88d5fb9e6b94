// `pnpm --filter example-multi-node start`: Redis (unless REDIS_URL is set), two hub processes and
// a round-robin balancer, all on 127.0.0.1. Ctrl-C stops everything it started.
import { startCluster } from './cluster.ts';

const cluster = await startCluster({
  redisUrl: process.env.REDIS_URL || undefined,
  balancerPort: Number(process.env.PORT || 3000),
});
console.log(`Redis:    ${cluster.redisUrl}${process.env.REDIS_URL ? '' : ' (started for this demo)'}`);
for (const node of cluster.nodes) console.log(`${node.name}:   ${node.url} (pid ${node.pid})`);
console.log(`Balancer: ${cluster.url}  <- open this one, in two tabs`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cluster.stop().then(() => process.exit(0));
  });
}
