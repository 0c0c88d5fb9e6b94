/**
 * `@tidings/core/adapter`: what an adapter author needs to put a hub behind a framework or a
 * runtime. An adapter converts the request, writes the answer with backpressure, performs the
 * runtime's WebSocket upgrade, and exports one mount function; everything else is the hub's.
 */
import { ADAPTER_HOOKS, type AnyHub, type HubAdapterHooks } from './hub.ts';
import type { HubAnswer, HubRequest } from './hub-request.ts';
import type { UpgradeDecision } from './routes/ws.ts';
import type { RequestContext } from './stream-port.ts';

export { EventRecord } from './event-record.ts';
export { ADAPTER_HOOKS, type HubAdapterHooks } from './hub.ts';
export type { HubAnswer, HubRequest } from './hub-request.ts';
export { toResponse } from './internal/http.ts';
export {
  matchRoute,
  ROUTE_NAMES,
  type RouteName,
  resolvePath,
  routeName,
} from './routes/route-name.ts';
export type { UpgradeDecision } from './routes/ws.ts';
export type { SocketHandlers, SocketPort } from './socket-port.ts';
export type { RequestContext, StreamPort } from './stream-port.ts';
export { webSocketHandshakeError } from './websocket-handshake.ts';

function hooksOf(hub: AnyHub): HubAdapterHooks {
  const hooks = (hub as unknown as Record<symbol, HubAdapterHooks | undefined>)[ADAPTER_HOOKS];
  if (!hooks) throw new TypeError('expected a hub from createHub() of @tidings/core');
  return hooks;
}

/**
 * Answers an HTTP route of the protocol for a bridge that writes answers itself (the Node bridge):
 * a finished answer comes back as plain data (status, headers, JSON text), and SSE goes through
 * `context.stream`, in which case it resolves to undefined. `stream` is required for SSE (without
 * it the answer is a 500 `internal`) and lets a long poll see its client leave; a short poll or a
 * publish needs none. Never rejects.
 */
export function respond(
  hub: AnyHub,
  request: HubRequest,
  context: RequestContext,
): Promise<HubAnswer | undefined> {
  return hooksOf(hub).respond(request, context);
}

/** Decides a WebSocket upgrade before it happens; see UpgradeDecision. Never rejects. */
export function upgrade(
  hub: AnyHub,
  request: HubRequest,
  context: RequestContext = {},
): Promise<UpgradeDecision> {
  return hooksOf(hub).upgrade(request, context);
}

/**
 * The answer to a request that reached an adapter mounted where its path can never be reached
 * (`matchRoute` said `misconfigured`): a 500 `misconfigured` error naming both paths. The message is
 * also reported once, through the hub's `onError` (stage `mount`) or, without one, `console.error`.
 */
export function misconfigured(hub: AnyHub, path: string, mount: string, fix: string): HubAnswer {
  return hooksOf(hub).misconfigured(
    `tidings is mounted at "${mount}" but its path is "${path || '/'}", which no request under that mount can reach: ${fix}`,
  );
}

/**
 * How many connections of this hub are subscribed to `topic` right now: WebSockets, SSE streams
 * and waiting long polls (a short poll is a request, never a connection). Connections of other
 * hubs sharing a broker are not counted. For tests and tools that wait for subscribers (the test
 * hub's `waitForSubscribers` in `@tidings/testing`).
 */
export function subscriberCount(hub: AnyHub, topic: string): number {
  return hooksOf(hub).subscribers(topic);
}
