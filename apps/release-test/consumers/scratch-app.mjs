// A scratch app as a user writes it, outside the monorepo, with @tidings/* installed from the local
// registry: `node scratch-app.mjs <express|koa|hono> <root|prefixed>`. The app has its own routes
// that end in tidings' route names; they must stay the app's. tidings is mounted at the root
// (`app.use(realtime)`) or under a framework prefix that leads to its path. Prints one JSON line.
import { createHub } from '@tidings/core';
import { receiveOnce } from './receive.mjs';

const [adapter, mount] = process.argv.slice(2);
const hub = createHub({ anonymous: true });
const answer = (method, path) => ({ app: `${method} ${path}` });

async function listenExpress() {
  const { default: express } = await import('express');
  const { tidings } = await import('@tidings/express');
  const realtime = tidings(hub);
  const app = express();
  app.use(express.json());
  if (mount === 'root') app.use(realtime);
  else app.use('/realtime', realtime);
  app.post('/api/x/publish', (req, res) => res.json(answer('POST', req.path)));
  app.get('/api/x/poll', (req, res) => res.json(answer('GET', req.path)));
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  realtime.attach(server);
  return server;
}

async function listenKoa() {
  const { default: Koa } = await import('koa');
  const { default: koaMount } = await import('koa-mount');
  const { tidings } = await import('@tidings/koa');
  const realtime = tidings(hub);
  const app = new Koa();
  app.use(mount === 'root' ? realtime : koaMount('/realtime', realtime));
  app.use((ctx) => {
    if (ctx.path === '/api/x/publish' || ctx.path === '/api/x/poll') ctx.body = answer(ctx.method, ctx.path);
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  realtime.attach(server);
  return server;
}

async function listenHono() {
  const { serve } = await import('@hono/node-server');
  const { Hono } = await import('hono');
  const { tidings } = await import('@tidings/hono/node');
  const realtime = tidings(hub);
  const app = new Hono();
  if (mount === 'root') app.use(realtime);
  else app.use('/realtime/*', realtime);
  app.post('/api/x/publish', (c) => c.json(answer('POST', c.req.path)));
  app.get('/api/x/poll', (c) => c.json(answer('GET', c.req.path)));
  const server = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  realtime.attach(server);
  return server;
}

const server = await { express: listenExpress, koa: listenKoa, hono: listenHono }[adapter]();
const origin = `http://127.0.0.1:${server.address().port}`;
const own = {
  publish: await (
    await fetch(`${origin}/api/x/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"order":1}',
    })
  ).json(),
  poll: await (await fetch(`${origin}/api/x/poll?topics=a`)).json(),
};
const received = await receiveOnce(`${origin}/realtime`, () => hub.publish('greetings', { hello: adapter }));
console.log(JSON.stringify({ own, ...received }));
await hub.close();
server.closeAllConnections();
server.close();
