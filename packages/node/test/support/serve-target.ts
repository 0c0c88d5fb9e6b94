import { type ConformanceTarget, hostAppBody, runOperatorCommand, toHubOptions } from '@tidings/conformance';
import { createHub } from '@tidings/core';
import { serve } from '../../src/index.ts';

/**
 * `serve(hub)` on 127.0.0.1, the bridge Express, Koa and `@tidings/hono/node` share, as a small app
 * would use it: the routes under /realtime, the app's own answer (`fallback`) for the rest.
 */
export const serveTarget: ConformanceTarget = {
  name: 'node:http (serve)',
  capabilities: { protocolPing: true, clientAddress: true },
  async start(config) {
    const hub = createHub(toHubOptions(config));
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
        closed ??= served.close();
        return closed;
      },
    };
  },
};
