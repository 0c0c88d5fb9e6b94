import { defineConformanceSuite, toHubOptions } from '@tidings/conformance';
import { createHub } from '@tidings/core';
import Koa from 'koa';
import { tidings } from '../src/index.ts';
import { listenKoa } from './listen-koa.ts';

defineConformanceSuite({
  name: 'koa (node)',
  capabilities: { protocolPing: true, clientAddress: true },
  async start(config) {
    const hub = createHub(toHubOptions(config));
    const realtime = tidings(hub);
    const app = new Koa();
    app.use(realtime);
    const running = await listenKoa(app, realtime);
    let closed: Promise<void> | undefined;
    return {
      url: `${running.origin}${realtime.basePath}`,
      publish: (topic, data, event) => hub.publish(topic, data, event === undefined ? undefined : { event }),
      shutdown: () => hub.close(),
      close: () => {
        closed ??= hub.close().then(() => running.close());
        return closed;
      },
    };
  },
});
