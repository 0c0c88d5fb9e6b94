import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { createHub, type Hub } from '@tidings/core';
import { tidings } from '@tidings/hono/node';
import { buildApp, hubOptions, type Topics } from './app.ts';
import { localNotes } from './local-notes.ts';

/** Options of `listenNode`. */
export interface ListenOptions {
  /** HMAC secret for the demo tokens, at least 32 bytes. */
  secret: string;
  /** Default 3000; 0 picks a free port. */
  port?: number;
  /** Default `127.0.0.1`: the demo is not exposed to the network unless you ask for it. */
  host?: string;
}

/** A running app on Node. */
export interface Running {
  hub: Hub<Topics>;
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

// Absolute, so the app serves its page whatever the working directory.
const PUBLIC_DIR = fileURLToPath(new URL('../public', import.meta.url));

/**
 * The app on Node: `@hono/node-server`, with `@tidings/hono/node` for SSE written straight to the
 * ServerResponse and WebSockets handled on the http.Server (`realtime.attach`).
 */
export async function listenNode(options: ListenOptions): Promise<Running> {
  const hub = createHub<Topics>(hubOptions(options.secret));
  const realtime = tidings(hub);
  const app = buildApp({
    secret: options.secret,
    realtime,
    notes: localNotes(hub),
    assets: serveStatic({ root: PUBLIC_DIR }),
  });
  const server = serve({
    fetch: app.fetch,
    port: options.port ?? 3000,
    hostname: options.host ?? '127.0.0.1',
  }) as Server;
  const ws = realtime.attach(server);
  if (!server.listening) {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  }
  const { address, port, family } = server.address() as AddressInfo;
  const host = family === 'IPv6' ? `[${address}]` : address;
  return {
    hub,
    server,
    url: `http://${host}:${port}`,
    async close() {
      // At most drainTimeoutMs; a socket that did not finish its closing handshake by then is dropped.
      await hub.close();
      // What is left is not the hub's: upgrades in flight, kept-alive connections, unread streams.
      ws.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
