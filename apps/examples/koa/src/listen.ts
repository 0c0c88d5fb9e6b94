import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AppOptions, type BuiltApp, buildApp } from './app.ts';

/** Options of `listen`: the app's, plus where to listen. */
export interface ListenOptions extends AppOptions {
  /** Default 3000; 0 picks a free port. */
  port?: number;
  /** Default `127.0.0.1`, so the demo is not on the network unless you ask. */
  host?: string;
}

/** A running app. */
export interface Running extends BuiltApp {
  server: Server;
  /** e.g. `http://127.0.0.1:3000` */
  url: string;
  /**
   * Drains tidings (WebSockets get 1001, SSE a `close` event, long polls their answer, each with its
   * own reconnect delay), then stops the server and drops what is left: done within the hub's
   * `drainTimeoutMs`, even with a client that stopped reading.
   */
  close(): Promise<void>;
}

/** Builds the app and starts it; resolves once the port is open. */
export async function listen(options: ListenOptions): Promise<Running> {
  const built = buildApp(options);
  const server = createServer(built.app.callback());
  // WebSockets arrive as `upgrade` events on the server; Koa's middleware never sees them.
  const ws = built.realtime.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port, family } = server.address() as AddressInfo;
  const host = family === 'IPv6' ? `[${address}]` : address;
  return {
    ...built,
    server,
    url: `http://${host}:${port}`,
    async close() {
      // At most drainTimeoutMs; a socket that did not finish its closing handshake by then is dropped.
      await built.hub.close();
      // Upgrades still in flight are the attachment's (the server no longer sees upgraded sockets).
      ws.close();
      // The hub has ended its streams and sockets by now. What is left are keep-alive sockets,
      // including fresh ones that have sent no request yet, which Node does not count as idle and
      // would keep open until its header timeout, and streams nobody reads.
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
