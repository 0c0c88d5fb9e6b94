import { describe, expect, it } from 'vitest';
import {
  CLOSE_CODES,
  createHub,
  createMemoryBroker,
  ERROR_CODES,
  HUB_DEFAULTS,
  type HubOptions,
  TidingsError,
} from '../src/index.ts';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';

describe('createHub refuses impossible options with a TypeError', () => {
  const cases: [string, HubOptions, RegExp][] = [
    ['no way to authenticate', {}, /authenticate/],
    ['anonymous: false and nothing else', { anonymous: false }, /authenticate/],
    ['a JWT secret under 32 bytes', { jwt: { secret: 'short' } }, /32 bytes/],
    ['an empty JWT secret', { jwt: { secret: new Uint8Array(0) } }, /32 bytes/],
    ['an unknown JWT algorithm', { jwt: { secret: SECRET, algorithms: ['RS256' as 'HS256'] } }, /algorithm/],
    ['alg none', { jwt: { secret: SECRET, algorithms: ['none' as 'HS256'] } }, /algorithm/],
    ['maxConnections 0', { anonymous: true, maxConnections: 0 }, /maxConnections/],
    ['a negative heartbeatMs', { anonymous: true, heartbeatMs: -1 }, /heartbeatMs/],
    ['a fractional maxMessageBytes', { anonymous: true, maxMessageBytes: 1.5 }, /maxMessageBytes/],
    ['NaN retentionCount', { anonymous: true, retentionCount: Number.NaN }, /retentionCount/],
    ['Infinity retentionMs', { anonymous: true, retentionMs: Number.POSITIVE_INFINITY }, /retentionMs/],
    ['a string tickMs', { anonymous: true, tickMs: '1000' as unknown as number }, /tickMs/],
    ['a negative retryAfterS', { anonymous: true, retryAfterS: -1 }, /retryAfterS/],
    [
      'longPollTimeoutS over longPollMaxTimeoutS',
      { anonymous: true, longPollTimeoutS: 60, longPollMaxTimeoutS: 30 },
      /longPollTimeoutS/,
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
  ];

  it.each(cases)('%s', (_name, options, message) => {
    expect(() => createHub(options)).toThrow(TypeError);
    expect(() => createHub(options)).toThrow(message);
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
      longPollTimeoutS: 25,
      longPollMaxTimeoutS: 30,
      maxTopicsPerConnection: 32,
      maxMessageBytes: 65_536,
      retryAfterS: 5,
    });
    await hub.close();
  });

  it('keeps what was given', async () => {
    const hub = createHub({ anonymous: true, maxConnections: 7, allowedOrigins: ['https://a.test', 'null'] });
    expect(hub.options.maxConnections).toBe(7);
    expect(hub.options.allowedOrigins).toEqual(['https://a.test', 'null']);
    await hub.close();
  });
});

describe('the error code table (PROTOCOL.md, "Errors")', () => {
  it('maps each code to its HTTP status and WebSocket close code', () => {
    expect(ERROR_CODES).toMatchObject({
      bad_request: { status: 400 },
      unauthorized: { status: 401 },
      token_expired: { status: 401, close: 4401 },
      forbidden: { status: 403 },
      payload_too_large: { status: 413, close: 1009 },
      too_many_connections: { status: 429, close: 1013 },
      rate_limited: { status: 429 },
      slow_consumer: { close: 1013 },
      policy_violation: { close: 1008 },
      unavailable: { status: 503, close: 1001 },
      internal: { status: 500, close: 1011 },
    });
    expect(CLOSE_CODES).toEqual({
      normal: 1000,
      goingAway: 1001,
      policyViolation: 1008,
      messageTooBig: 1009,
      internalError: 1011,
      tryAgainLater: 1013,
      tokenExpired: 4401,
    });
  });

  it('TidingsError carries code, status, close code and Retry-After', () => {
    const error = new TidingsError('too_many_connections', 'full', 5);
    expect(error).toBeInstanceOf(Error);
    expect([error.code, error.status, error.closeCode, error.retryAfterS]).toEqual([
      'too_many_connections',
      429,
      1013,
      5,
    ]);
  });
});

describe('timer options', () => {
  it('refuses delays a timer cannot hold', async () => {
    const { createHub } = await import('../src/index.ts');
    expect(() => createHub({ anonymous: true, drainTimeoutMs: 2 ** 31 })).toThrow(TypeError);
    expect(() => createHub({ anonymous: true, heartbeatMs: 2 ** 31 })).toThrow(TypeError);
    expect(() => createHub({ anonymous: true, retentionMs: 2 ** 31 })).not.toThrow();
  });
});
