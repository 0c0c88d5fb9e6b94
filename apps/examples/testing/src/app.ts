import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AnyHub } from '@tidings/core';
import { type Served, serve } from '@tidings/node';
import { bundlePage } from './bundle-page.ts';

/** The app's own routes, beside tidings: the page and its script. */
export type PageRoutes = (req: IncomingMessage, res: ServerResponse) => void;

/** Builds the page routes: `GET /` the page, `GET /page.js` its script; 404 for anything else. */
export async function buildPageRoutes(): Promise<PageRoutes> {
  const html = readFileSync(new URL('../public/index.html', import.meta.url));
  const script = Buffer.from(await bundlePage());
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method === 'GET' && path === '/') {
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' })
        .end(html);
    } else if (req.method === 'GET' && path === '/page.js') {
      res
        .writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' })
        .end(script);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
    }
  };
}

/** Options of `listen`. */
export interface ListenOptions {
  /** The hub to serve: `createHub(SCOREBOARD_HUB_OPTIONS)`, or a test hub. */
  hub: AnyHub;
  /** Default 3000; 0 picks a free port. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
}

/** A running scoreboard: `serve()`'s server, its tidings URL (`…/realtime`) and `origin`, the page's. */
export interface Running extends Served {
  /** e.g. `http://127.0.0.1:3000`: the page is at `${origin}/`. */
  origin: string;
}

/** Starts the scoreboard: tidings under `/realtime`, the page at `/`. */
export async function listen(options: ListenOptions): Promise<Running> {
  const fallback = await buildPageRoutes();
  const served = await serve(options.hub, {
    port: options.port ?? 3000,
    host: options.host ?? '127.0.0.1',
    fallback,
  });
  return { ...served, origin: new URL(served.url).origin };
}
