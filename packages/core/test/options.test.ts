import { describe, expect, it } from 'vitest';
import {
  createHub,
  createMemoryBroker,
  ERROR_CODES,
  HUB_DEFAULTS,
  type HubOptions,
  isTidingsError,
  signJwt,
  TidingsError,
} from '../src/index.ts';
import { CLOSE_CODES } from '../src/protocol/index.ts';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';

describe('createHub refuses impossible options with a TypeError', () => {
  const cases: [string, HubOptions, RegExp][] = [
    ['no way to authenticate', {}, /authenticate/],
    ['anonymous: false and nothing else', { anonymous: false }, /authenticate/],
    ['a JWT secret under 32 bytes', { jwt: { secret: 'short' } }, /32 bytes/],
    ['an empty JWT secret', { jwt: { secret: new Uint8Array(0) } }, /32 bytes/],
    ['an unknown JWT algorithm', { jwt: { secret: SECRET, algorithms: ['RS256' as 'HS256'] } }, /algorithm/],
    ['alg none', { jwt: { secret: SECRET, algorithms: ['none' as 'HS256'] } }, /algorithm/],
    ['a negative JWT leeway', { jwt: { secret: SECRET, leewayMs: -1 } }, /leewayMs/],
    ['jwt and authenticate together', { jwt: { secret: SECRET }, authenticate: () => ({}) }, /exclusive/],
    ['anonymous and authenticate together', { anonymous: true, authenticate: () => ({}) }, /exclusive/],
    ['maxConnections 0', { anonymous: true, maxConnections: 0 }, /maxConnections/],
    ['a negative heartbeatMs', { anonymous: true, heartbeatMs: -1 }, /heartbeatMs/],
    ['a fractional maxMessageBytes', { anonymous: true, maxMessageBytes: 1.5 }, /maxMessageBytes/],
    ['NaN retentionCount', { anonymous: true, retentionCount: Number.NaN }, /retentionCount/],
    ['Infinity retentionMs', { anonymous: true, retentionMs: Number.POSITIVE_INFINITY }, /retentionMs/],
    ['a string tickMs', { anonymous: true, tickMs: '1000' as unknown as number }, /tickMs/],
    ['a tick coarser than the heartbeat', { anonymous: true, tickMs: 5000, heartbeatMs: 1000 }, /tickMs/],
    ['a negative retryAfterMs', { anonymous: true, retryAfterMs: -1 }, /retryAfterMs/],
    ['a negative drainSpreadMs', { anonymous: true, drainSpreadMs: -1 }, /drainSpreadMs/],
    ['a fractional drainSpreadMs', { anonymous: true, drainSpreadMs: 0.5 }, /drainSpreadMs/],
    ['maxConnectionsPerSecond 0', { anonymous: true, maxConnectionsPerSecond: 0 }, /maxConnectionsPerSecond/],
    [
      'longPollTimeoutMs over longPollMaxTimeoutMs',
      { anonymous: true, longPollTimeoutMs: 60_000, longPollMaxTimeoutMs: 30_000 },
      /longPollTimeoutMs/,
    ],
    [
      'an allowedOrigins entry with a path',
      { anonymous: true, allowedOrigins: ['https://a.test/app'] },
      /origin/,
    ],
    ['an allowedOrigins entry without a scheme', { anonymous: true, allowedOrigins: ['a.test'] }, /origin/],
    [
      'retention options next to a custom broker',
      { anonymous: true, broker: createMemoryBroker(), retentionCount: 5 },
      /retention/,
    ],
    ['an unknown option', { anonymous: true, basePath: '/x' } as HubOptions, /unknown hub option basePath/],
  ];

  it.each(cases)('%s', (_name, options, message) => {
    expect(() => createHub(options)).toThrow(TypeError);
    expect(() => createHub(options)).toThrow(message);
  });

  it.each([
    ['longPollTimeoutS', 'longPollTimeoutMs'],
    ['longPollMaxTimeoutS', 'longPollMaxTimeoutMs'],
    ['retryAfterS', 'retryAfterMs'],
  ])('names the new option when given the 0.x name %s', (old, renamed) => {
    expect(() => createHub({ anonymous: true, [old]: 5 } as HubOptions)).toThrow(
      `${old} was renamed ${renamed} (in ms)`,
    );
  });

  it('never echoes the JWT secret in the error', () => {
    const secret = 'tiny-secret';
    try {
      createHub({ jwt: { secret } });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain(secret);
    }
  });
});

describe('resolved options', () => {
  it('applies every documented default', async () => {
    const hub = createHub({ anonymous: true });
    expect(hub.options).toMatchObject({ ...HUB_DEFAULTS, anonymous: true });
    expect(hub.options).toMatchObject({
      heartbeatMs: 25_000,
      sseHeartbeatMs: 15_000,
      longPollTimeoutMs: 25_000,
      longPollMaxTimeoutMs: 30_000,
      maxTopicsPerConnection: 32,
      maxMessageBytes: 65_536,
      retryAfterMs: 5000,
    });
    await hub.close();
  });

  it('keeps what was given; an option given as undefined keeps its default', async () => {
    const hub = createHub({
      anonymous: true,
      maxConnections: 7,
      heartbeatMs: undefined,
      allowedOrigins: ['https://a.test', 'null'],
    });
    expect(hub.options.maxConnections).toBe(7);
    expect(hub.options.heartbeatMs).toBe(HUB_DEFAULTS.heartbeatMs);
    expect(hub.options.allowedOrigins).toEqual(['https://a.test', 'null']);
    await hub.close();
  });

  it('never exposes the JWT secret, and cannot be changed', async () => {
    const hub = createHub({ jwt: { secret: SECRET, issuer: 'me' } });
    expect(JSON.stringify(hub.options)).not.toContain(SECRET);
    expect(hub.options.jwt).toEqual({ issuer: 'me' });
    expect(Object.isFrozen(hub.options)).toBe(true);
    // The hub still verifies with the secret it was given.
    const token = await signJwt({ sub: 'u', iss: 'me' }, SECRET);
    const response = await hub.handle(
      new Request('http://x/realtime/poll?topics=a', { headers: { authorization: `Bearer ${token}` } }),
    );
    expect(response.status).toBe(200);
    await hub.close();
  });
});

describe('the error code table (docs/protocol.md, "Errors")', () => {
  it('maps each code to its HTTP status, WebSocket close code and recovery', () => {
    expect(ERROR_CODES).toMatchObject({
      bad_request: { status: 400, close: 1008, recover: 'stop' },
      unauthorized: { status: 401, close: 4401, recover: 'refresh' },
      token_expired: { status: 401, close: 4401, recover: 'refresh' },
      forbidden: { status: 403, recover: 'stop' },
      not_found: { status: 404, recover: 'fallback' },
      payload_too_large: { status: 413, close: 1009 },
      too_many_connections: { status: 429, close: 1013, recover: 'retry' },
      rate_limited: { status: 429 },
      slow_consumer: { close: 1013 },
      policy_violation: { close: 1008 },
      heartbeat_timeout: { close: 1001 },
      unavailable: { status: 503, close: 1001, recover: 'retry' },
      misconfigured: { status: 500, recover: 'stop' },
      internal: { status: 500, close: 1011 },
    });
    // Every close code in the table is one the protocol names.
    const named = new Set<number>(Object.values(CLOSE_CODES));
    for (const [code, row] of Object.entries(ERROR_CODES)) expect(named.has(row.close), code).toBe(true);
  });

  it('TidingsError carries code, status, close code and Retry-After', () => {
    const error = new TidingsError('too_many_connections', 'full', { retryAfterMs: 5000 });
    expect(error).toBeInstanceOf(Error);
    expect([error.name, error.code, error.status, error.closeCode, error.retryAfterMs]).toEqual([
      'TidingsError',
      'too_many_connections',
      429,
      1013,
      5000,
    ]);
  });

  it('isTidingsError goes by name and code, so an error from a second copy of the package counts', () => {
    class OtherCopy extends Error {
      override name = 'TidingsError';
      code = 'forbidden';
    }
    expect(isTidingsError(new OtherCopy('no'))).toBe(true);
    expect(isTidingsError(Object.assign(new Error('x'), { name: 'TidingsError', code: 'nope' }))).toBe(false);
    expect(isTidingsError(new Error('plain'))).toBe(false);
    expect(isTidingsError(null)).toBe(false);
  });

  it('an error from another copy is answered with its own code and status', async () => {
    class OtherCopy extends Error {
      override name = 'TidingsError';
      code = 'forbidden';
      retryAfterMs = undefined;
    }
    const hub = createHub({
      authenticate: () => {
        throw new OtherCopy('not you');
      },
    });
    const response = await hub.handle(new Request('http://x/realtime/poll?topics=a'));
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: { code: 'forbidden', message: 'not you' } });
    await hub.close();
  });
});

describe('timer options', () => {
  it('refuses delays a timer cannot hold', () => {
    expect(() => createHub({ anonymous: true, drainTimeoutMs: 2 ** 31 })).toThrow(TypeError);
    expect(() => createHub({ anonymous: true, heartbeatMs: 2 ** 31 })).toThrow(TypeError);
    expect(() => createHub({ anonymous: true, drainSpreadMs: 2 ** 31 })).toThrow(TypeError);
    expect(() => createHub({ anonymous: true, retentionMs: 2 ** 31 })).not.toThrow();
  });
});
