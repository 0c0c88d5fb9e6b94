import { createHub, type Hub, type IssueTicketOptions, type Principal, signJwt } from '@tidings/core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { openSse } from './clients/sse-client.ts';
import { CONFORMANCE_SECRET, type ConformanceConfig, type ConformanceRole, toHubOptions } from './config.ts';
import type { ConformanceCapabilities, ConformanceServer, ConformanceTarget } from './target.ts';

/** Claims options of a test token. */
export interface TokenOptions {
  /** `sub`; per-user limits count by it. Default: a fresh id per token; `null` leaves the claim out. */
  sub?: string | null;
  /** Seconds until `exp`. Default 3600. */
  expiresInS?: number;
  /** Extra or overriding claims. */
  claims?: Record<string, unknown>;
}

/** A started server plus what a case needs to talk to it. */
export interface Harness {
  server: ConformanceServer;
  config: ConformanceConfig;
  capabilities: ConformanceCapabilities;
  /** Base URL, e.g. `http://127.0.0.1:4000/realtime`. */
  url: string;
  /** `url + '/' + route + '?' + query`. */
  route(route: string, query?: Record<string, string | undefined>): string;
  /** A signed HS256 token with `role`. */
  token(role: ConformanceRole, options?: TokenOptions): Promise<string>;
  /** `{ authorization: 'Bearer …' }` for a fresh token with `role`. */
  auth(role?: ConformanceRole, options?: TokenOptions): Promise<Record<string, string>>;
  publish(topic: string, data: unknown, event?: string): Promise<string>;
  /**
   * A connect ticket for `principal`, minted by a second hub built from the same config in the
   * test process (as another node sharing the secret would): the target must honour it, once.
   */
  ticket(principal: Principal, options?: IssueTicketOptions): Promise<string>;
}

let sequence = 0;

/** A topic name no other case uses. */
export function uniqueTopic(prefix = 't'): string {
  sequence++;
  return `${prefix}.${sequence}.${Math.random().toString(36).slice(2, 8)}`;
}

/** The base config every case starts from: JWT required, fast heartbeats and ticks. */
export function baseConfig(overrides: Partial<ConformanceConfig> = {}): ConformanceConfig {
  return {
    jwtSecret: CONFORMANCE_SECRET,
    heartbeatMs: 300,
    sseHeartbeatMs: 300,
    tickMs: 50,
    drainTimeoutMs: 2000,
    ...overrides,
  };
}

function harnessOf(
  server: ConformanceServer,
  config: ConformanceConfig,
  capabilities: ConformanceCapabilities,
  issuer: () => Hub,
): Harness {
  const token = (role: ConformanceRole, options: TokenOptions = {}) => {
    sequence++;
    const now = Math.floor(Date.now() / 1000);
    const sub = options.sub === null ? {} : { sub: options.sub ?? `user-${sequence}` };
    return signJwt(
      {
        ...sub,
        role,
        iat: now,
        exp: now + (options.expiresInS ?? 3600),
        ...options.claims,
      },
      config.jwtSecret,
    );
  };
  return {
    server,
    config,
    capabilities,
    url: server.url,
    route(route, query = {}) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, value);
      const search = params.toString();
      return `${server.url}/${route}${search ? `?${search}` : ''}`;
    },
    token,
    async auth(role = 'subscriber', options) {
      return { authorization: `Bearer ${await token(role, options)}` };
    },
    publish: (topic, data, event) => server.publish(topic, data, event),
    ticket: (principal, options) => issuer().issueTicket(principal, options),
  };
}

/**
 * Starts a server for `config` before the enclosing describe block's tests and closes it after.
 * Returns a getter: the harness exists only once `beforeAll` ran.
 */
export function useServer(
  target: ConformanceTarget,
  config: ConformanceConfig | (() => ConformanceConfig),
): () => Harness {
  let harness: Harness | undefined;
  let issuer: Hub | undefined;
  beforeAll(async () => {
    // A thunk: the config of a server that needs a running part first (a JWKS URL with its port).
    const resolved = typeof config === 'function' ? config() : config;
    const server = await target.start(resolved);
    harness = harnessOf(server, resolved, target.capabilities, () => {
      issuer ??= createHub(toHubOptions(resolved));
      return issuer;
    });
  }, 30_000);
  afterAll(async () => {
    await harness?.server.close();
    await issuer?.close();
    harness = undefined;
    issuer = undefined;
  }, 30_000);
  return () => {
    if (!harness) throw new Error(`${target.name}: the server did not start`);
    return harness;
  };
}

/** Runs registered closers after each test of the enclosing block, so no client outlives its test. */
export function useCleanup(): (close: () => unknown) => void {
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    const due = closers.splice(0).reverse();
    for (const close of due) {
      try {
        await close();
      } catch {
        // A client that already broke is closed enough.
      }
    }
  });
  return (close) => {
    closers.push(close);
  };
}

/**
 * A second client's SSE stream kept open across a bad-input case. `check()` publishes a few events
 * and asserts they all arrive, in order, on the same unbroken stream.
 */
export interface Witness {
  check(): Promise<void>;
  close(): void;
}

/** Opens a witness stream on a topic of its own. */
export async function openWitness(h: Harness): Promise<Witness> {
  const topic = uniqueTopic('witness');
  const stream = await openSse(h.route('sse', { topics: topic }), await h.auth());
  if (stream.response.status !== 200)
    throw new Error(`witness stream refused with ${stream.response.status}`);
  await stream.inbox.until((items) => items.some((i) => i.kind === 'retry'), 'the witness stream to open');
  let expected = 0;
  return {
    async check() {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await h.publish(topic, { witness: expected + i }));
      expected += 3;
      const got = await stream.waitForEnvelopes(expected);
      if (stream.inbox.ended) throw new Error('the witness stream ended');
      const last = got.slice(-3).map((e) => e.id);
      if (JSON.stringify(last) !== JSON.stringify(ids)) {
        throw new Error(`witness stream out of order: expected ${ids.join(',')}, got ${last.join(',')}`);
      }
      if (got.length !== expected)
        throw new Error(`witness stream got ${got.length} events, expected ${expected}`);
    },
    close: () => stream.close(),
  };
}
