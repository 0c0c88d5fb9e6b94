import { defineConformanceSuite, hostAppBody, runOperatorCommand, toHubOptions } from '@tidings/conformance';
import { createHub } from '@tidings/core';
import { serve } from '@tidings/node';
import { createRedisBroker } from '../src/index.ts';
import { deleteKeys, uniquePrefix, useSharedRedis } from './helpers/shared-redis.ts';

// The whole protocol suite, with the hub's events in Redis instead of memory: every case that
// publishes, replays, resumes or resets now goes through the broker's scripts and live feed.
const redis = useSharedRedis();

defineConformanceSuite({
  name: 'Redis broker (node:http)',
  capabilities: { protocolPing: true, clientAddress: true },
  async start(config) {
    const { retentionCount, retentionMs, ...options } = toHubOptions(config);
    const prefix = uniquePrefix();
    const broker = await createRedisBroker({ url: redis.url(), prefix, retentionCount, retentionMs });
    const hub = createHub({ ...options, broker });
    const served = await serve(hub, {
      fallback: (req, res) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(hostAppBody(req.method, req.url)),
    });
    let closed: Promise<void> | undefined;
    return {
      url: served.url,
      publish: (topic, data, event) => hub.publish(topic, data, event === undefined ? undefined : { event }),
      stats: async () => hub.stats(),
      operator: (command) => runOperatorCommand(hub, command),
      shutdown: () => hub.close(),
      close: () => {
        closed ??= (async () => {
          await served.close();
          await broker.close();
          await deleteKeys(redis.url(), [prefix]);
        })();
        return closed;
      },
    };
  },
});
