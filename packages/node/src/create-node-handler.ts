import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hub } from '@tidings/core';
import { type ClientAddress, socketAddress } from './client-address.ts';
import { createNodeStreamPort } from './node-stream-port.ts';
import { NodeRequestView } from './request-view.ts';
import { writeAnswer } from './write-answer.ts';

/** A Node request listener that answers the hub's HTTP routes. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Options of `createNodeHandler`. */
export interface NodeHandlerOptions {
  /** Where a request comes from, for `maxConnectionsPerIp`. Default: the TCP peer (`socketAddress`); behind proxies use `forwardedFor(n)`. */
  clientAddress?: ClientAddress;
}

/**
 * Answers the hub's HTTP routes on Node without Fetch objects: the request is read through a
 * light view, SSE goes through the direct stream port, and every other answer is written from
 * plain data. The route is the last segment of `req.url`, so the handler works mounted under any
 * base path. The returned promise never rejects for bad input: that becomes its error answer.
 */
export function createNodeHandler(hub: Hub, options: NodeHandlerOptions = {}): NodeHandler {
  const addressOf = options.clientAddress ?? socketAddress;
  return async (req, res) => {
    const answer = await hub.respond(new NodeRequestView(req, res), {
      clientAddress: addressOf(req),
      stream: createNodeStreamPort(res),
    });
    // A client that left (an aborted long poll) gets nothing written.
    if (answer && !res.destroyed) writeAnswer(res, answer);
  };
}
