import { signJwt } from '@tidings/core';
import { describe, expect } from 'vitest';
import { openSse } from '../clients/sse-client.ts';
import { openWs, refusedWs } from '../clients/ws-client.ts';
import { type Harness, uniqueTopic, useCleanup } from '../harness.ts';
import { errorCode, spec } from './case-kit.ts';
import { headCursor } from './long-poll-cases.ts';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Tokens that must all be refused with 401. */
async function badTokens(h: Harness): Promise<Record<string, string>> {
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: 'mallory', role: 'admin', exp: now + 3600 };
  const valid = await h.token('admin');
  return {
    garbage: 'not-a-jwt',
    'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`,
    'wrong secret': await signJwt(claims, 'another-secret-that-is-long-enough-0123456789'),
    'algorithm not allowed': await signJwt(claims, h.config.jwtSecret, 'HS512'),
    expired: await signJwt({ ...claims, exp: now - 60 }, h.config.jwtSecret),
    'not yet valid': await signJwt({ ...claims, nbf: now + 600 }, h.config.jwtSecret),
    'tampered payload': `${valid.split('.')[0]}.${b64({ ...claims, role: 'admin', sub: 'x' })}.${valid.split('.')[2]}`,
  };
}

/** Tokens, permissions and token expiry on every transport. */
export function authCases(h: () => Harness): void {
  describe('auth', () => {
    const cleanup = useCleanup();

    spec('401 without a token on poll, long poll, SSE and publish', async () => {
      const topic = uniqueTopic();
      for (const route of ['poll', 'long-poll', 'sse']) {
        const res = await fetch(h().route(route, { topics: topic }));
        expect(res.status, route).toBe(401);
        expect(await errorCode(res)).toBe('unauthorized');
      }
      const publish = await fetch(h().route('publish'), {
        method: 'POST',
        body: JSON.stringify({ topic, data: 1 }),
      });
      expect(publish.status).toBe(401);
      await publish.body?.cancel();
    });

    spec('401 for malformed, unsigned, forged, expired and wrong-algorithm tokens', async () => {
      const topic = uniqueTopic();
      for (const [name, token] of Object.entries(await badTokens(h()))) {
        const bearer = { authorization: `Bearer ${token}` };
        const poll = await fetch(h().route('poll', { topics: topic }), { headers: bearer });
        expect(poll.status, name).toBe(401);
        await poll.body?.cancel();
        const sse = await fetch(h().route('sse', { topics: topic }), { headers: bearer });
        expect(sse.status, name).toBe(401);
        await sse.body?.cancel();
        expect((await refusedWs(h().route('ws', { topics: topic }), { headers: bearer })).status, name).toBe(
          401,
        );
      }
    });

    spec('accepts the token as a Bearer header; the token query parameter is off by default', async () => {
      const topic = uniqueTopic();
      const token = await h().token('subscriber');
      const bearer = await fetch(h().route('poll', { topics: topic }), {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(bearer.status).toBe(200);
      await bearer.body?.cancel();
      const query = await fetch(h().route('poll', { topics: topic, token }));
      expect(query.status).toBe(401);
      expect(await errorCode(query)).toBe('unauthorized');
      const ws = await openWs(h().route('ws', { topics: topic }), {
        headers: { authorization: `Bearer ${token}` },
      });
      cleanup(ws.close);
      await ws.waitFor('welcome');
    });

    spec('accepts the token from the configured cookie', async () => {
      const topic = uniqueTopic();
      const cookie = `other=1; ${h().config.tokenCookie ?? 'tidings_token'}=${await h().token('subscriber')}`;
      const poll = await fetch(h().route('poll', { topics: topic }), { headers: { cookie } });
      expect(poll.status).toBe(200);
      await poll.body?.cancel();
      const sse = await openSse(h().route('sse', { topics: topic }), { cookie });
      cleanup(sse.close);
      expect(sse.response.status).toBe(200);
      const ws = await openWs(h().route('ws', { topics: topic }), { headers: { cookie } });
      cleanup(ws.close);
      await ws.waitFor('welcome');
      const wrong = await fetch(h().route('poll', { topics: topic }), {
        headers: { cookie: 'unrelated=abc' },
      });
      expect(wrong.status).toBe(401);
      await wrong.body?.cancel();
    });

    spec(
      '403 for a topic the principal may not subscribe, on every transport; allowed for admin',
      async () => {
        const topic = uniqueTopic('private');
        for (const route of ['poll', 'long-poll', 'sse']) {
          const res = await fetch(h().route(route, { topics: `public,${topic}` }), {
            headers: await h().auth('subscriber'),
          });
          expect(res.status, route).toBe(403);
          expect(await errorCode(res)).toBe('forbidden');
        }
        const refused = await refusedWs(h().route('ws', { topics: topic }), {
          headers: await h().auth('subscriber'),
        });
        expect(refused.status).toBe(403);
        const ws = await openWs(h().route('ws'), { headers: await h().auth('subscriber') });
        cleanup(ws.close);
        ws.send({ type: 'subscribe', topics: [topic] });
        const [error] = await ws.waitFor('error');
        expect(error!.code).toBe('forbidden');
        const admin = await fetch(h().route('poll', { topics: topic }), { headers: await h().auth('admin') });
        expect(admin.status).toBe(200);
        await admin.body?.cancel();
      },
    );

    spec(
      'a refusal names every refused topic and only those: the 403 body, the refused upgrade, the WebSocket error frame',
      async () => {
        const one = uniqueTopic('private');
        const two = uniqueTopic('private');
        const topics = `public,${one},other,${two}`;
        for (const route of ['poll', 'long-poll', 'sse']) {
          const res = await fetch(h().route(route, { topics }), { headers: await h().auth('subscriber') });
          expect(res.status, route).toBe(403);
          const body = (await res.json()) as { error: { code: string; topics?: string[] } };
          expect(body.error, route).toMatchObject({ code: 'forbidden', topics: [one, two] });
        }
        const refused = await refusedWs(h().route('ws', { topics }), {
          headers: await h().auth('subscriber'),
        });
        expect(refused.status).toBe(403);
        expect(JSON.parse(refused.body).error).toMatchObject({ code: 'forbidden', topics: [one, two] });
        // Allowed topics alone pass; on an open socket, a refused subscribe names its topics too.
        const ws = await openWs(h().route('ws', { topics: 'public' }), {
          headers: await h().auth('subscriber'),
        });
        cleanup(ws.close);
        await ws.waitFor('welcome');
        ws.send({ type: 'subscribe', topics: ['other', two] });
        const [error] = await ws.waitFor('error');
        expect(error).toMatchObject({ code: 'forbidden', topics: [two] });
        // A refusal that is not about topics (an origin) names none.
        const origin = await fetch(h().route('poll', { topics: 'public' }), {
          headers: { ...(await h().auth()), origin: 'http://evil.example' },
        });
        expect(origin.status).toBe(403);
        expect(((await origin.json()) as { error: { topics?: string[] } }).error.topics).toBeUndefined();
      },
    );

    spec(
      'a connection whose token expires is ended: WebSocket 4401, SSE close event, long poll answered',
      async () => {
        const topic = uniqueTopic();
        const expiring = () => h().auth('subscriber', { expiresInS: 2 });
        const cursor = await headCursor(h(), topic);
        const ws = await openWs(h().route('ws', { topics: topic }), { headers: await expiring() });
        cleanup(ws.close);
        const sse = await openSse(h().route('sse', { topics: topic }), await expiring());
        cleanup(sse.close);
        const longPoll = fetch(h().route('long-poll', { topics: topic, cursor, timeout: '25' }), {
          headers: await expiring(),
        });
        const [welcome] = await ws.waitFor('welcome');
        expect((await ws.waitForClose()).code).toBe(4401);
        const close = await sse.waitForEvent('close');
        expect(JSON.parse(close.data)).toMatchObject({ code: 'token_expired' });
        await sse.inbox.closed('the expired SSE stream');
        const answer = await longPoll;
        expect(answer.status).toBe(200);
        expect(await answer.json()).toEqual({ events: [], cursor });
        // Coming back with a fresh token and the cursor loses nothing.
        const id = await h().publish(topic, 'while away');
        const again = await openWs(h().route('ws', { topics: topic, cursor: welcome!.cursor as string }), {
          headers: await h().auth('subscriber'),
        });
        cleanup(again.close);
        const [event] = await again.waitFor('event');
        expect(event!.id).toBe(id);
      },
    );
  });

  describe('origin', () => {
    const cleanup = useCleanup();
    const allowed = () => h().config.allowedOrigins?.[0] ?? 'http://allowed.example';

    spec(
      'refuses streams, WebSockets and publishes from origins not in allowedOrigins with 403',
      async () => {
        const topic = uniqueTopic();
        const evil = { origin: 'http://evil.example' };
        const sse = await fetch(h().route('sse', { topics: topic }), {
          headers: { ...(await h().auth()), ...evil },
        });
        expect(sse.status).toBe(403);
        expect(await errorCode(sse)).toBe('forbidden');
        const refused = await refusedWs(h().route('ws', { topics: topic }), {
          headers: { ...(await h().auth()), ...evil },
        });
        expect(refused.status).toBe(403);
        const publish = await fetch(h().route('publish'), {
          method: 'POST',
          headers: { ...(await h().auth('publisher')), ...evil },
          body: JSON.stringify({ topic, data: 1 }),
        });
        expect(publish.status).toBe(403);
        await publish.body?.cancel();
      },
    );

    spec('accepts an allowed origin and requests without one', async () => {
      const topic = uniqueTopic();
      const withOrigin = await openSse(h().route('sse', { topics: topic }), {
        ...(await h().auth()),
        origin: allowed(),
      });
      cleanup(withOrigin.close);
      expect(withOrigin.response.status).toBe(200);
      const ws = await openWs(h().route('ws', { topics: topic }), {
        headers: { ...(await h().auth()), origin: allowed() },
      });
      cleanup(ws.close);
      await ws.waitFor('welcome');
      const id = await h().publish(topic, 'ok');
      expect((await withOrigin.waitForEnvelopes(1))[0]!.id).toBe(id);
      expect((await ws.waitFor('event'))[0]!.id).toBe(id);
    });
  });
}
