// Runs in a fresh directory where @tidings/hono was installed from the local registry with npm:
// one event must arrive over SSE and over WebSocket on @hono/node-server.
import { serve } from '@hono/node-server';
import { createHub } from '@tidings/core';
import { tidings } from '@tidings/hono/node';
import { Hono } from 'hono';
import { receiveOnce } from './receive.mjs';

const hub = createHub({ anonymous: true });
const realtime = tidings(hub);
const app = new Hono();
app.route('/realtime', realtime);
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, async (info) => {
  const base = `http://127.0.0.1:${info.port}/realtime`;
  const result = await receiveOnce(base, () => hub.publish('greetings', { hello: 'from hono' }));
  console.log(JSON.stringify(result));
  await hub.close();
  server.close();
});
realtime.attach(server);
