import { defineConformanceSuite, toHubOptions } from '@tidings/conformance';
import { createHub } from '@tidings/core';
import { serve } from '../src/index.ts';

defineConformanceSuite({
  name: 'node:http (serve)',
  capabilities: { protocolPing: true, clientAddress: true },
  async start(config) {
    const hub = createHub(toHubOptions(config));
    const served = await serve(hub);
    let closed: Promise<void> | undefined;
    return {
      url: served.url,
      publish: (topic, data, event) => hub.publish(topic, data, event === undefined ? undefined : { event }),
      shutdown: () => hub.close(),
      close: () => {
        closed ??= served.close();
        return closed;
      },
    };
  },
});
