// tidings on a bare node:http server with its events in PostgreSQL (@tidings/postgres). As with
// Redis, the runner starts two of these per run sharing one schema: the measured node, which holds
// the clients, and (with the argument `publisher`) a second node that only publishes, so every
// event crosses Postgres (an INSERT, NOTIFY, the feed's read) before it reaches a client.
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createHub } from '@tidings/core';
import { serve } from '@tidings/node';
import { createPostgresBroker } from '@tidings/postgres';
import { TOPIC } from '../payload.ts';
import { runTargetServer } from './harness.ts';
import { benchHubOptions } from './tidings-options.ts';

await runTargetServer(async () => {
  const url = process.env.BENCH_PG_URL;
  if (!url) throw new Error('BENCH_PG_URL is not set');
  // A schema of its own per run (from the run's Redis prefix), so runs never see each other's events.
  const run = process.env.BENCH_REDIS_PREFIX ?? 'bench';
  const schema = `bench_${createHash('sha1').update(run).digest('hex').slice(0, 16)}`;
  const broker = await createPostgresBroker({
    connectionString: url,
    schema,
    onError: (e) => console.error(e),
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
