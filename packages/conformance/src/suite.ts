import { describe } from 'vitest';
import { authCases } from './cases/auth-cases.ts';
import { badInputCases } from './cases/bad-input-cases.ts';
import { heartbeatCases } from './cases/heartbeat-cases.ts';
import { capacityCases, perClientLimitCases } from './cases/limit-cases.ts';
import { longPollCases } from './cases/long-poll-cases.ts';
import { pollCases } from './cases/poll-cases.ts';
import { publishCases } from './cases/publish-cases.ts';
import { resumeCases, retentionCases } from './cases/resume-cases.ts';
import { shutdownCases } from './cases/shutdown-cases.ts';
import { slowConsumerCases } from './cases/slow-consumer-cases.ts';
import { sseCases } from './cases/sse-cases.ts';
import { wsCases } from './cases/ws-cases.ts';
import type { ConformanceConfig } from './config.ts';
import { baseConfig, useServer } from './harness.ts';
import type { ConformanceTarget } from './target.ts';

/**
 * The configs the suite starts, by name. Out-of-process targets receive one of these (as JSON) in
 * each `start` call; the suite starts each at most once per run, except `shutdown`.
 */
export const SUITE_CONFIGS: Readonly<Record<string, ConformanceConfig>> = {
  /** Most cases: JWT required (also read from a cookie), one allowed origin, 4 KiB messages, 8 topics per connection. */
  main: baseConfig({
    allowedOrigins: ['http://allowed.example'],
    tokenCookie: 'tidings_token',
    maxMessageBytes: 4096,
    maxTopicsPerConnection: 8,
  }),
  /** Per-address and per-user limits. */
  perClient: baseConfig({ maxConnectionsPerIp: 8, maxConnectionsPerUser: 3 }),
  /** A server that holds four connections in all. */
  capacity: baseConfig({ maxConnections: 4 }),
  /**
   * Slow consumers: a 256 KiB outbound buffer per connection. Heartbeats are slow here, so a client
   * that stops reading is dropped by the buffer limit, not for missing a pong.
   */
  slow: baseConfig({ maxBufferedBytes: 262_144, heartbeatMs: 60_000, sseHeartbeatMs: 60_000 }),
  /** Five retained events and one-second long polls. */
  retention: baseConfig({ retentionCount: 5, longPollTimeoutS: 1, longPollMaxTimeoutS: 1 }),
  /** Room for exactly nine connections, drained on shutdown. */
  shutdown: baseConfig({ maxConnections: 9, drainTimeoutMs: 3000 }),
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
      wsCases(h);
      publishCases(h);
      authCases(h);
      resumeCases(h);
      heartbeatCases(h);
      badInputCases(h);
    });
    describe('per-client limits server', () => {
      perClientLimitCases(server('perClient'));
    });
    describe('capacity server', () => {
      capacityCases(server('capacity'));
    });
    describe('slow consumer server', () => {
      slowConsumerCases(server('slow'));
    });
    describe('retention server', () => {
      retentionCases(server('retention'));
    });
    describe('shutdown server', () => {
      shutdownCases(server('shutdown'));
    });
  });
}
