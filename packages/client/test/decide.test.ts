import { describe, expect, it } from 'vitest';
import { decide, type Failure } from '../src/internal/decide.ts';
import type { TransportName } from '../src/options.ts';

const cases: [string, Failure, TransportName, boolean, boolean, ReturnType<typeof decide>][] = [
  // [what, failure, transport, canRefresh, canFallBack, decision]
  ['401 with getToken refreshes', { message: '', status: 401 }, 'sse', true, true, { action: 'refresh' }],
  ['401 without getToken stops', { message: '', status: 401 }, 'sse', false, true, { action: 'stop' }],
  [
    'close 4401 refreshes',
    { message: '', close: 4401, opened: true },
    'ws',
    true,
    true,
    { action: 'refresh' },
  ],
  [
    'SSE close token_expired refreshes',
    { message: '', code: 'token_expired', retryMs: 0, opened: true },
    'sse',
    true,
    true,
    { action: 'refresh' },
  ],
  ['403 stops, never falls back', { message: '', status: 403 }, 'sse', true, true, { action: 'stop' }],
  ['400 stops', { message: '', status: 400 }, 'long-poll', true, true, { action: 'stop' }],
  ['close 1008 stops', { message: '', close: 1008, opened: true }, 'ws', true, true, { action: 'stop' }],
  ['404 falls back', { message: '', status: 404 }, 'sse', false, true, { action: 'fallback' }],
  ['404 on the last transport stops', { message: '', status: 404 }, 'poll', false, false, { action: 'stop' }],
  [
    'a 200 that is not an event stream falls back',
    { message: '', status: 200 },
    'sse',
    false,
    true,
    { action: 'fallback' },
  ],
  [
    'SSE without first bytes in time falls back',
    { message: '', silent: true },
    'sse',
    false,
    true,
    { action: 'fallback' },
  ],
  [
    'silence on the last transport retries',
    { message: '', silent: true },
    'sse',
    false,
    false,
    { action: 'retry', waitMs: 0 },
  ],
  [
    'WebSocket refused while HTTP works falls back',
    { message: '' },
    'ws',
    false,
    true,
    { action: 'fallback' },
  ],
  [
    'WebSocket unreachable (server down) retries',
    { message: '', network: true },
    'ws',
    false,
    true,
    { action: 'retry', waitMs: 0 },
  ],
  [
    'an open WebSocket that closed retries on WebSocket',
    { message: '', close: 1006, opened: true },
    'ws',
    false,
    true,
    { action: 'retry', waitMs: 0 },
  ],
  [
    'WebSocket refused with 503 + Retry-After retries after it',
    { message: '', status: 503, retryMs: 5000 },
    'ws',
    false,
    true,
    { action: 'retry', waitMs: 5000 },
  ],
  [
    '429 retries after Retry-After, no fallback',
    { message: '', status: 429, retryMs: 2000 },
    'sse',
    false,
    true,
    { action: 'retry', waitMs: 2000 },
  ],
  [
    'SSE close notice retries after its retryMs',
    { message: '', code: 'unavailable', retryMs: 2000, opened: true },
    'sse',
    false,
    true,
    { action: 'retry', waitMs: 2000 },
  ],
  [
    'a network error on SSE retries',
    { message: '', network: true },
    'sse',
    false,
    true,
    { action: 'retry', waitMs: 0 },
  ],
  ['500 retries', { message: '', status: 500 }, 'long-poll', false, true, { action: 'retry', waitMs: 0 }],
];

describe('fallback decisions', () => {
  it.each(cases)('%s', (_what, failure, transport, canRefresh, canFallBack, expected) => {
    expect(decide(failure, transport, canRefresh, canFallBack)).toEqual(expected);
  });
});
