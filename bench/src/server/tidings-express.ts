// tidings mounted in an Express 5 app: `app.use(tidings(hub))`.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createHub } from '@tidings/core';
import { tidings } from '@tidings/express';
import express from 'express';
import { TOPIC } from '../payload.ts';
import { runTargetServer } from './harness.ts';
import { benchHubOptions } from './tidings-options.ts';

await runTargetServer(async () => {
  const hub = createHub(benchHubOptions);
  const app = express();
  const realtime = tidings(hub);
  app.use(realtime);
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  realtime.attach(server);
  return {
    port: (server.address() as AddressInfo).port,
    broadcast(data) {
      hub.publish(TOPIC, data).catch((error: Error) => console.error(error));
    },
    connections: () => hub.stats().connections.total,
  };
});
