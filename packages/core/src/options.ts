import type { Broker } from './broker.ts';
import type { HubRequest } from './hub-request.ts';
import type { Principal, TopicAction } from './principal.ts';

/** Built-in JWT verification (HS256/HS384/HS512 through WebCrypto). */
export interface JwtOptions {
  /** The shared HMAC secret. Required; at least 32 bytes. */
  secret: string | Uint8Array;
  /** Accepted algorithms. Default `['HS256']`; a token with any other `alg` (or `none`) is refused. */
  algorithms?: ('HS256' | 'HS384' | 'HS512')[];
  /** When set, the token's `aud` must contain it. Default: not checked. */
  audience?: string;
  /** When set, the token's `iss` must equal it. Default: not checked. */
  issuer?: string;
  /** Clock leeway for `exp` and `nbf`, in seconds. Default 5. */
  leewayS?: number;
}

/** Options of `createHub`. Every one is optional except that some way of authenticating (or `anonymous: true`) must be chosen. */
export interface HubOptions {
  /** Where events live and how they reach other hubs. Default: an in-memory broker with the retention options below. */
  broker?: Broker;
  /** In-memory broker only: events kept for replay. Default 1000. */
  retentionCount?: number;
  /** In-memory broker only: how long events are kept for replay, in ms. Default 300000. */
  retentionMs?: number;

  /** Verify `Authorization: Bearer`, `?token=` or cookie tokens as HS* JWTs. Default: off. */
  jwt?: JwtOptions;
  /**
   * Your own authentication: return a principal, or null to refuse with 401. Called with the
   * request (method, url, headers; a `Request` on edge runtimes, a lighter view on Node) and the
   * token found in it (if any). Takes precedence over `jwt`. Default: off.
   */
  authenticate?: (
    request: HubRequest,
    token: string | undefined,
  ) => Principal | null | Promise<Principal | null>;
  /** Allow clients without any token (as an anonymous principal). Default false. */
  anonymous?: boolean;
  /** Name of a cookie that carries the token. Default: none (cookies are not read). */
  tokenCookie?: string;
  /** Accept the token in the `token` query parameter, for browser EventSource/WebSocket. Default true. */
  tokenInQuery?: boolean;
  /**
   * Decides per topic. Default: any authenticated (or allowed anonymous) principal may subscribe;
   * nobody may publish from a client. Server code publishes through `hub.publish` regardless.
   */
  authorize?: (principal: Principal, topic: string, action: TopicAction) => boolean | Promise<boolean>;
  /**
   * Origins (`https://app.example`) allowed to open streams and WebSockets and to publish. A request
   * with another `Origin` gets 403. Default: any origin, except that with `tokenCookie` set only the
   * request's own origin is accepted (cookies would otherwise let any site act as the user).
   */
  allowedOrigins?: string[];

  /** Connections across all transports (a waiting long poll counts). Default 10000. */
  maxConnections?: number;
  /** Connections per principal id. Default 32. */
  maxConnectionsPerUser?: number;
  /** Connections per client address. Default 256. */
  maxConnectionsPerIp?: number;
  /** Topics on one connection or one request. Default 32. */
  maxTopicsPerConnection?: number;
  /** Largest request body or WebSocket message, in bytes. Default 65536. */
  maxMessageBytes?: number;
  /** Outbound bytes a connection may have queued before it is dropped as a slow consumer. Default 1048576. */
  maxBufferedBytes?: number;
  /** WebSocket publishes per connection per second before `rate_limited`. Default 100. */
  maxPublishesPerSecond?: number;
  /**
   * `POST {base}/publish` calls per second per principal id (else per client address) before
   * `rate_limited`. Default 100. A backend that publishes over HTTP in bulk with its own token
   * should raise it (or publish in-process with `hub.publish`, which no limit applies to).
   */
  maxHttpPublishesPerSecond?: number;
  /** Malformed messages one WebSocket may send per heartbeat interval before it is closed (1008). Default 20. */
  maxErrorsPerInterval?: number;

  /** WebSocket heartbeat interval, in ms; a peer silent for two intervals is closed. Default 25000. */
  heartbeatMs?: number;
  /** SSE comment ping interval, in ms. Default 15000. */
  sseHeartbeatMs?: number;
  /** The `retry:` an SSE stream opens with, in ms. Default 2000. */
  sseRetryMs?: number;
  /** Long-poll wait when the client gives no `timeout`, in seconds. Default 25. */
  longPollTimeoutS?: number;
  /** Longest long-poll wait a client may ask for, in seconds. Default 30. */
  longPollMaxTimeoutS?: number;
  /** `Retry-After` sent with 429 and 503 answers, in seconds. Default 5. */
  retryAfterS?: number;
  /** How long `close()` waits for connections to go, in ms. Default 10000. */
  drainTimeoutMs?: number;
  /** Resolution of the shared timer that runs long-poll deadlines, token expiry and heartbeats, in ms. Default 1000. */
  tickMs?: number;

  /** Told about unexpected errors (a throwing `authorize`, a broker failure). Tokens are never included. Default: none. */
  onError?: (error: unknown) => void;
}

/** The defaults of every numeric and boolean option. */
export const HUB_DEFAULTS = {
  retentionCount: 1000,
  retentionMs: 300_000,
  anonymous: false,
  tokenInQuery: true,
  maxConnections: 10_000,
  maxConnectionsPerUser: 32,
  maxConnectionsPerIp: 256,
  maxTopicsPerConnection: 32,
  maxMessageBytes: 65_536,
  maxBufferedBytes: 1_048_576,
  maxPublishesPerSecond: 100,
  maxHttpPublishesPerSecond: 100,
  maxErrorsPerInterval: 20,
  heartbeatMs: 25_000,
  sseHeartbeatMs: 15_000,
  sseRetryMs: 2000,
  longPollTimeoutS: 25,
  longPollMaxTimeoutS: 30,
  retryAfterS: 5,
  drainTimeoutMs: 10_000,
  tickMs: 1000,
} as const;

/** Options after defaults and validation. */
export type ResolvedOptions = Omit<HubOptions, keyof typeof HUB_DEFAULTS> & {
  -readonly [K in keyof typeof HUB_DEFAULTS]: (typeof HUB_DEFAULTS)[K] extends boolean ? boolean : number;
};

const POSITIVE_INTEGERS = [
  'retentionCount',
  'retentionMs',
  'maxConnections',
  'maxConnectionsPerUser',
  'maxConnectionsPerIp',
  'maxTopicsPerConnection',
  'maxMessageBytes',
  'maxBufferedBytes',
  'maxPublishesPerSecond',
  'maxHttpPublishesPerSecond',
  'maxErrorsPerInterval',
  'heartbeatMs',
  'sseHeartbeatMs',
  'sseRetryMs',
  'longPollTimeoutS',
  'longPollMaxTimeoutS',
  'drainTimeoutMs',
  'tickMs',
] as const;

/** Applies defaults and rejects impossible options with a TypeError, at `createHub` time. */
export function resolveOptions(options: HubOptions): ResolvedOptions {
  const resolved = { ...HUB_DEFAULTS, ...options } as ResolvedOptions;
  for (const key of POSITIVE_INTEGERS) {
    const value = resolved[key];
    if (!Number.isSafeInteger(value) || value <= 0)
      throw new TypeError(`${key} must be a positive integer, got ${value}`);
    // Timers fire at once for delays above 2^31-1 ms (runtimes store them as int32).
    if (key.endsWith('Ms') && key !== 'retentionMs' && value > 2_147_483_647) {
      throw new TypeError(`${key} must be at most 2147483647 ms`);
    }
  }
  if (!Number.isSafeInteger(resolved.retryAfterS) || resolved.retryAfterS < 0) {
    throw new TypeError('retryAfterS must be a non-negative integer');
  }
  if (resolved.longPollTimeoutS > resolved.longPollMaxTimeoutS) {
    throw new TypeError('longPollTimeoutS must not exceed longPollMaxTimeoutS');
  }
  if (!resolved.jwt && !resolved.authenticate && !resolved.anonymous) {
    throw new TypeError('choose how clients authenticate: jwt, authenticate, or anonymous: true');
  }
  if (resolved.jwt) {
    const { secret, algorithms } = resolved.jwt;
    const length = typeof secret === 'string' ? new TextEncoder().encode(secret).length : secret?.length;
    if (!length || length < 32) throw new TypeError('jwt.secret must be at least 32 bytes');
    for (const alg of algorithms ?? ['HS256']) {
      if (alg !== 'HS256' && alg !== 'HS384' && alg !== 'HS512')
        throw new TypeError(`unsupported jwt algorithm ${alg}`);
    }
  }
  if (resolved.allowedOrigins) {
    for (const origin of resolved.allowedOrigins) {
      if (
        typeof origin !== 'string' ||
        (origin !== 'null' && !/^[a-z][a-z0-9+.-]*:\/\/[^/]+$/i.test(origin))
      ) {
        throw new TypeError(`allowedOrigins entries must be origins like https://example.com, got ${origin}`);
      }
    }
  }
  if (resolved.broker && (options.retentionCount !== undefined || options.retentionMs !== undefined)) {
    throw new TypeError(
      'retentionCount and retentionMs configure the in-memory broker; set retention on your broker instead',
    );
  }
  return resolved;
}
