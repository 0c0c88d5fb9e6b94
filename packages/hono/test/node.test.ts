import { defineConformanceSuite, toHubOptions } from '@tidings/conformance';
import { createHub } from '@tidings/core';
import { listenHonoNode } from './support/node-server.ts';

defineConformanceSuite({
  name: 'hono (node, @tidings/hono/node)',
  capabilities: { protocolPing: true, clientAddress: true },
  async start(config) {
    const hub = createHub(toHubOptions(config));
    const running = await listenHonoNode(hub);
    return {
      url: `${running.origin}/realtime`,
      publish: (topic, data, event) => hub.publish(topic, data, event === undefined ? undefined : { event }),
      shutdown: () => hub.close(),
      close: () => running.close(),
    };
  },
});
