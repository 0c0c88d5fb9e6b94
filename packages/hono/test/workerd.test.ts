import { defineConformanceSuite } from '@tidings/conformance';
import { createWorkerBundler, startWorker, workerServer } from './support/workerd-target.ts';

const bundled = createWorkerBundler();

defineConformanceSuite({
  // Every request goes through the Worker to one Durable Object, so publish and subscribers always
  // meet across requests. Workers cannot send protocol ping frames (the hub heartbeats with text
  // pings), a Workers WebSocket reports no bufferedAmount, and workerd accepts some frames RFC 6455
  // says to close with 1002 (an unmasked one, a close with code 1005).
  name: 'hono (workerd via miniflare, Durable Object host)',
  capabilities: {
    protocolPing: false,
    clientAddress: true,
    webSocketFrameChecks: false,
    webSocketBackpressure: false,
  },
  async start(config) {
    return workerServer(await startWorker(await bundled(), config));
  },
});
