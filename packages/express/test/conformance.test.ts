import { defineConformanceSuite, toHubOptions } from '@tidings/conformance';
import { startExpress } from './start-express.ts';

defineConformanceSuite({
  name: 'express 5',
  capabilities: { protocolPing: true, clientAddress: true, mounts: ['root', 'prefixed', 'mismatch'] },
  async start(config) {
    const fixture = await startExpress(
      toHubOptions(config),
      () => {},
      (app) => app.use((req, res) => void res.json({ app: `${req.method} ${req.path}` })),
      config.mount,
    );
    return {
      url: `${fixture.origin}/realtime`,
      publish: (topic, data, event) =>
        fixture.hub.publish(topic, data, event === undefined ? undefined : { event }),
      stats: async () => fixture.hub.stats(),
      shutdown: () => fixture.hub.close(),
      close: () => fixture.close(),
    };
  },
});
