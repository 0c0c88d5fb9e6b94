import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConformanceMount } from '@tidings/conformance';
import { createHub, type Hub, type HubOptions } from '@tidings/core';
import express, { type Express } from 'express';
import { type TidingsMiddleware, tidings } from '../src/index.ts';

/** A running Express app with tidings mounted at `/realtime`. */
export interface ExpressFixture {
  app: Express;
  hub: Hub;
  realtime: TidingsMiddleware;
  server: Server;
  /** Origin, e.g. `http://127.0.0.1:41234`. */
  origin: string;
  close(): Promise<void>;
}

/**
 * Builds an Express 5 app the way the README tells users to: `before` installs global middleware,
 * then tidings is mounted (at the root by default; `prefixed` is `app.use('/realtime', …)`,
 * `mismatch` is `app.use('/rt', …)`), then `after` adds the app's own routes; `app.listen` on
 * 127.0.0.1 and `realtime.attach(server)`.
 */
export async function startExpress(
  options: HubOptions,
  before: (app: Express) => void = () => {},
  after: (app: Express) => void = () => {},
  mount: ConformanceMount = 'root',
): Promise<ExpressFixture> {
  const hub = createHub(options);
  const app = express();
  before(app);
  const realtime = tidings(hub);
  if (mount === 'root') app.use(realtime);
  else app.use(mount === 'prefixed' ? '/realtime' : '/rt', realtime);
  after(app);
  const server = await new Promise<Server>((resolve) => {
    const listening: Server = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const attachment = realtime.attach(server);
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    app,
    hub,
    realtime,
    server,
    origin: `http://127.0.0.1:${port}`,
    close() {
      closed ??= (async () => {
        await hub.close();
        attachment.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closed;
    },
  };
}
