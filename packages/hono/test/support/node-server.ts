import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hub } from '@tidings/core';
import { Hono, type MiddlewareHandler } from 'hono';
import { type TidingsNodeOptions, tidings } from '../../src/node.ts';

/** A Hono app with the hub at `/realtime` on @hono/node-server, listening on 127.0.0.1. */
export interface HonoNodeServer {
  server: Server;
  /** e.g. `http://127.0.0.1:41234` */
  origin: string;
  close(): Promise<void>;
}

/**
 * Starts Hono on Node with the Node entry (direct writes, WebSockets attached to the server), its
 * middleware added to `app` (a fresh one by default) by `mount` (default: `app.use(realtime)`).
 */
export async function listenHonoNode(
  hub: Hub,
  app: Hono = new Hono(),
  options: TidingsNodeOptions = {},
  mount: (app: Hono, realtime: MiddlewareHandler) => void = (a, realtime) => void a.use(realtime),
): Promise<HonoNodeServer> {
  const realtime = tidings(hub, options);
  mount(app, realtime);
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  const ws = realtime.attach(server);
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    server,
    origin: `http://127.0.0.1:${port}`,
    close() {
      closed ??= (async () => {
        await hub.close();
        ws.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closed;
    },
  };
}
