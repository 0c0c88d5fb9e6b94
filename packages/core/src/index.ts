/**
 * `@tidings/core`: the framework-neutral hub. Web-standard APIs only, so it runs unchanged on
 * Node, Bun, Deno and Cloudflare Workers; adapters translate requests and sockets to it.
 */
export { type JwtAlgorithm, signJwt, verifyJwt } from './auth/jwt.ts';
export type { Broker, BrokerHead, BrokerListener, HistoryResult, PublishInput } from './broker.ts';
export { isTidingsError, TidingsError } from './errors.ts';
export { createEpoch, type EventPosition, formatEventId, parseEventId } from './event-id.ts';
export { EventRecord } from './event-record.ts';
export { createHub, type Hub, type PublishOptions, type TopicMap } from './hub.ts';
export type { HubAnswer, HubRequest } from './hub-request.ts';
export { RESPONSE_TEXT } from './internal/http.ts';
export { createMemoryBroker, type MemoryBrokerOptions } from './memory-broker.ts';
export { HUB_DEFAULTS, type HubOptions, type JwtOptions, type ResolvedOptions } from './options.ts';
export type { Principal, TopicAction } from './principal.ts';
export { CLOSE_CODES, ERROR_CODES, type ErrorCode } from './protocol/codes.ts';
export type { Envelope, PollResponse } from './protocol/messages.ts';
export { ROUTE_NAMES, routeName } from './routes/route-name.ts';
export type { UpgradeDecision } from './routes/ws.ts';
export type { SocketHandlers, SocketPort } from './socket-port.ts';
export type { HubStats } from './stats.ts';
export type { RequestContext, StreamPort } from './stream-port.ts';
export { webSocketHandshakeError } from './websocket-handshake.ts';
