import { describe, expect, it } from 'vitest';
import { decide, type Failure, TRY_AGAIN_LATER } from '../src/internal/decide.ts';

type Case = [string, Failure, number, boolean, boolean, ReturnType<typeof decide>];

// [what, failure, strikes (failed attempts in a row on this transport, this one included),
//  canRefresh, canFallBack, decision: a wait in ms (retry), 'fallback', 'refresh' or 'stop']
const cases: Case[] = [
  [
    '401 with getToken refreshes',
    { message: '', status: 401, code: 'unauthorized' },
    1,
    true,
    true,
    'refresh',
  ],
  ['401 without getToken stops', { message: '', status: 401, code: 'unauthorized' }, 1, false, true, 'stop'],
  ['close 4401 refreshes', { message: '', close: 4401 }, 1, true, true, 'refresh'],
  [
    'SSE close token_expired refreshes',
    { message: '', code: 'token_expired', retryMs: 0 },
    1,
    true,
    true,
    'refresh',
  ],
  [
    "the protocol's 403 (forbidden) stops, never falls back",
    { message: '', status: 403, code: 'forbidden' },
    1,
    true,
    true,
    'stop',
  ],
  ["a proxy's own 403 page falls back at once", { message: '', status: 403 }, 1, true, true, 'fallback'],
  ["a proxy's own 403 on the last transport retries", { message: '', status: 403 }, 3, true, false, 0],
  ['400 stops', { message: '', status: 400, code: 'bad_request' }, 1, true, true, 'stop'],
  ['close 1008 stops', { message: '', close: 1008 }, 1, true, true, 'stop'],
  ['404 falls back', { message: '', status: 404, code: 'not_found' }, 1, false, true, 'fallback'],
  [
    '404 on the last transport stops',
    { message: '', status: 404, code: 'not_found' },
    1,
    false,
    false,
    'stop',
  ],
  ['a 200 that is not an event stream falls back', { message: '', status: 200 }, 1, false, true, 'fallback'],
  [
    'an answer held by a buffering proxy falls back',
    { message: '', silent: true },
    1,
    false,
    true,
    'fallback',
  ],
  ['silence on the last transport retries', { message: '', silent: true }, 1, false, false, 0],
  [
    'a WebSocket blocked while HTTP works falls back',
    { message: '', silent: true },
    1,
    false,
    true,
    'fallback',
  ],
  ['a server that does not answer (down) retries', { message: '', code: 'network' }, 4, false, true, 0],
  ['an open WebSocket that closed retries on WebSocket', { message: '', close: 1006 }, 0, false, true, 0],
  ['a dead connection (no heartbeat) retries', { message: '', code: 'heartbeat_timeout' }, 0, false, true, 0],
  [
    "the server's 503 + Retry-After retries after it, however often",
    { message: '', status: 503, code: 'unavailable', retryMs: 5000 },
    5,
    false,
    true,
    5000,
  ],
  [
    '429 retries after Retry-After, no fallback',
    { message: '', status: 429, code: 'too_many_connections', retryMs: 2000 },
    5,
    false,
    true,
    2000,
  ],
  [
    'SSE close notice retries after its retryMs',
    { message: '', code: 'unavailable', retryMs: 2000 },
    1,
    false,
    true,
    2000,
  ],
  [
    "the server's 500 retries, however often",
    { message: '', status: 500, code: 'internal' },
    5,
    false,
    true,
    0,
  ],
  ["a gateway's 504 page (no protocol body) retries once", { message: '', status: 504 }, 1, false, true, 0],
  ['a second 504 in a row falls back', { message: '', status: 504 }, 2, false, true, 'fallback'],
  ['a 502 on the last transport keeps retrying', { message: '', status: 502 }, 6, false, false, 0],
];

describe('fallback decisions', () => {
  it.each(cases)('%s', (_what, failure, strikes, canRefresh, canFallBack, expected) => {
    expect(decide(failure, canRefresh, canFallBack, strikes)).toEqual(expected);
  });

  it('its close codes are the protocol table’s', async () => {
    const { CLOSE_CODES } = await import('@tidings/core/protocol');
    expect(decide({ message: '', close: CLOSE_CODES.unauthorized }, true, true, 1)).toBe('refresh');
    expect(decide({ message: '', close: CLOSE_CODES.policyViolation }, true, true, 1)).toBe('stop');
    expect(TRY_AGAIN_LATER).toBe(CLOSE_CODES.tryAgainLater);
  });
});
