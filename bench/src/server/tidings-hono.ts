// tidings on Hono running on @hono/node-server: `app.use(tidings(hub))` from
// @tidings/hono/node, WebSockets attached to the server `serve()` returns.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createHub } from '@tidings/core';
import { tidings } from '@tidings/hono/node';
import { Hono } from 'hono';
import { TOPIC } from '../payload.ts';
import { runTargetServer } from './harness.ts';
import { benchHubOptions } from './tidings-options.ts';

await runTargetServer(async () => {
  const hub = createHub(benchHubOptions);
  const app = new Hono();
  const realtime = tidings(hub);
  app.use(realtime);
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server));
  });
  realtime.attach(server);
  return {
    port: (server.address() as AddressInfo).port,
    broadcast(data) {
      hub.publish(TOPIC, data).catch((error: Error) => console.error(error));
    },
    connections: () => hub.stats().connections.total,
  };
});
