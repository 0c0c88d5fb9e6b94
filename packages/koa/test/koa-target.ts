import { type ConformanceTarget, runOperatorCommand, toHubOptions } from '@tidings/conformance';
import { createHub } from '@tidings/core';
import Koa from 'koa';
import mount from 'koa-mount';
import { tidings } from '../src/index.ts';
import { listenKoa } from './listen-koa.ts';

/** Koa 3 with `tidings(hub)`, mounted as the case asks (koa-mount for a prefix), the host app answering the rest. */
export const koaTarget: ConformanceTarget = {
  name: 'koa (node)',
  capabilities: { protocolPing: true, clientAddress: true, mounts: ['root', 'prefixed', 'mismatch'] },
  async start(config) {
    const hub = createHub(toHubOptions(config));
    const realtime = tidings(hub);
    const app = new Koa();
    if (config.mount === 'prefixed') app.use(mount('/realtime', realtime));
    else if (config.mount === 'mismatch') app.use(mount('/rt', realtime));
    else app.use(realtime);
    // The host app: whatever tidings hands on.
    app.use((ctx) => {
      ctx.body = { app: `${ctx.method} ${ctx.originalUrl.split('?', 1)[0]}` };
    });
    const running = await listenKoa(app, realtime);
    let closed: Promise<void> | undefined;
    return {
      url: `${running.origin}${realtime.path}`,
      publish: (topic, data, event) => hub.publish(topic, data, event === undefined ? undefined : { event }),
      stats: async () => hub.stats(),
      operator: (command) => runOperatorCommand(hub, command),
      shutdown: () => hub.close(),
      close: () => {
        closed ??= hub.close().then(() => running.close());
        return closed;
      },
    };
  },
};
