import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHub, type Hub, type HubOptions } from '@tidings/core';
import type { Broker } from '@tidings/core/broker';
import { attachWebSocket, createNodeHandler } from '@tidings/node';
import { createPostgresBroker } from '@tidings/postgres';
import { createRedisBroker } from '@tidings/redis';
import pg from 'pg';
import { NOTES_TABLE, notesApi } from './notes-api.ts';

/** The topics of this demo. */
export type Topics = { chat: { from: string; text: string }; notes: { id: number; text: string } };

/** Options of `startNode`. Give `redisUrl` or `databaseUrl`: the nodes share events through that. */
export interface NodeOptions {
  /** Shown on the page and sent as `x-served-by`, so you can see which node answered. */
  name: string;
  redisUrl?: string;
  /** A PostgreSQL URL: events live in its `tidings` schema, and `/api/notes` stores notes there. */
  databaseUrl?: string;
  /** Key prefix in Redis, or schema in Postgres; every node of one app uses the same. Default `example_multi_node`. */
  prefix?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /**
   * More hub options, e.g. `drainTimeoutMs` to fit your grace period, `heartbeatMs`,
   * `maxConnectionsPerSecond`. Default: none beyond the demo's.
   */
  hub?: Omit<HubOptions, 'broker' | 'anonymous' | 'authorize' | 'authenticate' | 'jwt'>;
}

/** A running node. */
export interface RunningNode {
  name: string;
  /** e.g. `http://127.0.0.1:3001` */
  url: string;
  hub: Hub<Topics>;
  broker: Broker & { close(): Promise<void> };
  server: Server;
  /** Drains the hub, stops the server, then closes the broker's connections. */
  close(): Promise<void>;
}

const PAGE = readFileSync(new URL('../public/index.html', import.meta.url), 'utf8');

/**
 * One tidings node: a hub whose events live in Redis or Postgres, its routes under `/realtime`, and
 * the demo page at `/`. Start as many as you like with the same store and prefix; any of them can
 * serve any client, so a plain round-robin balancer in front is enough. On Postgres it also serves
 * `/api/notes`, which writes a note and publishes its event in one transaction.
 */
export async function startNode(options: NodeOptions): Promise<RunningNode> {
  const onError = (error: unknown) => console.warn(`[${options.name}] broker: ${(error as Error).message}`);
  const pool = options.databaseUrl ? new pg.Pool({ connectionString: options.databaseUrl }) : undefined;
  pool?.on('error', onError);
  const broker = pool
    ? await createPostgresBroker({ pool, schema: options.prefix ?? 'example_multi_node', onError })
    : await createRedisBroker({
        url: options.redisUrl!,
        prefix: options.prefix ?? 'example-multi-node:',
        onError,
      });
  if (pool) {
    // Both nodes start together: one creates the table while the other waits.
    await pool.query(
      `BEGIN; SELECT pg_advisory_xact_lock(hashtext('example notes')); ${NOTES_TABLE}; COMMIT`,
    );
  }
  // Anonymous demo: anyone may read and write `chat` and read `notes`, which only /api/notes
  // publishes. A real app sets `jwt` or `authenticate`.
  const hub = createHub<Topics>({
    ...options.hub,
    anonymous: true,
    authorize: (_who, topic, action) => topic === 'chat' || (topic === 'notes' && action === 'subscribe'),
    broker,
  });
  const realtime = createNodeHandler(hub);
  const page = PAGE.replaceAll('{{node}}', options.name);
  const server = createServer((req, res) => {
    res.setHeader('x-served-by', options.name);
    const path = (req.url ?? '/').split('?')[0];
    if (path?.startsWith('/realtime/')) void realtime(req, res);
    else if (path === '/api/notes' && pool) void notesApi(pool, hub, req, res);
    else if (path === '/api/stats') {
      // This node's connections and counters, to watch clients move between nodes.
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(hub.stats()));
    } else if (path === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  const ws = attachWebSocket(server, hub);
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { address, port } = server.address() as AddressInfo;
  return {
    name: options.name,
    url: `http://${address}:${port}`,
    hub,
    broker,
    server,
    async close() {
      // At most drainTimeoutMs; then what is left (upgrades in flight, kept-alive connections,
      // unread streams) is dropped, so the process exits within its grace period.
      await hub.close();
      ws.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await broker.close();
      await pool?.end();
    },
  };
}
