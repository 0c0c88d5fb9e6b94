import { type ConformanceTarget, runOperatorCommand, toHubOptions } from '@tidings/conformance';
import { startExpress } from './start-express.ts';

/** Express 5 with `tidings(hub)`, mounted as the case asks, the host app answering the rest. */
export const expressTarget: ConformanceTarget = {
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
      operator: (command) => runOperatorCommand(fixture.hub, command),
      shutdown: () => fixture.hub.close(),
      close: () => fixture.close(),
    };
  },
};
