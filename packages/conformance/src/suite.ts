import { describe } from 'vitest';
import { admissionCases, THROTTLE_PER_SECOND } from './cases/admission-cases.ts';
import { authCases } from './cases/auth-cases.ts';
import { backlogCases, backpressureCases } from './cases/backlog-cases.ts';
import { badInputCases } from './cases/bad-input-cases.ts';
import { clientCases } from './cases/client-cases.ts';
import { CONFLATED_PREFIX, conflationCases } from './cases/conflation-cases.ts';
import { headCapacityCases, headCases } from './cases/head-cases.ts';
import { heartbeatCases, silentNetworkCases } from './cases/heartbeat-cases.ts';
import { jwksCases } from './cases/jwks-cases.ts';
import { capacityCases, perClientLimitCases } from './cases/limit-cases.ts';
import { longPollCases } from './cases/long-poll-cases.ts';
import { mountCases, mountMismatchCases } from './cases/mount-cases.ts';
import { OPERATOR_PRESENCE_PATTERN, operatorCases } from './cases/operator-cases.ts';
import { pollCases } from './cases/poll-cases.ts';
import { publishCases } from './cases/publish-cases.ts';
import { resumeCases, retentionCases } from './cases/resume-cases.ts';
import { shutdownCases } from './cases/shutdown-cases.ts';
import { slowConsumerCases } from './cases/slow-consumer-cases.ts';
import { sseCases } from './cases/sse-cases.ts';
import { ticketCases } from './cases/ticket-cases.ts';
import { wsAuthCases } from './cases/ws-auth-cases.ts';
import { wsCases } from './cases/ws-cases.ts';
import type { ConformanceConfig } from './config.ts';
import { baseConfig, useServer } from './harness.ts';
import { useJwksProvider } from './jwks-server.ts';
import type { ConformanceTarget } from './target.ts';

/**
 * The configs the suite starts, by name. Out-of-process targets receive one of these (as JSON) in
 * each `start` call; the suite starts each at most once per run, except `shutdown`.
 */
export const SUITE_CONFIGS: Readonly<Record<string, ConformanceConfig>> = {
  /**
   * Most cases: JWT required (also read from a cookie), one allowed origin, 4 KiB messages, 8 topics
   * per connection, one second for a WebSocket's first-message credential.
   */
  main: baseConfig({
    allowedOrigins: ['http://allowed.example'],
    tokenCookie: 'tidings_token',
    authTimeoutMs: 1000,
    maxMessageBytes: 4096,
    maxTopicsPerConnection: 8,
  }),
  /** Per-address and per-user limits. */
  perClient: baseConfig({ maxConnectionsPerIp: 8, maxConnectionsPerUser: 3 }),
  /** A server that holds four connections in all. */
  capacity: baseConfig({ maxConnections: 4 }),
  /**
   * Slow consumers: a 256 KiB outbound buffer per connection. Heartbeats are slow here, so a client
   * that stops reading is dropped by the buffer limit, not for missing a pong. Topics under
   * `state.` are conflated (behind past the default 64 KiB).
   */
  slow: baseConfig({
    maxBufferedBytes: 262_144,
    heartbeatMs: 60_000,
    sseHeartbeatMs: 60_000,
    conflateTopics: [`${CONFLATED_PREFIX}.*`],
  }),
  /**
   * Backpressure: a 64 KiB outbound buffer and room for four connections. SSE heartbeats every
   * 300 ms bound how long a replay waits for a stalled reader; WebSocket heartbeats are slow, so a
   * peer that stops reading is dropped by the buffer limit, not for missing a pong.
   */
  backpressure: baseConfig({ maxBufferedBytes: 65_536, maxConnections: 4, heartbeatMs: 60_000 }),
  /** Five retained events and one-second long polls. */
  retention: baseConfig({ retentionCount: 5, longPollTimeoutMs: 1000, longPollMaxTimeoutMs: 1000 }),
  /**
   * Room for exactly ten connections, drained on shutdown. Heartbeats are slow here, so the client
   * whose network goes silent is still connected when the server shuts down.
   */
  shutdown: baseConfig({
    maxConnections: 10,
    drainTimeoutMs: 3000,
    heartbeatMs: 60_000,
    sseHeartbeatMs: 60_000,
  }),
  /** The admission throttle: two new WebSockets or SSE streams per second. */
  throttle: baseConfig({ maxConnectionsPerSecond: THROTTLE_PER_SECOND }),
  /** The adapter under a framework prefix that leads to its path. */
  mountPrefixed: baseConfig({ mount: 'prefixed' }),
  /** The adapter under `/rt`, where its path `/realtime` can never be reached. */
  mountMismatch: baseConfig({ mount: 'mismatch' }),
  /** Operator commands: presence on `presence.*`, a leave 200 ms after a user's last connection. */
  operator: baseConfig({ presenceTopics: [OPERATOR_PRESENCE_PATTERN], presenceGraceMs: 200 }),
};

/** The config of the main server most cases share. */
export const MAIN_CONFIG: ConformanceConfig = SUITE_CONFIGS.main!;

/**
 * Registers the whole protocol suite (vitest `describe`/`it`) for one target. Call it at the top
 * level of a test file; each group's server starts in a `beforeAll` and is closed in an `afterAll`.
 */
export function defineConformanceSuite(target: ConformanceTarget): void {
  const server = (name: keyof typeof SUITE_CONFIGS & string) => useServer(target, SUITE_CONFIGS[name]!);
  describe(`tidings conformance: ${target.name}`, () => {
    describe('main server', () => {
      const h = server('main');
      pollCases(h);
      longPollCases(h);
      sseCases(h);
      headCases(h);
      wsCases(h);
      publishCases(h);
      authCases(h);
      wsAuthCases(h);
      ticketCases(h);
      resumeCases(h);
      heartbeatCases(h);
      badInputCases(h);
      mountCases(h, 'root');
      backlogCases(h);
      clientCases(h);
    });
    const mounts = target.capabilities.mounts ?? ['root'];
    if (mounts.includes('prefixed')) {
      describe('prefixed mount server', () => {
        mountCases(server('mountPrefixed'), 'prefixed');
      });
    }
    if (mounts.includes('mismatch')) {
      describe('mismatched mount server', () => {
        mountMismatchCases(server('mountMismatch'));
      });
    }
    describe('JWKS server', () => {
      // The identity provider starts first: the hub's config carries its URL. Cooldown 0, so a
      // rotation is picked up at the first token of a new kid.
      const provider = useJwksProvider();
      const h = useServer(target, () =>
        baseConfig({ jwksUrl: provider().url, jwksCooldownMs: 0, authTimeoutMs: 2000 }),
      );
      jwksCases(h, provider);
    });
    describe('per-client limits server', () => {
      const h = server('perClient');
      perClientLimitCases(h);
      silentNetworkCases(h);
    });
    describe('capacity server', () => {
      const capacity = server('capacity');
      capacityCases(capacity);
      headCapacityCases(capacity);
    });
    describe('slow consumer server', () => {
      const h = server('slow');
      slowConsumerCases(h);
      conflationCases(h);
    });
    describe('backpressure server', () => {
      backpressureCases(server('backpressure'));
    });
    describe('retention server', () => {
      retentionCases(server('retention'));
    });
    describe('throttle server', () => {
      admissionCases(server('throttle'));
    });
    describe('operator server', () => {
      operatorCases(server('operator'));
    });
    describe('shutdown server', () => {
      shutdownCases(server('shutdown'));
    });
  });
}
