import type {
  JwtJwksOptions,
  JwtKeysOptions,
  JwtOptions,
  JwtSecretOptions,
  TicketOptions,
} from './auth/auth-options.ts';
import type { Broker } from './broker.ts';
import type { Clock } from './clock.ts';
import type { ErrorInfo } from './errors.ts';
import type { ConnectionInfo, DisconnectReason, ResetInfo } from './hooks.ts';
import type { HubRequest } from './hub-request.ts';
import type { HubMeter } from './meter.ts';
import type { Principal, TopicAction } from './principal.ts';
import type { Retention } from './retention.ts';

// Every duration is in milliseconds, the unit of JavaScript's timers and `Date.now()`, so no option
// needs converting before use and no two options of one hub disagree on the unit. Wire values that
// the HTTP and JWT specs fix in seconds (`Retry-After`, `exp`) are converted at the edge.
// The token options (`jwt`, `tickets`) live in ./auth/auth-options.ts.

/** Options of `createHub`. Every one is optional except that some way of authenticating (or `anonymous: true`) must be chosen. */
export interface HubOptions {
  /**
   * Where events live and how they reach other hubs. Default: an in-memory broker with the retention
   * options below. Cannot be turned off: every hub has a broker; leave it out for the in-memory one.
   */
  broker?: Broker;
  /**
   * In-memory broker only: events kept for replay, per topic. Default 1000. Off:
   * `Number.MAX_SAFE_INTEGER` (age and `retentionMaxEvents` still apply). At least 1, which keeps only
   * the newest event.
   */
  retentionCount?: number;
  /**
   * In-memory broker only: how long events are kept for replay, in ms. Default 300000 (5 minutes).
   * Off: `Number.MAX_SAFE_INTEGER`.
   */
  retentionMs?: number;
  /**
   * In-memory broker only: retention overrides by topic pattern (an exact topic, or a prefix ending
   * in `*`; the longest match wins), e.g. `{ 'prices.*': { count: 1 } }`. Default: none. Off: leave it
   * out.
   */
  retentionByTopic?: Readonly<Record<string, Partial<Retention>>>;
  /**
   * In-memory broker only: events retained across all topics, the memory bound; past it the oldest go
   * first. Default 100000. Off: `Number.MAX_SAFE_INTEGER` (memory is then bounded only by the count
   * and age of each topic).
   */
  retentionMaxEvents?: number;
  /**
   * How long an idempotency key (a WebSocket publish's `key`, the `Idempotency-Key` header,
   * `hub.publish`'s `idempotencyKey`) is remembered after the publish that stored it, in ms. Within
   * it, a publish repeating the key publishes nothing and answers the first publish's event id.
   * Default 86400000 (24 hours): long enough for a client's outbox to be retried after a night
   * offline. Cannot be turned off: only a publish that carries a key is deduplicated, so send none.
   */
  idempotencyWindowMs?: number;

  /**
   * Topics whose events are conflated for a connection that falls behind: while more than
   * `conflateBufferedBytes` are queued for it, a newer event of such a topic replaces the waiting
   * one of the same topic and event name instead of queueing behind it, and is sent with
   * `"conflated": true`. Replays and poll answers on these topics carry only the newest event of
   * each name since the cursor. Patterns: an exact topic, or a prefix ending in `*` (`'prices.*'`,
   * `'*'`). Default: none (every event is delivered). Off: leave it out (or `[]`).
   */
  conflateTopics?: readonly string[];
  /**
   * Bytes queued for a connection above which it counts as behind, and its conflated topics keep
   * only the newest event per event name until it catches up, in bytes. Below `maxBufferedBytes`.
   * Default 65536. Only used with `conflateTopics`. Off: leave `conflateTopics` out. At least 1.
   */
  conflateBufferedBytes?: number;

  /**
   * Verify tokens (`Authorization: Bearer`, the cookie, a WebSocket's `auth` message) as JWTs: HMAC
   * with a shared secret, or public keys inline or from an identity provider's JWKS. Default: off.
   * Exclusive with `authenticate`. Off: leave it out.
   */
  jwt?: JwtOptions;
  /**
   * Connect tickets: short-lived single-use credentials for URLs (`?ticket=`), minted by
   * `hub.issueTicket` in your own authenticated route. Default: on when `jwt.secret` is set (the key
   * is derived from it), else off until you set `tickets.secret`. Off: leave it out, and give `jwt` no
   * `secret` (none is minted before your code calls `hub.issueTicket`).
   */
  tickets?: TicketOptions;
  /**
   * Your own authentication: return a principal, or null to refuse with 401. Called with the
   * request (method, url, headers; a `Request` on edge runtimes, a lighter view on Node) and the
   * token found in it (if any). Default: off. Exclusive with `jwt` and `anonymous` (return an
   * anonymous principal `{}` yourself to let a request in without one). Off: leave it out.
   */
  authenticate?: (
    request: HubRequest,
    token: string | undefined,
  ) => Principal | null | Promise<Principal | null>;
  /** Allow clients without any token (as an anonymous principal). Default false. Off: false. */
  anonymous?: boolean;
  /** Name of a cookie that carries the token. Default: none (cookies are not read). Off: leave it out. */
  tokenCookie?: string;
  /**
   * Also accept the token in the `token` query parameter. Default false: URLs end up in proxy and
   * access logs, browser history and error trackers. Prefer a ticket (`?ticket=`) for a browser
   * `EventSource`, and the `auth` message for a WebSocket. On: `true`, with short-lived tokens. Off:
   * false.
   */
  tokenInQuery?: boolean;
  /**
   * How long a WebSocket that opened without a credential may take to send its first message,
   * `{"type":"auth","token":"…"}`, in ms; then, or on any other first message, it is closed 4401.
   * Default 5000. Applies to hubs that need a credential (not to `anonymous: true`). Cannot be turned
   * off: a socket that never authenticates would hold its slot for good (a client that sends its
   * credential with the upgrade never waits). At most 2147483647.
   */
  authTimeoutMs?: number;
  /**
   * Decides per topic. Default: any authenticated (or allowed anonymous) principal may subscribe;
   * nobody may publish from a client. Server code publishes through `hub.publish` regardless. Off:
   * `() => true` allows every subscribe and every client publish.
   */
  authorize?: (principal: Principal, topic: string, action: TopicAction) => boolean | Promise<boolean>;
  /**
   * Origins (`https://app.example`) allowed to open streams and WebSockets and to publish. A request
   * with another `Origin` gets 403. Default: any origin, except that with `tokenCookie` set only the
   * request's own origin is accepted (cookies would otherwise let any site act as the user). Requests
   * without `Origin` are not checked. Off: leave it out (the `tokenCookie` rule above still applies).
   */
  allowedOrigins?: string[];

  /**
   * Connections across all transports (a waiting long poll counts). Default 10000. Off:
   * `Number.MAX_SAFE_INTEGER`.
   */
  maxConnections?: number;
  /** Connections per principal id. Default 32. Off: `Number.MAX_SAFE_INTEGER`. */
  maxConnectionsPerUser?: number;
  /** Connections per client address. Default 256. Off: `Number.MAX_SAFE_INTEGER`. */
  maxConnectionsPerIp?: number;
  /** Topics on one connection or one request. Default 32. Off: `Number.MAX_SAFE_INTEGER`. */
  maxTopicsPerConnection?: number;
  /** Largest request body or WebSocket message, in bytes. Default 65536. Off: `Number.MAX_SAFE_INTEGER`. */
  maxMessageBytes?: number;
  /**
   * Outbound bytes a connection may have queued before it is dropped as a slow consumer. Default
   * 1048576. Off: `Number.MAX_SAFE_INTEGER` (a client that never reads is then buffered without bound).
   */
  maxBufferedBytes?: number;
  /**
   * WebSocket publishes per connection per second before `rate_limited`. Default 100. Off:
   * `Number.MAX_SAFE_INTEGER`.
   */
  maxPublishesPerSecond?: number;
  /**
   * `POST {path}/publish` calls per second per principal id (else per client address) before
   * `rate_limited`. Default 100. A backend that publishes over HTTP in bulk with its own token
   * should raise it (or publish in-process with `hub.publish`, which no limit applies to). Off:
   * `Number.MAX_SAFE_INTEGER`.
   */
  maxHttpPublishesPerSecond?: number;
  /**
   * Malformed messages one WebSocket may send per heartbeat interval before it is closed (1008).
   * Default 20. Off: `Number.MAX_SAFE_INTEGER`.
   */
  maxErrorsPerInterval?: number;
  /**
   * New WebSockets and SSE streams admitted in any one second (any 1000 ms, not a fixed window), so
   * a node that comes up, or takes over a drained node's clients, is not flattened by all of them
   * at once. Polls and long polls are not counted: a poll comes back after every answer. Past it a
   * WebSocket upgrade gets `503 unavailable`, and an SSE request a stream that says `close` with
   * `retryMs` (an `EventSource` gives up on any non-200 answer); each is told its own moment to
   * come back (`Retry-After`, `retryMs`), one after another at this pace. Default 1000. Off:
   * `Number.MAX_SAFE_INTEGER`.
   */
  maxConnectionsPerSecond?: number;

  /**
   * WebSocket heartbeat interval, in ms; a peer silent for two intervals is closed. Default 25000.
   * Cannot be turned off: it is how a dead peer is found (and it paces `maxErrorsPerInterval` and a
   * stalled replay). At most 2147483647 (about 24.8 days).
   */
  heartbeatMs?: number;
  /**
   * SSE comment ping interval, in ms. Default 15000. Cannot be turned off: the pings keep proxies from
   * closing idle streams (and bound how long a stalled replay waits). At most 2147483647.
   */
  sseHeartbeatMs?: number;
  /**
   * The `retry:` an SSE stream opens with, in ms. Default 2000. Cannot be turned off: every stream
   * tells the browser how soon to reconnect. At least 1.
   */
  sseRetryMs?: number;
  /**
   * Long-poll wait when the client gives no `timeout`, in ms. Default 25000. Cannot be turned off: a
   * long poll always ends; a client that wants no wait sends `timeout=0`. At most `longPollMaxTimeoutMs`.
   */
  longPollTimeoutMs?: number;
  /**
   * Longest long-poll wait a client may ask for, in ms. Default 30000. Cannot be turned off: every wait
   * is capped. At most 2147483647.
   */
  longPollMaxTimeoutMs?: number;
  /**
   * `Retry-After` sent with 429 and 503 answers, in ms (sent rounded up to whole seconds). Default 5000.
   * Off: 0 sends `Retry-After: 0`.
   */
  retryAfterMs?: number;
  /**
   * How long `close()` waits for connections to go, in ms; then whatever is left is dropped (a
   * WebSocket that did not finish its closing handshake is terminated). Default 10000. Cannot be
   * turned off: `close()` always ends. At most 2147483647.
   */
  drainTimeoutMs?: number;
  /**
   * The window over which a closing hub spreads its clients' reconnects, in ms: every connection
   * `close()` ends, and every request refused while it drains, is told its own delay, drawn at
   * random below this (the WebSocket `close` message, the SSE `close` event and `retry:`, the long
   * poll's `retryMs`, `Retry-After`), so a deploy does not send everyone to the next node at once.
   * Default 5000. Off: 0 tells everyone to come back at once. At most 2147483647.
   */
  drainSpreadMs?: number;
  /**
   * Resolution of the shared timer that runs long-poll deadlines, token expiry and heartbeats, in ms.
   * Default 1000. Cannot be turned off: it is the hub's one timer. At most `heartbeatMs` and
   * `sseHeartbeatMs`.
   */
  tickMs?: number;
  /**
   * Holds live events up to this long, in ms, and delivers them together: when publishes arrive one
   * per turn of the event loop (from Redis, from separate requests), each socket then takes one
   * write for the whole batch instead of one per event, which is most of the cost of fan-out. Adds
   * up to this much latency to every event. Default 0: each event goes out in the turn it arrived
   * (events of one turn are still written together). Off: 0. At most 1000.
   */
  batchWindowMs?: number;
  /**
   * For tests (see `@tidings/testing`'s `createTestHub`): the clock every timer and time reading of
   * the hub goes through (heartbeats, long-poll timeouts, token expiry, the drain timeout, rate
   * windows, and the in-memory broker's retention ages), so a test can move time on demand.
   * Default: the runtime's `Date.now()` and timers, read at each call (a test runner's fake timers
   * apply too). Cannot be turned off: the hub always runs on a clock; leave it out for the runtime's.
   */
  clock?: Clock;

  /**
   * Told about unexpected errors, with where they happened (`stage`: a throwing `authenticate` or
   * `authorize`, a broker failure, a mount mistake, an internal bug) and the route. Tokens are
   * never included. Default: none (mount mistakes are then written to `console.error`). Off: leave it
   * out.
   */
  onError?: (error: unknown, info: ErrorInfo) => void;

  /**
   * The topics that keep presence: `hub.presence(topic)` lists their users, and their subscribers
   * get a `tidings:join` event when a user's first connection to the topic opens anywhere in the
   * cluster and a `tidings:leave` when their last one has closed. Only identified principals (with
   * an `id`) are present. It costs a cluster update per such connection, so it is opt-in.
   * Default: none (presence off). Off: leave it out.
   */
  presence?: (topic: string) => boolean;
  /**
   * How long a user stays present after their last connection to a topic closed, in ms: a reconnect,
   * a page reload or the gap between two long polls within it is neither a leave nor a join.
   * Default 5000. Off: 0 makes the leave immediate, so a long-polling user then leaves and joins with
   * every poll (and those events answer the topic's polls): keep it above the gap between polls. At
   * most 2147483647.
   */
  presenceGraceMs?: number;

  /**
   * Called when a connection is accepted (a WebSocket before its upgrade completes, an SSE stream,
   * a waiting long poll). Hooks run synchronously on the hub's path: keep them cheap; one that
   * throws is reported to `onError` (stage `hook`) and the connection goes on. Default: none. Off:
   * leave it out.
   */
  onConnect?: (connection: ConnectionInfo) => void;
  /**
   * Called once for every connection `onConnect` saw, when it is gone, with why. Default: none. Off:
   * leave it out.
   */
  onDisconnect?: (connection: ConnectionInfo, reason: DisconnectReason) => void;
  /**
   * Called when a connection subscribes to topics (its first ones included), with the new ones.
   * Default: none. Off: leave it out.
   */
  onSubscribe?: (connection: ConnectionInfo, topics: readonly string[]) => void;
  /**
   * Called when topics are removed from a live connection: a WebSocket `unsubscribe`, or
   * `hub.unsubscribe`. Not called when the connection ends (`onDisconnect` is). Default: none. Off:
   * leave it out.
   */
  onUnsubscribe?: (connection: ConnectionInfo, topics: readonly string[]) => void;
  /** Called for every reset the hub sends, on any transport. Default: none. Off: leave it out. */
  onReset?: (reset: ResetInfo) => void;
  /**
   * An OpenTelemetry meter (`metrics.getMeter('tidings')` from `@opentelemetry/api`) the hub
   * reports its metrics to: connections, subscriptions, deliveries, bytes, disconnections by reason,
   * resets, publish-to-delivery latency, broker errors (docs/operating.md lists them). Default: none,
   * and then metrics cost nothing. Off: leave it out.
   */
  meter?: HubMeter;
}

/** The defaults of every numeric and boolean option. */
export const HUB_DEFAULTS: {
  readonly retentionCount: 1000;
  readonly retentionMs: 300000;
  readonly retentionMaxEvents: 100000;
  readonly idempotencyWindowMs: 86400000;
  readonly conflateBufferedBytes: 65536;
  readonly anonymous: false;
  readonly tokenInQuery: false;
  readonly authTimeoutMs: 5000;
  readonly maxConnections: 10000;
  readonly maxConnectionsPerUser: 32;
  readonly maxConnectionsPerIp: 256;
  readonly maxTopicsPerConnection: 32;
  readonly maxMessageBytes: 65536;
  readonly maxBufferedBytes: 1048576;
  readonly maxPublishesPerSecond: 100;
  readonly maxHttpPublishesPerSecond: 100;
  readonly maxErrorsPerInterval: 20;
  readonly maxConnectionsPerSecond: 1000;
  readonly heartbeatMs: 25000;
  readonly sseHeartbeatMs: 15000;
  readonly sseRetryMs: 2000;
  readonly longPollTimeoutMs: 25000;
  readonly longPollMaxTimeoutMs: 30000;
  readonly retryAfterMs: 5000;
  readonly drainTimeoutMs: 10000;
  readonly drainSpreadMs: 5000;
  readonly tickMs: 1000;
  readonly batchWindowMs: 0;
  readonly presenceGraceMs: 5000;
} = {
  retentionCount: 1000,
  retentionMs: 300_000,
  retentionMaxEvents: 100_000,
  idempotencyWindowMs: 86_400_000,
  conflateBufferedBytes: 65_536,
  anonymous: false,
  tokenInQuery: false,
  authTimeoutMs: 5000,
  maxConnections: 10_000,
  maxConnectionsPerUser: 32,
  maxConnectionsPerIp: 256,
  maxTopicsPerConnection: 32,
  maxMessageBytes: 65_536,
  maxBufferedBytes: 1_048_576,
  maxPublishesPerSecond: 100,
  maxHttpPublishesPerSecond: 100,
  maxErrorsPerInterval: 20,
  maxConnectionsPerSecond: 1000,
  heartbeatMs: 25_000,
  sseHeartbeatMs: 15_000,
  sseRetryMs: 2000,
  longPollTimeoutMs: 25_000,
  longPollMaxTimeoutMs: 30_000,
  retryAfterMs: 5000,
  drainTimeoutMs: 10_000,
  drainSpreadMs: 5000,
  tickMs: 1000,
  batchWindowMs: 0,
  presenceGraceMs: 5000,
};

/** Options after defaults and validation. */
export type ResolvedOptions = Omit<HubOptions, keyof typeof HUB_DEFAULTS> & {
  -readonly [K in keyof typeof HUB_DEFAULTS]: (typeof HUB_DEFAULTS)[K] extends boolean ? boolean : number;
};

/** The options as `hub.options` shows them: in force, defaults applied, and no secret. */
export type HubOptionsView = Readonly<
  Omit<ResolvedOptions, 'jwt' | 'tickets'> & {
    jwt?: Omit<JwtSecretOptions, 'secret'> | JwtKeysOptions | JwtJwksOptions;
    tickets?: Omit<TicketOptions, 'secret'>;
  }
>;
