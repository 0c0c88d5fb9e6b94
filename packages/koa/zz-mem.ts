import { connect, type Socket } from 'node:net';
import { createServer } from 'node:http';
import { createHub } from '@tidings/core';
import { createNodeHandler, serve } from '@tidings/node';
import Koa from 'koa';
import { tidings } from './src/index.ts';

const N = 1000;
const mode = process.argv[2];
const hub = createHub({ anonymous: true, maxConnectionsPerIp: 100000 });
let port: number;
if (mode === 'koa') {
  const app = new Koa();
  app.use(tidings(hub));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  port = (server.address() as any).port;
} else {
  const served = await serve(hub);
  port = Number(new URL(served.url).port);
}
const sockets: Socket[] = [];
gc!(); gc!();
const before = process.memoryUsage();
for (let i = 0; i < N; i++) {
  const s = connect(port, '127.0.0.1');
  s.on('data', () => {});
  s.write('GET /realtime/sse?topics=t HTTP/1.1\r\nhost: x\r\n\r\n');
  sockets.push(s);
}
while (hub.stats().connections.sse < N) await new Promise((r) => setTimeout(r, 10));
await new Promise((r) => setTimeout(r, 200));
gc!(); gc!();
const after = process.memoryUsage();
// client sockets live in the same process: measure them alone afterwards is hard, so report totals
console.log(mode, 'heap/conn', ((after.heapUsed - before.heapUsed) / N / 1024).toFixed(2), 'KB', 'rss/conn', ((after.rss - before.rss) / N / 1024).toFixed(2), 'KB');
process.exit(0);
