// One hub process. `start.ts` runs two of these; you can also run more by hand:
//   REDIS_URL=redis://127.0.0.1:6379 NODE_NAME=node-3 PORT=3003 node --conditions=source src/node.ts
//   DATABASE_URL=postgres://… NODE_NAME=node-3 PORT=3003 node --conditions=source src/node.ts
import { startNode } from './node-app.ts';

const redisUrl = process.env.REDIS_URL || undefined;
const databaseUrl = process.env.DATABASE_URL || undefined;
if (!redisUrl === !databaseUrl) {
  console.error('set REDIS_URL or DATABASE_URL');
  process.exit(1);
}
const node = await startNode({
  name: process.env.NODE_NAME || `node-${process.pid}`,
  redisUrl,
  databaseUrl,
  prefix: process.env.TIDINGS_PREFIX || undefined,
  port: Number(process.env.PORT || 0),
  host: process.env.HOST || undefined,
  // Extra hub options as JSON, e.g. TIDINGS_HUB_OPTIONS='{"drainTimeoutMs":5000}'.
  hub: process.env.TIDINGS_HUB_OPTIONS ? JSON.parse(process.env.TIDINGS_HUB_OPTIONS) : undefined,
});
// One JSON line on stdout tells a parent process (start.ts, the tests) where this node listens.
console.log(JSON.stringify({ name: node.name, url: node.url }));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void node.close().then(() => process.exit(0));
  });
}
