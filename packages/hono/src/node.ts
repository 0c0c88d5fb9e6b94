/**
 * `@tidings/hono/node`: the Hono middleware on `@hono/node-server`, with Node's fast paths. Every
 * route is answered by the Node bridge straight on the ServerResponse (no Fetch `Request`/`Response`
 * per poll, SSE without a web ReadableStream), and WebSockets are handled on the http.Server by
 * `@tidings/node`, which frames each event once for all sockets.
 */
import { type IncomingMessage, type Server, ServerResponse } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { AnyHub } from '@tidings/core';
import {
  attachWebSocket,
  type ClientAddress,
  createNodeHandler,
  socketAddress,
  type WebSocketAttachment,
} from '@tidings/node';
import type { Context, MiddlewareHandler } from 'hono';
import { type TidingsHonoOptions, tidings as tidingsPortable } from './index.ts';
import { mountPrefix } from './internal/mount-prefix.ts';

export type { WebSocketAttachment } from '@tidings/node';
export type { TidingsHonoOptions } from './index.ts';

/** Options of the Node `tidings()`. */
export interface TidingsNodeOptions {
  /** The path the routes live under, as the client sees it; WebSockets at `{path}/ws` through `attach`. Default `/realtime`. */
  path?: string;
  /**
   * Where a request or a WebSocket upgrade comes from, for `maxConnectionsPerIp`: a function of
   * Node's IncomingMessage, the same for both, as in `@tidings/express`. Default: the TCP peer
   * (`socketAddress`); behind proxies `forwardedFor(n)` from `@tidings/node`.
   */
  clientAddress?: ClientAddress;
  /** Enable permessage-deflate on WebSockets. Default false: compression costs CPU per client per message. */
  perMessageDeflate?: boolean;
}

/** The middleware, plus `attach` for WebSockets on the server `serve()` returns. */
export type TidingsNodeMiddleware = MiddlewareHandler & {
  /** The path the routes live under, without a trailing slash. */
  readonly path: string;
  /**
   * Handles WebSocket upgrades at `{path}/ws` on `server`, ahead of Hono: the hub decides first
   * (refusals are full HTTP answers with their JSON body), then `ws` upgrades, and each event goes
   * out as one pre-built frame, corked per tick, with protocol pings.
   */
  attach(server: Server): WebSocketAttachment;
};

const FIX = 'use app.use(realtime) at the root, or give tidings(hub, { path }) a path under that mount';

// Only HTTP/1 responses: an HTTP/2 stream has no socket of its own to write and cork.
function nodePair(c: Context): [IncomingMessage, ServerResponse] | undefined {
  const env = c.env as Partial<HttpBindings> | undefined;
  return env?.incoming && env.outgoing instanceof ServerResponse ? [env.incoming, env.outgoing] : undefined;
}

/**
 * Mounts the hub on Hono running on `@hono/node-server`:
 *
 * ```ts
 * const realtime = tidings(hub); // routes under /realtime
 * app.use(realtime);
 * realtime.attach(serve({ fetch: app.fetch, port: 3000 }) as Server);
 * ```
 *
 * Without Node's request and response in `c.env` (the app called through `app.request()`, or an
 * HTTP/2 stream), when a middleware before it already read a request body, and for HEAD requests,
 * it answers through `@tidings/hono`'s portable path instead.
 */
export function tidings(hub: AnyHub, options: TidingsNodeOptions = {}): TidingsNodeMiddleware {
  const { clientAddress = socketAddress, perMessageDeflate } = options;
  const handler = createNodeHandler(hub, { path: options.path, clientAddress });
  const path = handler.path;
  const portableOptions: TidingsHonoOptions = {
    path,
    clientAddress(c) {
      const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
      return incoming && clientAddress(incoming);
    },
  };
  const portable = tidingsPortable(hub, portableOptions);
  const middleware: MiddlewareHandler = async (c, next) => {
    const pair = nodePair(c);
    // A body Hono already read (`c.req.json()` upstream) lives in its Request, not in the socket.
    // Hono answers HEAD by running the app as GET and copying the answer into a bodiless Response,
    // which loses the "already sent" mark of a direct write: the headers would go out twice.
    if (!pair || (pair[0].readableEnded && c.req.method === 'POST') || pair[0].method === 'HEAD') {
      return portable(c, next);
    }
    const [incoming, outgoing] = pair;
    const mount = { originalUrl: incoming.url ?? c.req.path, prefix: mountPrefix(c), fix: FIX };
    const answering = handler(incoming, outgoing, mount);
    if (!answering) return next();
    await answering;
    return RESPONSE_ALREADY_SENT;
  };
  return Object.assign(middleware, {
    path,
    attach: (server: Server) => attachWebSocket(server, hub, { path, clientAddress, perMessageDeflate }),
  });
}
