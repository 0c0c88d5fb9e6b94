// tidings on a bare node:http server with its events in Redis (@tidings/redis). The runner starts
// two of these per run sharing one prefix: the measured node, which holds the clients, and (with
// the argument `publisher`) a second node that only publishes, so every event crosses Redis.
import type { AddressInfo } from 'node:net';
import { createHub } from '@tidings/core';
import { serve } from '@tidings/node';
import { createRedisBroker } from '@tidings/redis';
import { TOPIC } from '../payload.ts';
import { runTargetServer } from './harness.ts';
import { benchHubOptions } from './tidings-options.ts';

await runTargetServer(async () => {
  const url = process.env.BENCH_REDIS_URL;
  if (!url) throw new Error('BENCH_REDIS_URL is not set');
  const broker = await createRedisBroker({
    url,
    prefix: process.env.BENCH_REDIS_PREFIX ?? 'bench:',
    onError: (error) => console.error(error),
  });
  const hub = createHub({ ...benchHubOptions, broker });
  const served = await serve(hub, { port: 0, host: '127.0.0.1' });
  return {
    port: (served.server.address() as AddressInfo).port,
    broadcast(data) {
      hub.publish(TOPIC, data).catch((error: Error) => console.error(error));
    },
    connections: () => hub.stats().connections.total,
  };
});
