import type { Server } from 'node:http';
import type { AnyHub } from '@tidings/core';
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
   * The path the routes live under, as the client sees it: `{path}/poll`, `/long-poll`, `/sse`,
   * `/publish`, and WebSockets at `{path}/ws` through `attach`. Default `/realtime`.
   */
  path?: string;
  /** Where a request comes from, for `maxConnectionsPerIp`. Default: the TCP peer; behind proxies `forwardedFor(n)` from `@tidings/node`. */
  clientAddress?: ClientAddress;
  /** Enable permessage-deflate on WebSockets. Default false: compression costs CPU per client per message. */
  perMessageDeflate?: boolean;
}

/** Koa middleware for a hub, plus `attach` for WebSockets on the server `app.listen()` returns. */
export interface TidingsKoaMiddleware {
  (ctx: Context, next: Next): Promise<void>;
  /** The path the routes live under, without a trailing slash. */
  readonly path: string;
  /** Handles WebSocket upgrades at `{path}/ws` on `server`. */
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

const FIX = 'use app.use(realtime) outside koa-mount, or give tidings(hub, { path }) a path under that mount';

/**
 * Mounts the hub's routes in a Koa 3 app:
 *
 * ```ts
 * const realtime = tidings(hub); // routes under /realtime
 * app.use(realtime);
 * realtime.attach(app.listen(3000));
 * ```
 *
 * It answers exactly `{path}/poll|long-poll|sse|publish|ws|ready` and passes every other request to
 * `next()`, so it sits anywhere in the middleware stack, beside `@koa/router`. Under koa-mount the
 * mount must lead to `path`; one that cannot gets a 500 `misconfigured` answer naming both. The
 * answer is written by the Node bridge straight to `ctx.res` (`ctx.respond = false`): no PassThrough
 * body, and SSE fan-out takes the bridge's corked, framed-once path. Headers set upstream with
 * `ctx.set` (CORS, say) are kept.
 */
export function tidings(hub: AnyHub, options: TidingsKoaOptions = {}): TidingsKoaMiddleware {
  const handler = createNodeHandler(hub, { path: options.path, clientAddress: options.clientAddress });
  const path = handler.path;
  const middleware = async (ctx: Context, next: Next): Promise<void> => {
    // ctx.originalUrl, not ctx.url: koa-mount rewrites the latter (and records its prefix in mountPath).
    const prefix = (ctx as Context & { mountPath?: string }).mountPath ?? '';
    handOverParsedBody(ctx);
    const answering = handler(ctx.req, ctx.res, { originalUrl: ctx.originalUrl, prefix, fix: FIX });
    if (!answering) return next();
    // The bridge writes to ctx.res itself; Koa must not answer once this middleware resolves. It
    // resolves once the answer is written, so middleware above (a logger) sees the real status.
    ctx.respond = false;
    await answering;
  };
  return Object.assign(middleware, {
    path,
    attach: (server: Server) =>
      attachWebSocket(server, hub, {
        path,
        clientAddress: options.clientAddress,
        perMessageDeflate: options.perMessageDeflate,
      }),
  });
}
