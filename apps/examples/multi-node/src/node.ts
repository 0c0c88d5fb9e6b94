// One hub process. `start.ts` runs two of these; you can also run more by hand:
//   REDIS_URL=redis://127.0.0.1:6379 NODE_NAME=node-3 PORT=3003 node --conditions=source src/node.ts
import { startNode } from './node-app.ts';

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) {
  console.error('REDIS_URL is required');
  process.exit(1);
}
const node = await startNode({
  name: process.env.NODE_NAME || `node-${process.pid}`,
  redisUrl,
  prefix: process.env.TIDINGS_PREFIX || undefined,
  port: Number(process.env.PORT || 0),
  host: process.env.HOST || undefined,
});
// One JSON line on stdout tells a parent process (start.ts, the tests) where this node listens.
console.log(JSON.stringify({ name: node.name, url: node.url }));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void node.close().then(() => process.exit(0));
  });
}
