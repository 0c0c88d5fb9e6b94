import type { HubOptions, Principal, TopicAction } from '@tidings/core';

/** The HS256 secret every conformance hub uses unless a config says otherwise (test-only, never a real secret). */
export const CONFORMANCE_SECRET = 'tidings-conformance-secret-0123456789abcdef';

/**
 * A JSON-serialisable description of the hub a target starts. Out-of-process targets (Bun, Deno,
 * workerd) receive it as JSON and build their hub with `toHubOptions`, exactly like in-process ones.
 * Every field but `jwtSecret` is optional and maps to the `HubOptions` field of the same name.
 */
export interface ConformanceConfig {
  /** HS256 secret of the hub's JWT verification. */
  jwtSecret: string;
  /** JWT clock leeway in seconds (`jwt.leewayS`). Default 0 here, so token-expiry cases run fast. */
  jwtLeewayS?: number;
  anonymous?: boolean;
  tokenCookie?: string;
  allowedOrigins?: string[];
  retentionCount?: number;
  retentionMs?: number;
  maxConnections?: number;
  maxConnectionsPerUser?: number;
  maxConnectionsPerIp?: number;
  maxTopicsPerConnection?: number;
  maxMessageBytes?: number;
  maxBufferedBytes?: number;
  maxPublishesPerSecond?: number;
  maxErrorsPerInterval?: number;
  heartbeatMs?: number;
  sseHeartbeatMs?: number;
  sseRetryMs?: number;
  longPollTimeoutS?: number;
  longPollMaxTimeoutS?: number;
  retryAfterS?: number;
  drainTimeoutMs?: number;
  tickMs?: number;
}

/** Claims roles the fixed authorization rule knows. */
export type ConformanceRole = 'subscriber' | 'publisher' | 'admin';

function roleOf(principal: Principal): unknown {
  return principal.claims?.role;
}

/**
 * The fixed authorization rule of every conformance hub: a `publisher` or `admin` role may publish;
 * topics starting with `private.` need `admin` to subscribe (and to publish); anything else may
 * be subscribed by any authenticated (or allowed anonymous) principal.
 */
export function conformanceAuthorize(principal: Principal, topic: string, action: TopicAction): boolean {
  const role = roleOf(principal);
  if (topic.startsWith('private.')) return role === 'admin';
  if (action === 'publish') return role === 'publisher' || role === 'admin';
  return true;
}

/** Builds the HubOptions a target passes to `createHub` for a config. */
export function toHubOptions(config: ConformanceConfig): HubOptions {
  const { jwtSecret, jwtLeewayS, ...rest } = config;
  return {
    ...rest,
    jwt: { secret: jwtSecret, leewayS: jwtLeewayS ?? 0 },
    authorize: conformanceAuthorize,
  };
}
