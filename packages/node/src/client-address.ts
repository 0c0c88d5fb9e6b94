import type { IncomingMessage } from 'node:http';

/** Tells which address a request comes from, for `maxConnectionsPerIp`. */
export type ClientAddress = (req: IncomingMessage) => string;

/** The default: the TCP peer. Behind a proxy that is the proxy, so every client shares one limit. */
export const socketAddress: ClientAddress = (req) => req.socket.remoteAddress ?? '';

/**
 * Trusts `X-Forwarded-For` as written by `trustedProxies` proxies in front of the server, and
 * takes the address the outermost trusted proxy saw. Entries further left are client-supplied and
 * could be forged, so they are never used. Falls back to the TCP peer when the header is shorter.
 */
export function forwardedFor(trustedProxies = 1): ClientAddress {
  if (!Number.isSafeInteger(trustedProxies) || trustedProxies < 1) {
    throw new TypeError('trustedProxies must be a positive integer');
  }
  return (req) => {
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((h) => h.trim());
    const address = hops.length >= trustedProxies ? hops[hops.length - trustedProxies] : undefined;
    return address || socketAddress(req);
  };
}
