import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { logUpgrade } from './access-log.ts';
import { type AppOptions, type BuiltApp, buildApp } from './app.ts';

/** Options of `listen`: the app's options plus where to listen. */
export interface ListenOptions extends AppOptions {
  /** Default 3000; 0 picks a free port. */
  port?: number;
  /** Default `127.0.0.1`: the demo is not exposed to the network unless you ask for it. */
  host?: string;
}

/** A running app. */
export interface Running extends BuiltApp {
  server: Server;
  /** e.g. `http://127.0.0.1:3000` */
  url: string;
  /**
   * Drains tidings (WebSockets get 1001, SSE a `close` event, long polls their answer, each with its
   * own reconnect delay), then drops whatever is left and stops the server: done within the hub's
   * `drainTimeoutMs`, even with a client that stopped reading.
   */
  close(): Promise<void>;
}

/** Builds the app and starts it; resolves once the port is open. */
export async function listen(options: ListenOptions): Promise<Running> {
  const built = buildApp(options);
  const server = createServer(built.app);
  // WebSockets arrive as `upgrade` events on the server, which Express never sees.
  const ws = built.realtime.attach(server);
  built.lab.attach(server);
  const { accessLog } = options;
  if (accessLog) server.prependListener('upgrade', (req) => logUpgrade(accessLog, req));
  // The lab's page needs the client bundle: start serving only once it is built.
  await built.lab.ready;
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
      built.lab.close();
      // At most drainTimeoutMs; a socket that did not finish its closing handshake by then is dropped.
      await built.hub.close();
      await built.metrics.shutdown();
      // What is left is not the hub's: upgrades in flight (ws), kept-alive connections and streams
      // nobody reads (the server). Waiting for those would hold the process past its grace period.
      ws.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
