import type { Server } from 'node:http';
import { type Hub, ROUTE_NAMES, routeName } from '@tidings/core';
import {
  attachWebSocket,
  type ClientAddress,
  createNodeHandler,
  type WebSocketAttachment,
} from '@tidings/node';
import type { Context, Next } from 'koa';

/** Options of `tidings()`. */
export interface TidingsKoaOptions {
  /**
   * The public path the routes live under, as the client sees it (`/realtime/sse`, `/realtime/ws`…).
   * Requests elsewhere go on to `next()`. Default `/realtime`.
   */
  basePath?: string;
  /** Where a request comes from, for `maxConnectionsPerIp`. Default: the TCP peer; behind proxies `forwardedFor(n)` from `@tidings/node`. */
  clientAddress?: ClientAddress;
}

/** Koa middleware for a hub, plus `attach` for WebSockets on the server `app.listen()` returns. */
export interface TidingsKoaMiddleware {
  (ctx: Context, next: Next): Promise<void>;
  /** The base path in force, without a trailing slash. */
  readonly basePath: string;
  /** Handles WebSocket upgrades for `basePath + '/ws'` on `server`. */
  attach(server: Server): WebSocketAttachment;
}

/** What a Koa body parser in front of us may have left on `ctx.request`. */
type ParsedRequest = { body?: unknown; rawBody?: unknown };

/**
 * A body parser in front (@koa/bodyparser, koa-body) has already read the request stream. The Node
 * bridge then takes `req.body`: prefer the exact text it kept (`rawBody`), so the hub checks the bytes
 * the client sent; else the parsed value, which the bridge re-serialises.
 */
function handOverParsedBody(ctx: Context): void {
  const req = ctx.req as typeof ctx.req & { body?: unknown };
  if (!req.readableEnded || req.body !== undefined) return;
  const { body, rawBody } = ctx.request as ParsedRequest;
  if (typeof rawBody === 'string') req.body = rawBody;
  else if (body !== undefined) req.body = body;
}

/**
 * Mounts the hub's routes in a Koa 3 app:
 *
 * ```ts
 * const realtime = tidings(hub); // routes under /realtime
 * app.use(realtime);
 * realtime.attach(app.listen(3000));
 * ```
 *
 * Only requests under `basePath` whose last path segment is a tidings route (`poll`, `long-poll`,
 * `sse`, `publish`, `ws`) are answered; everything else goes on to `next()`, so it sits anywhere
 * in the middleware stack, beside `@koa/router`. The answer is written by the Node bridge straight to
 * `ctx.res` (`ctx.respond = false`): no PassThrough body, and SSE fan-out takes the bridge's
 * corked, framed-once path. Headers set upstream with `ctx.set` (CORS, say) are kept.
 */
export function tidings(hub: Hub, options: TidingsKoaOptions = {}): TidingsKoaMiddleware {
  const basePath = (options.basePath ?? '/realtime').replace(/\/+$/, '');
  const prefix = `${basePath}/`;
  const handler = createNodeHandler(hub, { clientAddress: options.clientAddress });
  const middleware = async (ctx: Context, next: Next): Promise<void> => {
    // The original URL, not ctx.path: the same path the WebSocket route sees, even under koa-mount.
    const pathname = ctx.originalUrl.split('?', 1)[0]!;
    if (!pathname.startsWith(prefix) || !ROUTE_NAMES.has(routeName(pathname))) return next();
    ctx.respond = false;
    handOverParsedBody(ctx);
    await handler(ctx.req, ctx.res);
  };
  return Object.assign(middleware, {
    basePath,
    attach: (server: Server) =>
      attachWebSocket(server, hub, { path: `${basePath}/ws`, clientAddress: options.clientAddress }),
  });
}
