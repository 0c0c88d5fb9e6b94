import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHub, type Hub, type HubOptions } from '@tidings/core';
import { tidings } from '@tidings/express';
import express, { type Express } from 'express';

/** A real Express app with the tidings middleware, on 127.0.0.1, that can crash and come back on the same port. */
export interface TestServer {
  readonly hub: Hub;
  readonly app: Express;
  readonly port: number;
  /** The base URL of the routes, `http://127.0.0.1:<port>/realtime`. */
  readonly url: string;
  /** The URL of every request and WebSocket upgrade the server received, in order (as sent: path and query). */
  readonly requests: string[];
  /** Drops the server like a crash: every socket destroyed, the port closed. The hub (and its retained events) lives on. */
  stop(): Promise<void>;
  /** Listens again on the same port with the same hub. */
  start(): Promise<void>;
  /** Stops the server and closes the hub. */
  close(): Promise<void>;
}

export interface TestServerOptions {
  hub?: HubOptions;
  /** Attach the WebSocket upgrade handler. Default true. */
  ws?: boolean;
  /** Adds routes before the tidings middleware (a test page, a bundle). */
  routes?: (app: Express) => void;
  /** Called with the HTTP server each time it starts listening (to add an upgrade handler of the test's own). */
  attach?: (server: Server) => { close(): void };
}

export async function startServer(options: TestServerOptions = {}): Promise<TestServer> {
  const hub = createHub({ anonymous: true, authorize: () => true, ...options.hub });
  const app = express();
  options.routes?.(app);
  const realtime = tidings(hub);
  app.use('/realtime', realtime);
  let server: Server | undefined;
  let attachment: { close(): void } | undefined;
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  let port = 0;

  async function start(): Promise<void> {
    const s = app.listen(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      s.once('listening', resolve);
      s.once('error', reject);
    });
    const log = (request: IncomingMessage) => requests.push(request.url ?? '');
    s.prependListener('request', log);
    s.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    port = (s.address() as AddressInfo).port;
    if (options.ws ?? true) attachment = realtime.attach(s);
    else if (options.attach) attachment = options.attach(s);
    // Without an upgrade listener Node hands an upgrade request to `request` (logged above); adding
    // one here would claim it.
    if (s.listenerCount('upgrade') > 0) s.prependListener('upgrade', log);
    server = s;
  }

  async function stop(): Promise<void> {
    const s = server;
    server = undefined;
    if (!s) return;
    attachment?.close();
    // Upgraded sockets are no longer the http server's: destroy everything by hand, as a crash would.
    for (const socket of sockets) socket.destroy();
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  await start();
  return {
    hub,
    app,
    port,
    url: `http://127.0.0.1:${port}/realtime`,
    requests,
    stop,
    start,
    async close() {
      await stop();
      await hub.close();
    },
  };
}
