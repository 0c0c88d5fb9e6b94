import { defineConformanceSuite, toHubOptions } from '@tidings/conformance';
import { startExpress } from './start-express.ts';

defineConformanceSuite({
  name: 'express 5',
  capabilities: { protocolPing: true, clientAddress: true },
  async start(config) {
    const fixture = await startExpress(toHubOptions(config));
    return {
      url: `${fixture.origin}/realtime`,
      publish: (topic, data, event) =>
        fixture.hub.publish(topic, data, event === undefined ? undefined : { event }),
      shutdown: () => fixture.hub.close(),
      close: () => fixture.close(),
    };
  },
});
