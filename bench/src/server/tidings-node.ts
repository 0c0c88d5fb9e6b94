// tidings on a bare node:http server: `serve(hub)` from @tidings/node.
import type { AddressInfo } from 'node:net';
import { createHub } from '@tidings/core';
import { serve } from '@tidings/node';
import { TOPIC } from '../payload.ts';
import { runTargetServer } from './harness.ts';
import { benchHubOptions } from './tidings-options.ts';

await runTargetServer(async () => {
  const hub = createHub(benchHubOptions);
  const served = await serve(hub, { port: 0, host: '127.0.0.1' });
  return {
    port: (served.server.address() as AddressInfo).port,
    broadcast(data) {
      hub.publish(TOPIC, data).catch((error: Error) => console.error(error));
    },
    connections: () => hub.stats().connections.total,
  };
});
