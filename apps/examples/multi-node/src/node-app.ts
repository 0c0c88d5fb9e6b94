import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHub, type Hub } from '@tidings/core';
import { attachWebSocket, createNodeHandler } from '@tidings/node';
import { createRedisBroker, type RedisBroker } from '@tidings/redis';

/** The topics of this demo. */
export type Topics = { chat: { from: string; text: string } };

/** Options of `startNode`. */
export interface NodeOptions {
  /** Shown on the page and sent as `x-served-by`, so you can see which node answered. */
  name: string;
  redisUrl: string;
  /** Key prefix in Redis; every node of one app uses the same. Default `example-multi-node:`. */
  prefix?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
}

/** A running node. */
export interface RunningNode {
  name: string;
  /** e.g. `http://127.0.0.1:3001` */
  url: string;
  hub: Hub<Topics>;
  broker: RedisBroker;
  server: Server;
  /** Drains the hub, stops the server, then closes the broker's Redis connections. */
  close(): Promise<void>;
}

const PAGE = readFileSync(new URL('../public/index.html', import.meta.url), 'utf8');

/**
 * One tidings node: a hub whose events live in Redis, its routes under `/realtime`, and the demo
 * page at `/`. Start as many as you like with the same Redis and prefix; any of them can serve any
 * client, so a plain round-robin balancer in front is enough.
 */
export async function startNode(options: NodeOptions): Promise<RunningNode> {
  const broker = await createRedisBroker({
    url: options.redisUrl,
    prefix: options.prefix ?? 'example-multi-node:',
    onError: (error) => console.warn(`[${options.name}] redis: ${(error as Error).message}`),
  });
  // Anonymous demo: anyone may read and write `chat`. A real app sets `jwt` or `authenticate`.
  const hub = createHub<Topics>({ anonymous: true, authorize: (_who, topic) => topic === 'chat', broker });
  const realtime = createNodeHandler(hub);
  const page = PAGE.replaceAll('{{node}}', options.name);
  const server = createServer((req, res) => {
    res.setHeader('x-served-by', options.name);
    const path = (req.url ?? '/').split('?')[0];
    if (path?.startsWith('/realtime/')) void realtime(req, res);
    else if (path === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  const ws = attachWebSocket(server, hub, { path: '/realtime/ws' });
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
      await hub.close();
      ws.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await broker.close();
    },
  };
}
