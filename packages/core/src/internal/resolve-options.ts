import { checkJwtOptions, checkSecret } from '../auth/check-jwt-options.ts';
import { isClock } from '../clock.ts';
import { HUB_DEFAULTS, type HubOptions, type HubOptionsView, type ResolvedOptions } from '../options.ts';
import { checkTopicPatterns } from './topic-patterns.ts';

// Timers fire at once for delays above 2^31-1 ms (runtimes store them as int32).
const MAX_TIMER_MS = 2_147_483_647;

const POSITIVE_INTEGERS = [
  'retentionCount',
  'retentionMs',
  'retentionMaxEvents',
  'idempotencyWindowMs',
  'conflateBufferedBytes',
  'maxConnections',
  'maxConnectionsPerUser',
  'maxConnectionsPerIp',
  'maxTopicsPerConnection',
  'maxMessageBytes',
  'maxBufferedBytes',
  'maxPublishesPerSecond',
  'maxHttpPublishesPerSecond',
  'maxErrorsPerInterval',
  'maxConnectionsPerSecond',
  'heartbeatMs',
  'sseHeartbeatMs',
  'sseRetryMs',
  'longPollTimeoutMs',
  'longPollMaxTimeoutMs',
  'drainTimeoutMs',
  'tickMs',
  'authTimeoutMs',
] as const;

const TIMERS = [
  'presenceGraceMs',
  'heartbeatMs',
  'sseHeartbeatMs',
  'longPollTimeoutMs',
  'longPollMaxTimeoutMs',
  'drainTimeoutMs',
  'drainSpreadMs',
  'tickMs',
  'authTimeoutMs',
] as const;

const FUNCTIONS = [
  'authenticate',
  'authorize',
  'onError',
  'presence',
  'onConnect',
  'onDisconnect',
  'onSubscribe',
  'onUnsubscribe',
  'onReset',
] as const;

const KNOWN: ReadonlySet<string> = new Set([
  ...Object.keys(HUB_DEFAULTS),
  'broker',
  'retentionByTopic',
  'conflateTopics',
  'jwt',
  'tickets',
  'authenticate',
  'tokenCookie',
  'authorize',
  'allowedOrigins',
  'onError',
  'clock',
  'presence',
  'onConnect',
  'onDisconnect',
  'onSubscribe',
  'onUnsubscribe',
  'onReset',
  'meter',
]);

// Options that moved in 0.x: named in the error, so an upgrade fails with the fix in the message.
const RENAMED: Readonly<Record<string, string>> = {
  longPollTimeoutS: 'longPollTimeoutMs (in ms)',
  longPollMaxTimeoutS: 'longPollMaxTimeoutMs (in ms)',
  retryAfterS: 'retryAfterMs (in ms)',
};

function checkTickets(tickets: NonNullable<HubOptions['tickets']>): void {
  if (typeof tickets !== 'object' || tickets === null) throw new TypeError('tickets must be an object');
  if (tickets.secret !== undefined) checkSecret(tickets.secret, 'tickets.secret');
  for (const key of ['ttlMs', 'maxTtlMs'] as const) {
    const value = tickets[key];
    if (value !== undefined && (!Number.isSafeInteger(value) || value <= 0)) {
      throw new TypeError(`tickets.${key} must be a positive integer (ms)`);
    }
  }
  if ((tickets.ttlMs ?? 30_000) > (tickets.maxTtlMs ?? 300_000)) {
    throw new TypeError('tickets.ttlMs must not exceed tickets.maxTtlMs');
  }
}

function checkOrigins(origins: readonly unknown[]): void {
  for (const origin of origins) {
    if (typeof origin !== 'string' || (origin !== 'null' && !/^[a-z][a-z0-9+.-]*:\/\/[^/]+$/i.test(origin))) {
      throw new TypeError(`allowedOrigins entries must be origins like https://example.com, got ${origin}`);
    }
  }
}

/** Applies defaults and rejects impossible options with a TypeError, at `createHub` time. */
export function resolveOptions(options: HubOptions): ResolvedOptions {
  for (const key of Object.keys(options)) {
    if (RENAMED[key]) throw new TypeError(`${key} was renamed ${RENAMED[key]}`);
    if (!KNOWN.has(key)) throw new TypeError(`unknown hub option ${key}`);
  }
  const resolved = { ...HUB_DEFAULTS } as ResolvedOptions;
  // An option given as `undefined` keeps its default, as if it were left out.
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (resolved as Record<string, unknown>)[key] = value;
  }
  for (const key of POSITIVE_INTEGERS) {
    const value = resolved[key];
    if (!Number.isSafeInteger(value) || value <= 0)
      throw new TypeError(`${key} must be a positive integer, got ${value}`);
  }
  for (const key of TIMERS) {
    if (resolved[key] > MAX_TIMER_MS) throw new TypeError(`${key} must be at most ${MAX_TIMER_MS} ms`);
  }
  for (const key of ['retryAfterMs', 'drainSpreadMs', 'presenceGraceMs', 'batchWindowMs'] as const) {
    if (!Number.isSafeInteger(resolved[key]) || resolved[key] < 0) {
      throw new TypeError(`${key} must be a non-negative integer`);
    }
  }
  for (const key of FUNCTIONS) {
    if (resolved[key] !== undefined && typeof resolved[key] !== 'function') {
      throw new TypeError(`${key} must be a function`);
    }
  }
  if (resolved.batchWindowMs > 1000) {
    throw new TypeError('batchWindowMs must be at most 1000: it delays every event by up to that much');
  }
  if (resolved.longPollTimeoutMs > resolved.longPollMaxTimeoutMs) {
    throw new TypeError('longPollTimeoutMs must not exceed longPollMaxTimeoutMs');
  }
  if (resolved.tickMs > Math.min(resolved.heartbeatMs, resolved.sseHeartbeatMs)) {
    throw new TypeError('tickMs must not exceed heartbeatMs or sseHeartbeatMs: heartbeats would come late');
  }
  const meter = resolved.meter as Record<string, unknown> | undefined;
  if (meter !== undefined && typeof meter?.createObservableCounter !== 'function') {
    throw new TypeError("meter must be an OpenTelemetry Meter, e.g. metrics.getMeter('tidings')");
  }
  if (!resolved.jwt && !resolved.authenticate && !resolved.anonymous) {
    throw new TypeError('choose how clients authenticate: jwt, authenticate, or anonymous: true');
  }
  if (resolved.authenticate && resolved.jwt) {
    throw new TypeError(
      'jwt and authenticate are exclusive: authenticate would be called and jwt ignored; call verifyJwt inside authenticate to combine them',
    );
  }
  if (resolved.authenticate && options.anonymous) {
    throw new TypeError(
      'anonymous and authenticate are exclusive: return an anonymous principal ({}) from authenticate instead',
    );
  }
  if (resolved.clock !== undefined && !isClock(resolved.clock)) {
    throw new TypeError(
      'clock must have now, setTimeout, clearTimeout, setInterval and clearInterval functions',
    );
  }
  if (resolved.jwt) checkJwtOptions(resolved.jwt);
  if (resolved.tickets) checkTickets(resolved.tickets);
  if (resolved.allowedOrigins) checkOrigins(resolved.allowedOrigins);
  if (resolved.conflateTopics !== undefined) {
    checkTopicPatterns(resolved.conflateTopics, 'conflateTopics');
    if (resolved.conflateTopics.length > 0 && resolved.conflateBufferedBytes >= resolved.maxBufferedBytes) {
      throw new TypeError(
        'conflateBufferedBytes must be below maxBufferedBytes: a connection must count as behind before it is dropped',
      );
    }
  }
  const retention = ['retentionCount', 'retentionMs', 'retentionByTopic', 'retentionMaxEvents'] as const;
  if (resolved.broker && retention.some((key) => options[key] !== undefined)) {
    throw new TypeError(
      'the retention options configure the in-memory broker; set retention on your broker instead',
    );
  }
  return resolved;
}

/** The options as `hub.options` shows them: a frozen copy without the JWT or ticket secret. */
export function viewOptions(options: ResolvedOptions): HubOptionsView {
  const { jwt, tickets, ...rest } = options;
  const view: Record<string, unknown> = { ...rest };
  if (jwt) {
    const { secret: _secret, ...publicJwt } = jwt as { secret?: unknown };
    view.jwt = Object.freeze(publicJwt);
  }
  if (tickets) {
    const { secret: _secret, ...publicTickets } = tickets;
    view.tickets = Object.freeze(publicTickets);
  }
  return Object.freeze(view) as HubOptionsView;
}
