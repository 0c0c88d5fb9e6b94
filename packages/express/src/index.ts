import type { Server } from 'node:http';
import type { AnyHub } from '@tidings/core';
import {
  attachWebSocket,
  type ClientAddress,
  createNodeHandler,
  type WebSocketAttachment,
} from '@tidings/node';
import type { NextFunction, Request, Response } from 'express';

/** Options of `tidings()`. */
export interface TidingsExpressOptions {
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

/** Express middleware for a hub, plus `attach` for WebSockets on the server `app.listen()` returns. */
export interface TidingsMiddleware {
  (req: Request, res: Response, next: NextFunction): void;
  /** The path the routes live under, without a trailing slash. */
  readonly path: string;
  /** Handles WebSocket upgrades at `{path}/ws` on `server`. */
  attach(server: Server): WebSocketAttachment;
}

/**
 * Mounts the hub's routes in an Express 5 app:
 *
 * ```ts
 * const realtime = tidings(hub); // routes under /realtime
 * app.use(realtime);
 * realtime.attach(app.listen(3000));
 * ```
 *
 * It answers exactly `{path}/poll|long-poll|sse|publish|ws|ready` and passes every other request to
 * `next()`, wherever it sits in the app: the app's own `/api/orders/publish` stays the app's. Mounted
 * under a prefix (`app.use('/api', realtime)`), the prefix must lead to `path`
 * (`path: '/api/realtime'`); one that cannot gets a 500 `misconfigured` answer naming both, not a
 * silent 404. Works behind a global JSON body parser (the parsed body is used) and behind
 * `compression` (SSE answers carry `no-transform`, which it honours).
 */
export function tidings(hub: AnyHub, options: TidingsExpressOptions = {}): TidingsMiddleware {
  const handler = createNodeHandler(hub, { path: options.path, clientAddress: options.clientAddress });
  const path = handler.path;
  const fix =
    'mount it at the root with app.use(realtime), or give tidings(hub, { path }) a path under that mount';
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    // Express rewrites req.url under a mount; the original URL and the mount prefix tell the truth.
    if (!handler(req, res, { originalUrl: req.originalUrl, prefix: req.baseUrl, fix })) next();
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
