/**
 * `@tidings/core`: the framework-neutral hub, for apps. Web-standard APIs only, so it runs unchanged
 * on Node, Bun, Deno and Cloudflare Workers. Adapter authors import `@tidings/core/adapter`, broker
 * authors `@tidings/core/broker`; the wire contract is `@tidings/core/protocol`.
 */

export type {
  HmacAlgorithm,
  JwtAlgorithm,
  JwtClaimOptions,
  JwtJwksOptions,
  JwtKeysOptions,
  JwtOptions,
  JwtPublicKey,
  JwtSecretOptions,
  PublicKeyAlgorithm,
  TicketOptions,
} from './auth/auth-options.ts';
export { createJwtVerifier, type JwtVerifier, signJwt, verifyJwt } from './auth/jwt.ts';
export type { IssueTicketOptions } from './auth/ticket.ts';
export type { Clock } from './clock.ts';
export type {
  ConnectionTarget,
  NodeConnections,
  NodeInfo,
  OperatorReason,
  PresenceSnapshot,
} from './cluster.ts';
export { type ErrorInfo, type ErrorStage, isTidingsError, TidingsError } from './errors.ts';
export type { ConnectionInfo, DisconnectReason, ResetInfo } from './hooks.ts';
export {
  type AnyHub,
  createHub,
  type HandleContext,
  type Hub,
  type PublishOptions,
  type TopicMap,
} from './hub.ts';
export type { HubRequest } from './hub-request.ts';
export { createMemoryBroker, type MemoryBrokerOptions } from './memory-broker.ts';
export type {
  HubMeter,
  InstrumentOptions,
  MetricLabels,
  ObservableInstrument,
  ObservedValues,
} from './meter.ts';
export {
  HUB_DEFAULTS,
  type HubOptions,
  type HubOptionsView,
  type ResolvedOptions,
} from './options.ts';
export type { Principal, TopicAction } from './principal.ts';
export { ERROR_CODES, type ErrorCode } from './protocol/codes.ts';
export type { Envelope } from './protocol/messages.ts';
export { PRESENCE_EVENTS, type PresenceData } from './protocol/presence.ts';
export type { Retention } from './retention.ts';
export type { HubStats } from './stats.ts';
