import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { toResponse, upgrade } from '../src/adapter.ts';
import { type AnyHub, signJwt } from '../src/index.ts';
import { eventIdLike, topicListText } from './support/arbitraries.ts';
import { fuzzAsync } from './support/fuzz.ts';
import { expectError, flush, makeHub, openWs, request, useFakeClock } from './support/harness.ts';

beforeEach(useFakeClock);

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
const allowAll = () => true;

function post(body: BodyInit | null, init: RequestInit = {}): Request {
  return request('publish', { method: 'POST', body, duplex: 'half', ...init } as RequestInit);
}

interface BadCase {
  name: string;
  req: () => Request | Promise<Request>;
  status: number;
  code: string;
}

const TOO_MANY = Array.from({ length: 33 }, (_, i) => `t${i}`).join(',');

const CASES: BadCase[] = [
  // Topics, on every GET route.
  ...['poll', 'long-poll', 'sse'].flatMap((route): BadCase[] => [
    { name: `${route}: no topics`, req: () => request(route), status: 400, code: 'bad_request' },
    {
      name: `${route}: empty topics`,
      req: () => request(`${route}?topics=`),
      status: 400,
      code: 'bad_request',
    },
    {
      name: `${route}: topic with a space`,
      req: () => request(`${route}?topics=a%20b`),
      status: 400,
      code: 'bad_request',
    },
    {
      name: `${route}: topic with a newline`,
      req: () => request(`${route}?topics=a%0Ab`),
      status: 400,
      code: 'bad_request',
    },
    {
      name: `${route}: empty item`,
      req: () => request(`${route}?topics=a,,b`),
      status: 400,
      code: 'bad_request',
    },
    {
      name: `${route}: non-ASCII topic`,
      req: () => request(`${route}?topics=caf%C3%A9`),
      status: 400,
      code: 'bad_request',
    },
    {
      name: `${route}: 129-character topic`,
      req: () => request(`${route}?topics=${'x'.repeat(129)}`),
      status: 400,
      code: 'bad_request',
    },
    {
      name: `${route}: broken percent-encoding`,
      req: () => request(`${route}?topics=%ZZ`),
      status: 400,
      code: 'bad_request',
    },
    {
      name: `${route}: 33 topics (default max 32)`,
      req: () => request(`${route}?topics=${TOO_MANY}`),
      status: 400,
      code: 'bad_request',
    },
    ...['nope', 'ABC-1', 'abc-01', 'abc--1', 'abc-1.5', 'abc-99999999999999999', `${'a'.repeat(33)}-1`].map(
      (cursor): BadCase => ({
        name: `${route}: cursor ${cursor}`,
        req: () => request(`${route}?topics=a&cursor=${cursor}`),
        status: 400,
        code: 'bad_request',
      }),
    ),
    {
      name: `${route}: wrong method`,
      req: () => request(`${route}?topics=a`, { method: 'POST', body: '{}' }),
      status: 405,
      code: 'method_not_allowed',
    },
    {
      name: `${route}: wrong origin`,
      req: () => request(`${route}?topics=a`, { headers: { origin: 'https://evil.test' } }),
      status: 403,
      code: 'forbidden',
    },
  ]),
  ...['abc', '-1', '1e3', '1.2345', '9999999'].map(
    (timeout): BadCase => ({
      name: `long-poll: timeout=${timeout}`,
      req: () => request(`long-poll?topics=a&timeout=${timeout}`),
      status: 400,
      code: 'bad_request',
    }),
  ),
  {
    name: 'sse: PUT',
    req: () => request('sse?topics=a', { method: 'PUT' }),
    status: 405,
    code: 'method_not_allowed',
  },
  {
    name: 'long-poll: DELETE',
    req: () => request('long-poll?topics=a', { method: 'DELETE' }),
    status: 405,
    code: 'method_not_allowed',
  },
  // Publishing.
  { name: 'publish: GET', req: () => request('publish'), status: 405, code: 'method_not_allowed' },
  { name: 'publish: invalid JSON', req: () => post('{"topic":'), status: 400, code: 'bad_request' },
  { name: 'publish: empty body', req: () => post(''), status: 400, code: 'bad_request' },
  { name: 'publish: no body', req: () => post(null), status: 400, code: 'bad_request' },
  { name: 'publish: array body', req: () => post('[1]'), status: 400, code: 'bad_request' },
  { name: 'publish: null body', req: () => post('null'), status: 400, code: 'bad_request' },
  { name: 'publish: no data', req: () => post('{"topic":"a"}'), status: 400, code: 'bad_request' },
  { name: 'publish: no topic', req: () => post('{"data":1}'), status: 400, code: 'bad_request' },
  {
    name: 'publish: bad topic',
    req: () => post('{"topic":"a b","data":1}'),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'publish: topic not a string',
    req: () => post('{"topic":7,"data":1}'),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'publish: bad event name',
    req: () => post('{"topic":"a","event":"x\\ny","data":1}'),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'publish: event not a string',
    req: () => post('{"topic":"a","event":5,"data":1}'),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'publish: body over maxMessageBytes, streamed',
    req: () => post(JSON.stringify({ topic: 'a', data: 'x'.repeat(2000) })),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'publish: declared Content-Length over maxMessageBytes',
    req: () => post('{"topic":"a","data":1}', { headers: { 'content-length': '5000' } }),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'publish: body in many small chunks over the limit',
    req: () =>
      post(
        new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 0; i < 50; i++) controller.enqueue(new Uint8Array(100).fill(32));
            controller.close();
          },
        }),
      ),
    status: 413,
    code: 'payload_too_large',
  },
  {
    name: 'publish: not UTF-8',
    req: () => post(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'publish: body cut off',
    req: () =>
      post(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            controller.enqueue(new TextEncoder().encode('{"topic":"a",'));
            controller.error(new Error('connection reset'));
          },
        }),
      ),
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'publish: wrong origin',
    req: () => post('{"topic":"a","data":1}', { headers: { origin: 'https://evil.test' } }),
    status: 403,
    code: 'forbidden',
  },
  // Routes.
  { name: 'unknown route', req: () => request('subscribe?topics=a'), status: 404, code: 'not_found' },
  { name: 'ws without upgrade', req: () => request('ws?topics=a'), status: 400, code: 'bad_request' },
];

function hubFor(extra: object = {}): AnyHub {
  return makeHub({
    anonymous: true,
    authorize: allowAll,
    allowedOrigins: ['https://app.test'],
    maxMessageBytes: 1000,
    ...extra,
  });
}

describe('bad input gets its documented status and code, never a throw, and holds no connection', () => {
  it.each(CASES)('$name → $status $code', async ({ req, status, code }) => {
    const hub = hubFor();
    const response = await hub.handle(await req());
    await expectError(hub, response, status, code);
    if (code === 'method_not_allowed') expect(response!.headers.get('allow')).toMatch(/^(GET|POST)$/);
    expect(hub.stats().published).toBe(0);
  });

  it('the same refusals hold for a WebSocket upgrade', async () => {
    const hub = hubFor();
    const cases: [string, RequestInit, number, string][] = [
      ['ws?topics=a%20b', {}, 400, 'bad_request'],
      [`ws?topics=${TOO_MANY}`, {}, 400, 'bad_request'],
      ['ws?topics=a&cursor=nope', {}, 400, 'bad_request'],
      ['ws?topics=a', { method: 'PATCH' }, 405, 'method_not_allowed'],
      ['ws?topics=a', { headers: { origin: 'https://evil.test' } }, 403, 'forbidden'],
    ];
    for (const [path, init, status, code] of cases) {
      const decision = await upgrade(hub, request(path, init));
      expect(decision.accepted, path).toBe(false);
      if (!decision.accepted) await expectError(hub, toResponse(decision.answer), status, code);
    }
  });

  it('bad tokens: 401 unauthorized for expired, alg none and wrong-alg tokens', async () => {
    const hub = makeHub({ jwt: { secret: SECRET, algorithms: ['HS512'] } });
    const now = Math.floor(Date.now() / 1000);
    const tokens = [
      await signJwt({ sub: 'a', exp: now - 3600 }, SECRET, 'HS512'),
      await signJwt({ sub: 'a' }, SECRET, 'HS256'),
      `${btoa('{"alg":"none"}').replace(/=+$/, '')}.${btoa('{"sub":"a"}').replace(/=+$/, '')}.`,
    ];
    for (const token of tokens) {
      const response = await hub.handle(
        request('sse?topics=a', { headers: { authorization: `Bearer ${token}` } }),
      );
      const body = await expectError(hub, response, 401, 'unauthorized');
      expect(JSON.stringify(body)).not.toContain(token);
    }
  });
});

describe('fuzzed input never escapes handle', () => {
  const STATUSES = [200, 202, 400, 401, 403, 404, 405, 413];

  it('any query string and Last-Event-ID on any GET route', async () => {
    const hub = hubFor();
    await fuzzAsync(
      fc.asyncProperty(
        fc.constantFrom('poll', 'long-poll', 'sse', 'ws', 'publish', ''),
        fc.oneof(fc.string({ maxLength: 80 }), topicListText),
        fc.oneof(fc.string({ maxLength: 60 }), eventIdLike),
        // What a Fetch Headers object can carry: printable Latin-1, no line breaks.
        fc.option(
          eventIdLike.map((id) => id.replace(/[^\x20-\x7e\xa0-\xff]/g, '')),
          { nil: undefined },
        ),
        async (route, topics, cursor, lastEventId) => {
          // URLSearchParams, not encodeURIComponent, which throws on a lone surrogate.
          const query = `?${new URLSearchParams({ topics, cursor, timeout: '0' })}`;
          const headers: Record<string, string> =
            lastEventId === undefined ? {} : { 'last-event-id': lastEventId };
          const response = await hub.handle(request(`${route}${query}`, { headers }));
          expect(STATUSES).toContain(response!.status);
          await response!.body?.cancel();
          await flush();
          expect(hub.stats().connections.total).toBe(0);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('any publish body', async () => {
    // 200 publishes in well under a second from one caller: lift the HTTP publish rate, which is not what this property is about.
    const hub = hubFor({ maxHttpPublishesPerSecond: 1_000_000 });
    await fuzzAsync(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.json({ maxDepth: 3 }),
          fc
            .record({ topic: fc.string({ maxLength: 10 }), data: fc.jsonValue({ maxDepth: 2 }) })
            .map((v) => JSON.stringify(v)),
        ),
        async (body) => {
          const response = await hub.handle(post(body));
          expect(STATUSES).toContain(response!.status);
          const answer = (await response!.json()) as { id?: string; error?: { code: string } };
          if (response!.status === 202) expect(typeof answer.id).toBe('string');
          else expect(typeof answer.error?.code).toBe('string');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('any WebSocket text message gets an answer or nothing, never a crash; the socket lives on', async () => {
    const hub = makeHub({ anonymous: true, authorize: allowAll, maxErrorsPerInterval: 1_000_000 });
    const socket = await openWs(hub, '');
    await fuzzAsync(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 100 }),
          fc.json({ maxDepth: 3 }),
          fc
            .record({
              type: fc.constantFrom('subscribe', 'unsubscribe', 'publish', 'ping', 'pong', 'other'),
              topics: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
              topic: fc.string({ maxLength: 8 }),
              data: fc.jsonValue({ maxDepth: 2 }),
              cursor: fc.string({ maxLength: 8 }),
              ref: fc.string({ maxLength: 4 }),
            })
            .map((v) => JSON.stringify(v)),
        ),
        async (text) => {
          socket.handlers!.message(text);
          await flush();
          expect(socket.isClosed).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
    for (const message of socket.messages()) {
      expect(['welcome', 'event', 'ack', 'error', 'pong', 'reset']).toContain(message.type);
      if (message.type === 'error')
        expect(message.code).toMatch(/^(bad_request|forbidden|payload_too_large)$/);
    }
  });
});
