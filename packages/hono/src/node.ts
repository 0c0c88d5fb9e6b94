/**
 * `@tidings/hono/node`: the Hono sub-app on `@hono/node-server`, with Node's fast paths. SSE is
 * written straight to the ServerResponse instead of through a web ReadableStream (Hono's
 * `streamSSE` on Node costs several times raw `node:http` per delivery), and WebSockets are
 * handled on the http.Server by `@tidings/node`, which frames each event once for all sockets.
 */
import { type Server, ServerResponse } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Hub } from '@tidings/core';
import {
  attachWebSocket,
  type ClientAddress,
  createNodeStreamPort,
  socketAddress,
  type WebSocketAttachment,
} from '@tidings/node';
import type { Context, Hono } from 'hono';
import { type TidingsHonoOptions, tidings as tidingsApp } from './index.ts';

export type { WebSocketAttachment } from '@tidings/node';
export type { DirectStream, TidingsHonoOptions } from './index.ts';

/** Options of the Node `tidings()`. */
export interface TidingsNodeOptions extends Omit<TidingsHonoOptions, 'directStream' | 'clientAddress'> {
  /** The path you mount the app at; `attach` serves WebSockets at `basePath + '/ws'`. Default `/realtime`. */
  basePath?: string;
  /**
   * Where a request or a WebSocket upgrade comes from, for `maxConnectionsPerIp`: a function of
   * Node's IncomingMessage, the same for both, as in `@tidings/express`. Default: the TCP peer
   * (`socketAddress`); behind proxies `forwardedFor(n)` from `@tidings/node`.
   */
  clientAddress?: ClientAddress;
}

/** The Hono sub-app, plus `attach` for WebSockets on the server `serve()` returns. */
export type TidingsNodeApp = Hono & {
  /** Where `attach` serves WebSockets: `basePath + '/ws'`. (Not `basePath`, which is Hono's own method.) */
  readonly webSocketPath: string;
  /**
   * Handles WebSocket upgrades for `basePath + '/ws'` on `server`, ahead of Hono: the hub decides
   * first (refusals are full HTTP answers with their JSON body), then `ws` upgrades, and each event
   * goes out as one pre-built frame, corked per tick, with protocol pings.
   */
  attach(server: Server): WebSocketAttachment;
};

// Only HTTP/1 responses: an HTTP/2 stream has no socket of its own to write and cork.
function outgoingOf(c: Context): ServerResponse | undefined {
  const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
  return outgoing instanceof ServerResponse ? outgoing : undefined;
}

/**
 * Mounts the hub on Hono running on `@hono/node-server`:
 *
 * ```ts
 * const realtime = tidings(hub);
 * app.route('/realtime', realtime);
 * realtime.attach(serve({ fetch: app.fetch, port: 3000 }) as Server);
 * ```
 *
 * Without `c.env.outgoing` (the app called through `app.request()`, or on another runtime) SSE
 * falls back to the portable web stream.
 */
export function tidings(hub: Hub, options: TidingsNodeOptions = {}): TidingsNodeApp {
  const { basePath: mountedAt = '/realtime', clientAddress = socketAddress, ...rest } = options;
  const basePath = mountedAt.replace(/\/$/, '');
  const app = tidingsApp(hub, {
    ...rest,
    clientAddress(c) {
      const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
      return incoming && clientAddress(incoming);
    },
    directStream(c) {
      const outgoing = outgoingOf(c);
      return outgoing && { port: createNodeStreamPort(outgoing), response: RESPONSE_ALREADY_SENT };
    },
  });
  const webSocketPath = `${basePath}/ws`;
  return Object.assign(app, {
    webSocketPath,
    attach: (server: Server) => attachWebSocket(server, hub, { path: webSocketPath, clientAddress }),
  });
}
