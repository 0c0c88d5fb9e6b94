import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AnyHub } from '@tidings/core';
import { matchRoute, misconfigured, resolvePath, respond } from '@tidings/core/adapter';
import { type ClientAddress, socketAddress } from './client-address.ts';
import { createNodeStreamPort } from './node-stream-port.ts';
import { NodeRequestView } from './request-view.ts';
import { writeAnswer } from './write-answer.ts';

/** Where a framework mounted the handler, when it rewrote `req.url` (Express's `app.use('/x', …)`, koa-mount). */
export interface NodeMount {
  /** The request's URL as the client sent it (Express's `req.originalUrl`, Koa's `ctx.originalUrl`). */
  originalUrl: string;
  /** The prefix the framework mounted the handler at (Express's `req.baseUrl`); empty at the root. */
  prefix: string;
  /** How to fix a mount that can never reach the path, said in the framework's terms. */
  fix: string;
}

/**
 * A Node request handler for the hub's HTTP routes under one path. Call it for every request: it
 * answers `{path}/poll|long-poll|sse|publish|ready` (and the plain-HTTP `{path}/ws`) and returns a promise
 * that settles once the answer is written (an SSE stream: once it is open), or returns false without
 * touching anything, so the caller hands the request on. The promise never rejects.
 */
export interface NodeHandler {
  (req: IncomingMessage, res: ServerResponse, mount?: NodeMount): Promise<void> | false;
  /** The path the handler owns, without a trailing slash. */
  readonly path: string;
}

/** Options of `createNodeHandler`. */
export interface NodeHandlerOptions {
  /** The path the routes live under, as the client sees it. Default `/realtime`. */
  path?: string;
  /** Where a request comes from, for `maxConnectionsPerIp`. Default: the TCP peer (`socketAddress`); behind proxies use `forwardedFor(n)`. */
  clientAddress?: ClientAddress;
}

function pathnameOf(url: string): string {
  // An absolute-form target (a request meant for a proxy) carries scheme and host first.
  if (!url.startsWith('/')) {
    try {
      return new URL(url).pathname;
    } catch {
      return '';
    }
  }
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * Answers the hub's HTTP routes on Node without Fetch objects: the request is read through a light
 * view, SSE goes through the direct stream port, and every other answer is written from plain data.
 * Requests elsewhere are left alone (the handler returns false); a mount that can never reach
 * `path` gets a 500 `misconfigured` answer naming both paths.
 */
export function createNodeHandler(hub: AnyHub, options: NodeHandlerOptions = {}): NodeHandler {
  const path = resolvePath(options.path ?? '/realtime');
  const addressOf = options.clientAddress ?? socketAddress;
  const answer = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: string,
    held: boolean,
  ): Promise<void> => {
    // A draining hub closes each connection after its answer (`Connection: close`): a kept-alive
    // one would bring the client's next request back here, when a new one lets the load balancer
    // pick a node that is not shutting down.
    if (hub.ready === false) res.shouldKeepAlive = false;
    // Only SSE (which streams) and a long poll (which watches for its client leaving) use the port:
    // a short poll or a publish allocates none.
    const context = held
      ? { clientAddress: addressOf(req), stream: createNodeStreamPort(res) }
      : { clientAddress: addressOf(req) };
    const result = await respond(hub, new NodeRequestView(req, res, url), context);
    // A client that left (an aborted long poll) gets nothing written.
    if (result && !res.destroyed) writeAnswer(res, result);
  };
  const handler = (req: IncomingMessage, res: ServerResponse, mount?: NodeMount): Promise<void> | false => {
    const url = mount?.originalUrl ?? req.url ?? '/';
    const match = matchRoute(path, pathnameOf(url), mount?.prefix);
    if (match === undefined) return false;
    if (match !== 'misconfigured') return answer(req, res, url, match === 'sse' || match === 'long-poll');
    writeAnswer(res, misconfigured(hub, path, mount!.prefix, mount!.fix));
    return Promise.resolve();
  };
  return Object.assign(handler, { path });
}
