import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Hub } from '@tidings/core';
import { createNodeHandler } from './create-node-handler.ts';
import { attachWebSocket } from './websocket.ts';

/** Options of `serve`. */
export interface ServeOptions {
  /** Port to listen on. Default 0 (any free port). */
  port?: number;
  /** Address to bind. Default `127.0.0.1`. */
  host?: string;
  /** Path the routes live under. Default `/realtime`. */
  basePath?: string;
}

/** A running server from `serve`. */
export interface Served {
  server: Server;
  /** The base URL of the routes, e.g. `http://127.0.0.1:4000/realtime`. */
  url: string;
  /** Closes the hub (draining connections), then the server. */
  close(): Promise<void>;
}

/**
 * Runs a hub on a bare `node:http` server: every route under `basePath`, WebSockets at
 * `basePath + '/ws'`, 404 elsewhere.
 */
export async function serve(hub: Hub, options: ServeOptions = {}): Promise<Served> {
  const basePath = options.basePath ?? '/realtime';
  const handler = createNodeHandler(hub);
  const server = createServer((req, res) => {
    if (!(req.url ?? '/').startsWith(`${basePath}/`)) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"error":{"code":"not_found","message":"no such route"}}');
      return;
    }
    void handler(req, res);
  });
  const ws = attachWebSocket(server, hub, { path: `${basePath}/ws` });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { port, address, family } = server.address() as AddressInfo;
  const host = family === 'IPv6' ? `[${address}]` : address;
  return {
    server,
    url: `http://${host}:${port}${basePath}`,
    async close() {
      await hub.close();
      ws.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
