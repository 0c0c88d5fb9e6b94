import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hub } from '@tidings/core';
import { type ClientAddress, socketAddress } from './client-address.ts';
import { createNodeStreamPort } from './node-stream-port.ts';
import { toRequest } from './to-request.ts';
import { writeResponse } from './write-response.ts';

/** A Node request listener that answers the hub's HTTP routes. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * Answers the hub's HTTP routes on Node: the request is converted once, SSE goes through the direct
 * stream port, and everything else is written with `writeResponse`. The route is the last segment
 * of `req.url`, so the handler works mounted under any base path.
 */
/** Options of `createNodeHandler`. */
export interface NodeHandlerOptions {
  /** Where a request comes from, for `maxConnectionsPerIp`. Default: the TCP peer (`socketAddress`); behind proxies use `forwardedFor(n)`. */
  clientAddress?: ClientAddress;
}

export function createNodeHandler(hub: Hub, options: NodeHandlerOptions = {}): NodeHandler {
  const addressOf = options.clientAddress ?? socketAddress;
  return async (req, res) => {
    const request = toRequest(req, res);
    const response = await hub.handle(request, {
      clientAddress: addressOf(req),
      stream: createNodeStreamPort(res),
    });
    // A client that left (an aborted long poll) gets nothing written.
    if (response && !res.destroyed) await writeResponse(res, response);
  };
}
