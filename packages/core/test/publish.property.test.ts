import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type HubAnswer, type HubRequest, respond, type StreamPort } from '../src/adapter.ts';
import { parseEventId } from '../src/broker-api.ts';
import { createHub, ERROR_CODES, type ErrorCode, type Hub, type Principal, signJwt } from '../src/index.ts';
import { cuts, nastyJson, nastyString, splitAt, validTopic } from './support/arbitraries.ts';
import { fuzzAsync } from './support/fuzz.ts';
import { BASE } from './support/harness.ts';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
const MAX_BYTES = 2048;
const ORIGIN = 'https://app.example';
const encoder = new TextEncoder();

/** What `POST {base}/publish` may answer (docs/protocol.md): 202 or a documented 4xx, never a 5xx. */
const STATUSES = [202, 400, 401, 403, 404, 405, 413, 429];

const errors: unknown[] = [];
let hub: Hub;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  hub = createHub({
    jwt: { secret: SECRET, leewayMs: 0 },
    allowedOrigins: [ORIGIN],
    tokenCookie: 'tk',
    maxMessageBytes: MAX_BYTES,
    // Thousands of publishes a second from one caller: the rate limit is not what is fuzzed here.
    maxHttpPublishesPerSecond: 1_000_000,
    authorize: (principal: Principal, topic, action) => {
      const role = principal.claims?.role;
      if (topic.startsWith('private.')) return role === 'admin';
      return action === 'subscribe' || role === 'publisher' || role === 'admin';
    },
    onError: (error) => errors.push(error),
  });
  const now = Math.floor(Date.now() / 1000);
  for (const role of ['publisher', 'subscriber', 'admin']) {
    tokens[role] = await signJwt({ sub: role, role, exp: now + 3600 }, SECRET);
  }
  tokens.expired = await signJwt({ sub: 'old', role: 'publisher', exp: now - 60 }, SECRET);
  tokens.forged = await signJwt({ sub: 'x', role: 'admin', exp: now + 3600 }, `${SECRET}-other`);
  tokens.none = `${btoa('{"alg":"none"}').replace(/=+$/, '')}.${btoa('{"role":"admin"}').replace(/=+$/, '')}.`;
});

/** A body stream delivering the pieces, or breaking off after `breakAfter` of them (if there are more). */
function bodyStream(pieces: Uint8Array[], breakAfter: number | undefined): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream({
    pull(controller) {
      if (next === pieces.length) return controller.close();
      if (next === breakAfter) return controller.error(new Error('connection reset'));
      controller.enqueue(pieces[next++]!);
    },
  });
}

// The Node bridge passes `respond` a light view whose headers come from Node's parser; anything the
// hub reads must be safe for any value there.
const NO_STREAM: StreamPort = {
  open: () => expect.fail('publish never streams'),
  write: () => expect.fail('publish never streams'),
  end: () => expect.fail('publish never streams'),
  bufferedAmount: () => 0,
};

interface Call {
  /** The token's kind (a key of `tokens`), or raw header text; undefined: no token. */
  auth?: string | undefined;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Uint8Array;
  pieces: number[];
  breakAfter: number | undefined;
  viaRespond: boolean;
}

async function send(call: Call): Promise<{ status: number; text: string }> {
  const pieces = splitAt(call.body, call.pieces);
  const url = `${BASE}/${call.path}`;
  if (call.viaRespond) {
    const lower = Object.fromEntries(Object.entries(call.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const request: HubRequest = {
      method: call.method,
      url,
      headers: { get: (name) => lower[name.toLowerCase()] ?? null },
      signal: new AbortController().signal,
      body: call.method === 'GET' ? null : bodyStream(pieces, call.breakAfter),
    };
    const answer = (await respond(hub, request, { stream: NO_STREAM })) as HubAnswer;
    return { status: answer.status, text: answer.body };
  }
  const response = (await hub.handle(
    new Request(url, {
      method: call.method,
      headers: call.headers,
      ...(call.method === 'GET' || call.method === 'HEAD'
        ? {}
        : { body: bodyStream(pieces, call.breakAfter), duplex: 'half' }),
    } as RequestInit),
  ))!;
  return { status: response.status, text: await response.text() };
}

/** Header text a Fetch `Headers` accepts (Latin-1, no line breaks or NUL), hostile otherwise. */
const headerText = fc.string({
  unit: fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
    { weight: 1, arbitrary: fc.integer({ min: 0xa0, max: 0xff }).map((c) => String.fromCharCode(c)) },
    { weight: 1, arbitrary: fc.constantFrom('\t', '.', '=', ';', '%', '"', 'Bearer ') },
  ),
  maxLength: 40,
});

const topicish = fc.oneof(
  { weight: 6, arbitrary: validTopic },
  { weight: 1, arbitrary: validTopic.map((t) => `private.${t}`.slice(0, 128)) },
  { weight: 1, arbitrary: nastyString },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.constant(null), fc.boolean()) },
);

/** Bodies: near-valid publishes (some too big), any text, any bytes. */
const bodyBytes = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record(
        {
          topic: topicish,
          event: fc.oneof(fc.stringMatching(/^[A-Za-z0-9._~:/-]{1,64}$/), nastyString, fc.constant(null)),
          data: fc.oneof(
            { weight: 4, arbitrary: nastyJson },
            { weight: 1, arbitrary: fc.string({ minLength: 1900, maxLength: 2200 }) },
          ),
        },
        { requiredKeys: [] },
      )
      .map((body) => encoder.encode(JSON.stringify(body))),
  },
  { weight: 1, arbitrary: nastyString.map((s) => encoder.encode(s)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
);

const call: fc.Arbitrary<Call> = fc
  .record({
    method: fc.oneof(
      { weight: 9, arbitrary: fc.constant('POST') },
      { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE') },
    ),
    path: fc.oneof(
      { weight: 9, arbitrary: fc.constant('publish') },
      { weight: 1, arbitrary: fc.constantFrom('publish/', 'PUBLISH', 'publish?x=1') },
    ),
    body: bodyBytes,
    pieces: cuts,
    breakAfter: fc.option(fc.nat(4), { freq: 2, nil: undefined }),
    viaRespond: fc.boolean(),
    auth: fc.oneof(
      {
        weight: 4,
        arbitrary: fc.constantFrom('publisher', 'admin', 'subscriber', 'expired', 'forged', 'none'),
      },
      { weight: 1, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: headerText },
    ),
    carrier: fc.constantFrom('header', 'header', 'cookie', 'query'),
    origin: fc.option(fc.oneof(fc.constant(ORIGIN), fc.constant(`${BASE.slice(0, 15)}`), headerText), {
      freq: 3,
    }),
    contentLength: fc.option(
      fc.oneof(
        fc.constantFrom(
          'exact',
          'exact+1',
          'exact-1',
          '0',
          'abc',
          '-1',
          '1e9',
          ' 12',
          '99999999999999999999',
        ),
      ),
      { freq: 2 },
    ),
    contentType: fc.option(fc.oneof(fc.constant('application/json'), headerText), { freq: 2 }),
  })
  .map((c) => {
    const headers: Record<string, string> = {};
    const token = c.auth === undefined ? undefined : (tokens[c.auth] ?? c.auth);
    let path = c.path;
    if (token !== undefined) {
      if (c.carrier === 'cookie') headers.cookie = `tk=${token}`;
      else if (c.carrier === 'query')
        path += `${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
      else headers.authorization = c.auth !== undefined && c.auth in tokens ? `Bearer ${token}` : token;
    }
    if (c.origin !== null) headers.origin = c.origin;
    if (c.contentType !== null) headers['content-type'] = c.contentType;
    if (c.contentLength !== null) {
      const exact = c.body.byteLength;
      headers['content-length'] =
        c.contentLength === 'exact'
          ? String(exact)
          : c.contentLength === 'exact+1'
            ? String(exact + 1)
            : c.contentLength === 'exact-1'
              ? String(Math.max(0, exact - 1))
              : c.contentLength;
    }
    return { ...c, path, headers };
  });

function isPublishBody(bytes: Uint8Array): boolean {
  try {
    const body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    return typeof body === 'object' && body !== null && !Array.isArray(body) && 'data' in body;
  } catch {
    return false;
  }
}

describe('POST {base}/publish with any body and headers, through respond (Node) and handle (Fetch)', () => {
  it('answers 202 or a documented 4xx with its code, never a 5xx, never a throw', async () => {
    const seen = new Set<number>();
    await fuzzAsync(
      fc.asyncProperty(call, async (c) => {
        const { status, text } = await send(c);
        seen.add(status);
        expect(STATUSES).toContain(status);
        const answer = JSON.parse(text) as { id?: string; error?: { code: ErrorCode; message: string } };
        if (status === 202) {
          expect(parseEventId(answer.id!)).toBeDefined();
          // Only a well-formed, whole, small enough publish from an allowed publisher gets through.
          expect(c.method).toBe('POST');
          expect(['publisher', 'admin']).toContain(c.auth);
          expect(c.breakAfter === undefined || c.breakAfter >= splitAt(c.body, c.pieces).length).toBe(true);
          expect(c.body.byteLength).toBeLessThanOrEqual(MAX_BYTES);
          expect(isPublishBody(c.body)).toBe(true);
        } else {
          expect(answer.error!.code).not.toBe('internal');
          expect(ERROR_CODES[answer.error!.code].status).toBe(status);
          expect(answer.error!.message.length).toBeGreaterThan(0);
        }
        expect(errors).toEqual([]);
      }),
      { numRuns: 3000 },
    );
    // The generator reaches every branch that matters, or the property says little.
    for (const status of [202, 400, 401, 403, 404, 405, 413]) expect(seen).toContain(status);
  });

  it('a valid publish, cut into any chunks, is stored exactly: the next poll returns it', async () => {
    await fuzzAsync(
      fc.asyncProperty(
        validTopic,
        fc.option(fc.stringMatching(/^[A-Za-z0-9._~:/-]{1,64}$/), { nil: undefined }),
        nastyJson,
        cuts,
        fc.boolean(),
        fc.boolean(),
        async (topic, event, data, pieces, viaRespond, declareLength) => {
          const body = encoder.encode(
            JSON.stringify(event === undefined ? { topic, data } : { topic, event, data }),
          );
          fc.pre(body.byteLength <= MAX_BYTES);
          const auth = { authorization: `Bearer ${tokens.publisher}` };
          const poll = (cursor?: string) =>
            hub.handle(
              new Request(
                `${BASE}/poll?topics=${encodeURIComponent(topic)}${cursor ? `&cursor=${cursor}` : ''}`,
                {
                  headers: auth,
                },
              ),
            );
          const { cursor } = (await (await poll())!.json()) as { cursor: string };
          const headers: Record<string, string> = { ...auth, 'content-type': 'application/json' };
          if (declareLength) headers['content-length'] = String(body.byteLength);
          const sent = await send({
            method: 'POST',
            path: 'publish',
            headers,
            body,
            pieces,
            breakAfter: undefined,
            viaRespond,
          });
          expect(sent.status).toBe(202);
          const { id } = JSON.parse(sent.text) as { id: string };
          const { events } = (await (await poll(cursor))!.json()) as { events: unknown[] };
          expect(JSON.stringify(events)).toBe(
            JSON.stringify([
              { id, topic, event: event ?? 'message', data: JSON.parse(JSON.stringify(data)) },
            ]),
          );
        },
      ),
      { numRuns: 800 },
    );
    expect(errors).toEqual([]);
  });
});
