import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AnyHub } from '@tidings/core';
import type { ClientAddress } from './client-address.ts';
import { createNodeHandler } from './create-node-handler.ts';
import { attachWebSocket } from './websocket.ts';

/** Options of `serve`. */
export interface ServeOptions {
  /** Port to listen on. Default 0 (any free port). */
  port?: number;
  /** Address to bind. Default `127.0.0.1`. */
  host?: string;
  /** The path the routes live under; WebSockets at `{path}/ws`. Default `/realtime`. */
  path?: string;
  /** Where a request comes from, for `maxConnectionsPerIp`. Default: the TCP peer; behind proxies `forwardedFor(n)`. */
  clientAddress?: ClientAddress;
  /** Answers every request outside the path (a health check, say). Default: 404 with a `not_found` JSON error. */
  fallback?: (req: IncomingMessage, res: ServerResponse) => void;
}

/** A running server from `serve`. */
export interface Served {
  server: Server;
  /** The base URL of the routes, e.g. `http://127.0.0.1:4000/realtime`. */
  url: string;
  /**
   * Closes the hub (draining connections: every client told when to come back, and what is still
   * there after `drainTimeoutMs` dropped), then drops every connection left (kept-alive ones, a
   * stream nobody reads, an upgrade in flight) and closes the server. Resolves within about
   * `drainTimeoutMs`, so a process that exits then is gone well inside a grace period.
   */
  close(): Promise<void>;
}

const NOT_FOUND = '{"error":{"code":"not_found","message":"no such route"}}';

/**
 * Runs a hub on a bare `node:http` server: every route under `path`, WebSockets at `{path}/ws`,
 * 404 elsewhere. Rejects when the server cannot listen (the port is taken, say).
 */
export async function serve(hub: AnyHub, options: ServeOptions = {}): Promise<Served> {
  const handler = createNodeHandler(hub, { path: options.path, clientAddress: options.clientAddress });
  const fallback =
    options.fallback ??
    ((_req: IncomingMessage, res: ServerResponse) => {
      res
        .writeHead(404, { 'content-type': 'application/json', 'content-length': NOT_FOUND.length })
        .end(NOT_FOUND);
    });
  const server = createServer((req, res) => {
    if (!handler(req, res)) fallback(req, res);
  });
  const ws = attachWebSocket(server, hub, { path: handler.path, clientAddress: options.clientAddress });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    ws.close();
    throw error;
  }
  const { port, address, family } = server.address() as AddressInfo;
  const host = family === 'IPv6' ? `[${address}]` : address;
  return {
    server,
    url: `http://${host}:${port}${handler.path}`,
    async close() {
      await hub.close();
      // Upgraded sockets are no longer the http server's: closeAllConnections() does not see them.
      ws.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
