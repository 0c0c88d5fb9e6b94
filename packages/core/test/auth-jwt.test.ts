import { Buffer } from 'node:buffer';
import { beforeEach, describe, expect, it } from 'vitest';
import { toResponse, upgrade } from '../src/adapter.ts';
import { type HubOptions, isTidingsError, signJwt, verifyJwt } from '../src/index.ts';
import {
  advance,
  call,
  expectError,
  flush,
  makeHub,
  openWs,
  pollBody,
  request,
  until,
  useFakeClock,
} from './support/harness.ts';
import { start } from './support/pending.ts';
import { readSse } from './support/sse-reader.ts';

beforeEach(useFakeClock);

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
const nowS = () => Math.floor(Date.now() / 1000);
const bearer = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}` } });
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
}

/** Every way a token can be wrong; each must get the same generic 401. */
async function badTokens(): Promise<Record<string, string>> {
  const good = await signJwt({ sub: 'ann', exp: nowS() + 3600 }, SECRET);
  const [header, payload, signature] = good.split('.') as [string, string, string];
  const flip = (s: string) =>
    s[5] === 'A' ? `${s.slice(0, 5)}B${s.slice(6)}` : `${s.slice(0, 5)}A${s.slice(6)}`;
  return {
    'alg none, no signature': `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`,
    'alg none, old signature kept': `${b64({ alg: 'none' })}.${payload}.${signature}`,
    'alg NONE': `${b64({ alg: 'NONE' })}.${payload}.`,
    'HS512 where only HS256 is allowed': await signJwt({ sub: 'ann' }, SECRET, 'HS512'),
    'RS256 header (algorithm confusion)': `${b64({ alg: 'RS256' })}.${payload}.${signature}`,
    'tampered payload': `${header}.${b64({ sub: 'admin', exp: nowS() + 3600 })}.${signature}`,
    'tampered signature': `${header}.${payload}.${flip(signature)}`,
    'signed with another secret': await signJwt({ sub: 'ann' }, 'another-secret-of-at-least-32-bytes!!'),
    expired: await signJwt({ sub: 'ann', exp: nowS() - 60 }, SECRET),
    'not yet valid': await signJwt({ sub: 'ann', nbf: nowS() + 60 }, SECRET),
    'exp not a number': await signJwt({ sub: 'ann', exp: 'tomorrow' }, SECRET),
    'two parts': `${header}.${payload}`,
    'four parts': `${good}.x`,
    'not base64url': `${header}.${payload}.${signature.slice(0, -2)}+/`,
    'header not JSON': `${Buffer.from('{alg').toString('base64url')}.${payload}.${signature}`,
    'crit header': `${b64({ alg: 'HS256', crit: ['exp'] })}.${payload}.${signature}`,
    garbage: 'garbage',
    'very long': `${header}.${'A'.repeat(10_000)}.${signature}`,
  };
}

describe('verifyJwt / signJwt', () => {
  it('round-trips HS256, HS384 and HS512 and maps sub and exp to the principal', async () => {
    const exp = nowS() + 60;
    for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
      const token = await signJwt({ sub: 'ann', exp, role: 'admin' }, SECRET, alg);
      const principal = await verifyJwt(token, { secret: SECRET, algorithms: [alg] });
      expect(principal.id).toBe('ann');
      expect(principal.claims).toMatchObject({ sub: 'ann', role: 'admin', exp });
      // The connection may live through the clock leeway (5 s by default).
      expect(principal.expiresAt).toBe(exp * 1000 + 5000);
    }
  });

  it('accepts a Uint8Array secret', async () => {
    const secret = new TextEncoder().encode(SECRET);
    const token = await signJwt({ sub: 'u' }, secret, 'HS384');
    expect((await verifyJwt(token, { secret, algorithms: ['HS384'] })).id).toBe('u');
  });

  it('allows exp and nbf within the leeway, and not beyond', async () => {
    const options = { secret: SECRET, leewayMs: 10_000 };
    expect((await verifyJwt(await signJwt({ exp: nowS() - 5 }, SECRET), options)).expiresAt).toBeGreaterThan(
      Date.now(),
    );
    await verifyJwt(await signJwt({ nbf: nowS() + 5 }, SECRET), options);
    expect(
      isTidingsError(await refusal(verifyJwt(await signJwt({ exp: nowS() - 11 }, SECRET), options))),
    ).toBe(true);
    expect(
      isTidingsError(await refusal(verifyJwt(await signJwt({ nbf: nowS() + 11 }, SECRET), options))),
    ).toBe(true);
  });

  it('checks aud (string or array) and iss only when configured', async () => {
    const options = { secret: SECRET, audience: 'tidings', issuer: 'https://issuer.test' };
    await verifyJwt(await signJwt({ aud: 'tidings', iss: 'https://issuer.test' }, SECRET), options);
    await verifyJwt(await signJwt({ aud: ['x', 'tidings'], iss: 'https://issuer.test' }, SECRET), options);
    for (const claims of [
      { aud: 'other', iss: 'https://issuer.test' },
      { aud: 'tidings', iss: 'https://evil.test' },
      { iss: 'https://issuer.test' },
    ]) {
      const error = await refusal(verifyJwt(await signJwt(claims, SECRET), options));
      expect(isTidingsError(error) && error.code).toBe('unauthorized');
    }
    await verifyJwt(await signJwt({ aud: 'anything' }, SECRET), { secret: SECRET });
  });

  it('refuses every bad token with one generic unauthorized error that never holds the token', async () => {
    const messages = new Set<string>();
    for (const [name, token] of Object.entries(await badTokens())) {
      const error = await refusal(verifyJwt(token, { secret: SECRET }));
      expect(isTidingsError(error), name).toBe(true);
      if (!isTidingsError(error)) continue;
      expect(error.code, name).toBe('unauthorized');
      expect(error.status).toBe(401);
      expect(error.message).not.toContain(token);
      expect(String(error.stack)).not.toContain(token);
      messages.add(error.message);
    }
    expect(messages.size).toBe(1);
  });

  it('refuses an HS256 token when only HS512 is allowed, and accepts the HS512 one', async () => {
    const options = { secret: SECRET, algorithms: ['HS512' as const] };
    const error = await refusal(verifyJwt(await signJwt({ sub: 'a' }, SECRET, 'HS256'), options));
    expect(isTidingsError(error) && error.code).toBe('unauthorized');
    expect((await verifyJwt(await signJwt({ sub: 'a' }, SECRET, 'HS512'), options)).id).toBe('a');
  });
});

describe('token auth on the routes', () => {
  const jwtHub = (extra: Partial<HubOptions> = {}) => makeHub({ jwt: { secret: SECRET }, ...extra });

  it('accepts a valid token as Bearer header or named cookie, and in the query only with tokenInQuery', async () => {
    const hub = jwtHub({ tokenCookie: 'tid' });
    const token = await signJwt({ sub: 'ann', exp: nowS() + 60 }, SECRET);
    expect((await call(hub, 'poll?topics=a', { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      200,
    );
    expect((await call(hub, `poll?topics=a&token=${token}`)).status).toBe(401);
    expect((await call(jwtHub({ tokenInQuery: true }), `poll?topics=a&token=${token}`)).status).toBe(200);
    expect((await call(hub, 'poll?topics=a', { headers: { cookie: `other=1; tid=${token}` } })).status).toBe(
      200,
    );
  });

  it('with no token where one is required: 401 on every HTTP route; the upgrade waits for its auth message', async () => {
    const hub = jwtHub({ authorize: () => true });
    for (const path of ['poll?topics=a', 'long-poll?topics=a', 'sse?topics=a']) {
      await expectError(hub, await hub.handle(request(path)), 401, 'unauthorized');
    }
    await expectError(
      hub,
      await hub.handle(request('publish', { method: 'POST', body: '{"topic":"a","data":1}' })),
      401,
      'unauthorized',
    );
    const decision = await upgrade(hub, request('ws?topics=a'));
    expect(decision.accepted).toBe(true);
    if (decision.accepted) decision.abort();
    expect(hub.stats().connections.total).toBe(0);
  });

  it('bad tokens get 401 with one generic message that never echoes the token, and no connection', async () => {
    const errors: unknown[] = [];
    const hub = jwtHub({ tokenCookie: 'tid', onError: (error) => errors.push(error) });
    const bodies = new Set<string>();
    for (const [name, token] of Object.entries(await badTokens())) {
      const routes = [
        request('sse?topics=a', { headers: { authorization: `Bearer ${token}` } }),
        request('long-poll?topics=a', { headers: { cookie: `tid=${encodeURIComponent(token)}` } }),
      ];
      for (const req of routes) {
        const response = await hub.handle(req);
        const text = await response!.clone().text();
        expect(text, name).not.toContain(token);
        for (const [, value] of response!.headers) expect(value).not.toContain(token);
        const body = await expectError(hub, response, 401, 'unauthorized');
        bodies.add(body.error.message);
      }
      const decision = await upgrade(
        hub,
        request('ws?topics=a', { headers: { authorization: `Bearer ${token}` } }),
      );
      expect(decision.accepted).toBe(false);
      if (!decision.accepted) {
        expect(await toResponse(decision.answer).clone().text()).not.toContain(token);
        await expectError(hub, toResponse(decision.answer), 401, 'unauthorized');
      }
    }
    expect(bodies.size).toBe(1);
    // Refusals are expected outcomes, not errors to report.
    expect(errors).toEqual([]);
  });

  it('a bad token is refused even when anonymous access is allowed', async () => {
    const hub = jwtHub({ anonymous: true });
    expect((await call(hub, 'poll?topics=a')).status).toBe(200);
    await expectError(
      hub,
      await hub.handle(request('poll?topics=a', { headers: { authorization: 'Bearer garbage' } })),
      401,
      'unauthorized',
    );
  });

  it('tokenInQuery is off by default: the token query parameter is ignored', async () => {
    const hub = jwtHub();
    const token = await signJwt({ sub: 'ann' }, SECRET);
    await expectError(hub, await hub.handle(request(`poll?topics=a&token=${token}`)), 401, 'unauthorized');
  });

  it('a custom authenticate gets the request and the token, and null means 401', async () => {
    const seen: (string | undefined)[] = [];
    const hub = makeHub({
      authenticate: (_request, token) => {
        seen.push(token);
        return token === 'session-ok' ? { id: 'ann' } : null;
      },
    });
    expect(
      (await call(hub, 'poll?topics=a', { headers: { authorization: 'Bearer session-ok' } })).status,
    ).toBe(200);
    await expectError(
      hub,
      await hub.handle(request('poll?topics=a', { headers: { authorization: 'Bearer nope' } })),
      401,
      'unauthorized',
    );
    expect(seen).toEqual(['session-ok', 'nope']);
  });

  it('a throwing authenticate or authorize is a 500 reported to onError with its stage, never thrown out of handle', async () => {
    const errors: unknown[] = [];
    const stages: unknown[] = [];
    const boom = new Error('db down');
    const hub = makeHub({
      authenticate: (req) => {
        if (new URL(req.url).searchParams.get('topics') === 'a') throw boom;
        return {};
      },
      authorize: () => {
        throw boom;
      },
      onError: (error, info) => {
        errors.push(error);
        stages.push(info);
      },
    });
    const first = await expectError(hub, await hub.handle(request('sse?topics=a')), 500, 'internal');
    expect(first.error.message).not.toContain('db down');
    await expectError(hub, await hub.handle(request('long-poll?topics=b')), 500, 'internal');
    expect(errors).toEqual([boom, boom]);
    expect(stages).toEqual([
      { stage: 'authenticate', route: 'sse' },
      { stage: 'authorize', route: 'long-poll' },
    ]);
  });
});

describe('token expiry ends the connection', () => {
  const hubWithExpiry = () => makeHub({ jwt: { secret: SECRET, leewayMs: 0 } });

  it('WebSocket: closed with 4401 when the token expires', async () => {
    const hub = hubWithExpiry();
    const token = await signJwt({ sub: 'ann', exp: nowS() + 10 }, SECRET);
    const socket = await openWs(hub, '?topics=a', { init: bearer(token) });
    await advance(9_000);
    expect(socket.isClosed).toBe(false);
    await advance(2_000);
    expect(socket.closed).toEqual({ code: 4401, reason: 'token_expired' });
    await flush();
    expect(hub.stats().connections.total).toBe(0);
  });

  it('SSE: a close event with code token_expired and retryMs 0, then the stream ends', async () => {
    const hub = hubWithExpiry();
    const token = await signJwt({ sub: 'ann', exp: nowS() + 10 }, SECRET);
    const sse = readSse(await call(hub, 'sse?topics=a', bearer(token)));
    await advance(9_000);
    expect(sse.done).toBe(false);
    await advance(2_000);
    // The last event id is still the one the opening set: the head the stream started from.
    const opened = /cursor=(\S+)/.exec(sse.comments[0]!)![1];
    expect(sse.events.at(-1)).toEqual({
      id: opened,
      event: 'close',
      data: JSON.stringify({ code: 'token_expired', retryMs: 0 }),
    });
    expect(sse.done).toBe(true);
    expect(hub.stats().connections.total).toBe(0);
  });

  it('long poll: answered when the token expires, before its own timeout', async () => {
    const hub = hubWithExpiry();
    const token = await signJwt({ sub: 'ann', exp: nowS() + 10 }, SECRET);
    const waiting = start(hub, 'long-poll?topics=a&timeout=25', bearer(token));
    await until(() => hub.stats().connections.longPoll === 1, 'the long poll to be admitted');
    await advance(9_000);
    expect(waiting.settled).toBe(false);
    await advance(2_000);
    expect(waiting.settled).toBe(true);
    expect((await pollBody(waiting.response!)).events).toEqual([]);
    expect(hub.stats().connections.total).toBe(0);
  });

  it('a token without exp never expires the connection', async () => {
    const hub = hubWithExpiry();
    const token = await signJwt({ sub: 'ann' }, SECRET);
    const socket = await openWs(hub, '?topics=a', { ping: true, init: bearer(token) });
    for (let i = 0; i < 4; i++) {
      await advance(25_000);
      socket.handlers!.pong();
    }
    expect(socket.isClosed).toBe(false);
  });
});

describe('allowedOrigins', () => {
  it('refuses other origins with 403 on every route and for the upgrade; allows listed ones and none', async () => {
    const hub = makeHub({ anonymous: true, authorize: () => true, allowedOrigins: ['https://app.test'] });
    const evil = { headers: { origin: 'https://evil.test' } };
    for (const path of ['poll?topics=a', 'long-poll?topics=a', 'sse?topics=a']) {
      await expectError(hub, await hub.handle(request(path, evil)), 403, 'forbidden');
    }
    await expectError(
      hub,
      await hub.handle(request('publish', { ...evil, method: 'POST', body: '{"topic":"a","data":1}' })),
      403,
      'forbidden',
    );
    const decision = await upgrade(hub, request('ws?topics=a', evil));
    expect(decision.accepted).toBe(false);
    if (!decision.accepted) await expectError(hub, toResponse(decision.answer), 403, 'forbidden');

    const good = await upgrade(hub, request('ws?topics=a', { headers: { origin: 'https://app.test' } }));
    expect(good.accepted).toBe(true);
    if (good.accepted) good.abort();
    expect((await call(hub, 'poll?topics=a')).status).toBe(200);
  });

  it('with a token cookie and no list, only the request’s own origin is accepted', async () => {
    const hub = makeHub({ jwt: { secret: SECRET }, tokenCookie: 'tid' });
    const token = await signJwt({ sub: 'ann' }, SECRET);
    const cookie = `tid=${token}`;
    const cross = await hub.handle(
      request('poll?topics=a', { headers: { cookie, origin: 'https://evil.test' } }),
    );
    await expectError(hub, cross, 403, 'forbidden');
    const same = await call(hub, 'poll?topics=a', { headers: { cookie, origin: 'http://hub.test' } });
    expect(same.status).toBe(200);
  });
});
