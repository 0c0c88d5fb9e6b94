import { type ConformanceTarget, runOperatorCommand, toHubOptions } from '@tidings/conformance';
import { createHub } from '@tidings/core';
import { Hono } from 'hono';
import { mountForConformance } from '../fixtures/conformance-app.ts';
import { listenHonoNode } from './node-server.ts';

/** Hono on `@hono/node-server` with `@tidings/hono/node`, mounted as the case asks. */
export const honoNodeTarget: ConformanceTarget = {
  name: 'hono (node, @tidings/hono/node)',
  capabilities: { protocolPing: true, clientAddress: true, mounts: ['root', 'prefixed', 'mismatch'] },
  async start(config) {
    const hub = createHub(toHubOptions(config));
    const running = await listenHonoNode(hub, new Hono(), {}, (app, realtime) =>
      mountForConformance(app, config, realtime),
    );
    return {
      url: `${running.origin}/realtime`,
      publish: (topic, data, event) => hub.publish(topic, data, event === undefined ? undefined : { event }),
      stats: async () => hub.stats(),
      operator: (command) => runOperatorCommand(hub, command),
      shutdown: () => hub.close(),
      close: () => running.close(),
    };
  },
};
