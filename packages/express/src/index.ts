import type { Server } from 'node:http';
import { type Hub, ROUTE_NAMES, routeName } from '@tidings/core';
import {
  attachWebSocket,
  type ClientAddress,
  createNodeHandler,
  type WebSocketAttachment,
} from '@tidings/node';
import type { NextFunction, Request, Response } from 'express';

/** Options of `tidings()`. */
export interface TidingsExpressOptions {
  /** The path you mount the middleware at; `attach` serves WebSockets at `basePath + '/ws'`. Default `/realtime`. */
  basePath?: string;
  /** Where a request comes from, for `maxConnectionsPerIp`. Default: the TCP peer; behind proxies `forwardedFor(n)` from `@tidings/node`. */
  clientAddress?: ClientAddress;
}

/** Express middleware for a hub, plus `attach` for WebSockets on the server `app.listen()` returns. */
export interface TidingsMiddleware {
  (req: Request, res: Response, next: NextFunction): void;
  /** The base path given in the options. */
  readonly basePath: string;
  /** Handles WebSocket upgrades for `basePath + '/ws'` on `server`. */
  attach(server: Server): WebSocketAttachment;
}

/**
 * Mounts the hub's routes in an Express 5 app:
 *
 * ```ts
 * const realtime = tidings(hub);
 * app.use('/realtime', realtime);
 * realtime.attach(app.listen(3000));
 * ```
 *
 * Requests whose last path segment is not a tidings route go on to `next()`, so the middleware is
 * safe at any mount point. Works behind a global JSON body parser (the parsed body is used) and
 * behind `compression` (SSE answers carry `no-transform`, which it honours).
 */
export function tidings(hub: Hub, options: TidingsExpressOptions = {}): TidingsMiddleware {
  const basePath = (options.basePath ?? '/realtime').replace(/\/$/, '');
  const handler = createNodeHandler(hub, { clientAddress: options.clientAddress });
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (!ROUTE_NAMES.has(routeName(req.path))) {
      next();
      return;
    }
    handler(req, res).catch(next);
  };
  return Object.assign(middleware, {
    basePath,
    attach: (server: Server) =>
      attachWebSocket(server, hub, { path: `${basePath}/ws`, clientAddress: options.clientAddress }),
  });
}
