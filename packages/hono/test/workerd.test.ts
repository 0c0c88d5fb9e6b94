import { defineConformanceSuite } from '@tidings/conformance';
import { createWorkerBundler, startWorker, workerServer } from './support/workerd-target.ts';

const bundled = createWorkerBundler();

defineConformanceSuite({
  // Every request goes through the Worker to one Durable Object, so publish and subscribers always
  // meet across requests. Workers cannot send protocol ping frames: the hub heartbeats with text pings.
  name: 'hono (workerd via miniflare, Durable Object host)',
  capabilities: { protocolPing: false, clientAddress: true },
  async start(config) {
    return workerServer(await startWorker(await bundled(), config));
  },
});
