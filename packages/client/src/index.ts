/**
 * `@tidings/client`: one client for browsers and Node. WebSocket, SSE, long and short polling with
 * fallback, reconnect with backoff, resume from the last event id, and one connection shared by all
 * tabs of an origin. Its only dependency is `@tidings/core/protocol`.
 */

export type { Envelope } from '@tidings/core/protocol';
export type {
  AnyEnvelope,
  Client,
  ClientEvents,
  ClientStatus,
  PublishInfo,
  PublishOptions,
  PublishState,
  ResetInfo,
  SubscribeOptions,
} from './client.ts';
export type { ClientErrorCode, ClientOwnCode } from './client-error.ts';
export { ClientError } from './client-error.ts';
export { createClient } from './create-client.ts';
export { CLIENT_DEFAULTS, type ClientOptions, type TopicMap, type TransportName } from './options.ts';
