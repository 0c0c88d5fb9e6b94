import { beforeEach, describe, expect, it } from 'vitest';
import { upgrade } from '../src/adapter.ts';
import { type HubOptions, signJwt } from '../src/index.ts';
import { advance, flush, makeHub, openWs, request, until, useFakeClock } from './support/harness.ts';

beforeEach(useFakeClock);

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
const nowS = () => Math.floor(Date.now() / 1000);
const token = (claims: Record<string, unknown>) => signJwt(claims, SECRET);
const jwtHub = (extra: Partial<HubOptions> = {}) =>
  makeHub({ jwt: { secret: SECRET, leewayMs: 0 }, authorize: (_p, topic) => topic !== 'secret', ...extra });

describe('WebSocket first-message auth (no token in the URL)', () => {
  it('an upgrade without a credential waits: counted, subscribed to nothing, sent nothing, not pinged', async () => {
    const hub = jwtHub({ maxConnections: 1 });
    const socket = await openWs(hub, '?topics=a', { ping: false });
    expect(hub.stats().connections.total).toBe(1);
    expect(hub.stats().topics).toBe(0);
    await hub.publish('a', 'not for the unauthenticated');
    await advance(1000);
    expect(socket.frames).toEqual([]);
    expect(socket.isClosed).toBe(false);
    // It holds its slot: the server is full.
    expect((await upgrade(hub, request('ws?topics=a'))).accepted).toBe(false);
  });

  it('{"type":"auth"} first: welcome, then the URL topics start and events flow', async () => {
    const hub = jwtHub();
    const socket = await openWs(hub, '?topics=a');
    socket.send({ type: 'auth', token: await token({ sub: 'ann', exp: nowS() + 60 }) });
    // Messages sent right behind the auth wait for it, in order.
    socket.send({ type: 'subscribe', topics: ['b'] });
    await until(() => socket.ofType('welcome').length === 1, 'the welcome');
    await flush();
    expect(socket.messages()[0]!.type).toBe('welcome');
    const a = await hub.publish('a', 1);
    const b = await hub.publish('b', 2);
    await flush();
    expect(socket.eventIds()).toEqual([a, b]);
    expect(hub.stats().topics).toBe(2);
  });

  it.each([
    ['a subscribe', { type: 'subscribe', topics: ['a'] }],
    ['a ping', { type: 'ping' }],
    ['not JSON', 'hello'],
    ['an auth without token', { type: 'auth' }],
  ])('anything else first (%s) closes 4401 unauthorized', async (_name, first) => {
    const hub = jwtHub();
    const socket = await openWs(hub, '?topics=a');
    socket.send(first);
    await flush();
    expect(socket.closed).toEqual({ code: 4401, reason: 'unauthorized' });
    expect(socket.frames).toEqual([]);
    expect(hub.stats().connections.total).toBe(0);
  });

  it('a binary first frame closes 4401', async () => {
    const hub = jwtHub();
    const socket = await openWs(hub, '?topics=a');
    socket.handlers!.message('{"type":"auth","token":"x"}', true);
    await flush();
    expect(socket.closed).toEqual({ code: 4401, reason: 'unauthorized' });
  });

  it('no message before authTimeoutMs closes 4401, on the hub ticker', async () => {
    const hub = jwtHub({ authTimeoutMs: 3000, tickMs: 100 });
    const socket = await openWs(hub, '?topics=a');
    await advance(2800);
    expect(socket.isClosed).toBe(false);
    await advance(400);
    expect(socket.closed).toEqual({ code: 4401, reason: 'unauthorized' });
    await flush();
    expect(hub.stats().connections.total).toBe(0);
  });

  it('a bad, expired or forged token in the auth message closes 4401, never echoing it', async () => {
    const hub = jwtHub();
    for (const bad of [
      'garbage',
      await token({ sub: 'ann', exp: nowS() - 5 }),
      await signJwt({ sub: 'ann' }, 'another-secret-that-is-32-bytes-or-more'),
    ]) {
      const socket = await openWs(hub, '?topics=a');
      socket.send({ type: 'auth', token: bad });
      await until(() => socket.isClosed, 'the close');
      expect(socket.closed).toEqual({ code: 4401, reason: 'unauthorized' });
      expect(socket.frames.join('')).not.toContain(bad);
    }
  });

  it('a URL topic the principal may not subscribe closes with forbidden (1008) after the auth message', async () => {
    const hub = jwtHub();
    const socket = await openWs(hub, '?topics=a,secret');
    socket.send({ type: 'auth', token: await token({ sub: 'ann' }) });
    await until(() => socket.isClosed, 'the close');
    expect(socket.closed).toEqual({ code: 1008, reason: 'forbidden' });
    expect(socket.ofType('welcome')).toEqual([]);
  });

  it('the per-user limit applies once the socket says who it is', async () => {
    const hub = jwtHub({ maxConnectionsPerUser: 1 });
    const ann = await token({ sub: 'ann' });
    await openWs(hub, '?topics=a', { init: { headers: { authorization: `Bearer ${ann}` } } });
    const second = await openWs(hub, '?topics=a');
    second.send({ type: 'auth', token: ann });
    await until(() => second.isClosed, 'the close');
    expect(second.closed).toEqual({ code: 1013, reason: 'too_many_connections' });
    const bob = await openWs(hub, '?topics=a');
    bob.send({ type: 'auth', token: await token({ sub: 'bob' }) });
    await until(() => bob.ofType('welcome').length === 1, 'the welcome');
  });

  it('on an anonymous hub without a token scheme a bare socket starts at once, as before', async () => {
    const hub = makeHub({ anonymous: true });
    const socket = await openWs(hub, '?topics=a');
    expect(socket.ofType('welcome')).toHaveLength(1);
  });

  it('with authenticate: a session cookie starts at once; without it the auth message token is passed to authenticate', async () => {
    const seen: (string | undefined)[] = [];
    const hub = makeHub({
      authenticate: (request, tok) => {
        seen.push(tok);
        if (request.headers.get('cookie') === 'sid=ok') return { id: 'cookie-user' };
        return tok === 'app-token' ? { id: 'token-user' } : null;
      },
    });
    const withCookie = await openWs(hub, '?topics=a', { init: { headers: { cookie: 'sid=ok' } } });
    expect(withCookie.ofType('welcome')).toHaveLength(1);
    const bare = await openWs(hub, '?topics=a');
    expect(bare.frames).toEqual([]);
    bare.send({ type: 'auth', token: 'app-token' });
    await until(() => bare.ofType('welcome').length === 1, 'the welcome');
    const refused = await openWs(hub, '?topics=a');
    refused.send({ type: 'auth', token: 'wrong' });
    await until(() => refused.isClosed, 'the close');
    expect(refused.closed).toEqual({ code: 4401, reason: 'unauthorized' });
    expect(seen).toEqual([undefined, undefined, 'app-token', undefined, 'wrong']);
  });
});

describe('in-band refresh on an open WebSocket', () => {
  it('moves the expiry: the socket outlives its first token with no reconnect and no replay', async () => {
    // Slow heartbeats: this fake peer never answers pings, and only the token should end it.
    const hub = jwtHub({ tickMs: 100, heartbeatMs: 300_000, sseHeartbeatMs: 300_000 });
    const socket = await openWs(hub, '?topics=a', {
      init: { headers: { authorization: `Bearer ${await token({ sub: 'ann', exp: nowS() + 10 })}` } },
    });
    const before = await hub.publish('a', 'before');
    await flush();
    await advance(8000);
    const fresh = nowS() + 60;
    socket.send({ type: 'auth', token: await token({ sub: 'ann', exp: fresh }) });
    await until(() => socket.ofType('authenticated').length === 1, 'authenticated');
    expect(socket.ofType('authenticated')[0]).toEqual({ type: 'authenticated', expiresAt: fresh * 1000 });
    await advance(5000);
    expect(socket.isClosed).toBe(false);
    const after = await hub.publish('a', 'after');
    await flush();
    expect(socket.eventIds()).toEqual([before, after]);
    expect(socket.ofType('welcome')).toHaveLength(1);
    await advance(60_000);
    expect(socket.closed).toEqual({ code: 4401, reason: 'token_expired' });
  });

  it('a token without exp answers expiresAt null', async () => {
    const hub = jwtHub();
    const socket = await openWs(hub, '?topics=a', {
      init: { headers: { authorization: `Bearer ${await token({ sub: 'ann', exp: nowS() + 10 })}` } },
    });
    socket.send({ type: 'auth', token: await token({ sub: 'ann' }) });
    await until(() => socket.ofType('authenticated').length === 1, 'authenticated');
    expect(socket.ofType('authenticated')[0]!.expiresAt).toBeNull();
  });

  it('a token for another principal, or a bad one, closes 4401', async () => {
    const hub = jwtHub();
    for (const next of [await token({ sub: 'bob' }), 'garbage']) {
      const socket = await openWs(hub, '?topics=a', {
        init: { headers: { authorization: `Bearer ${await token({ sub: 'ann' })}` } },
      });
      socket.send({ type: 'auth', token: next });
      await until(() => socket.isClosed, 'the close');
      expect(socket.closed).toEqual({ code: 4401, reason: 'unauthorized' });
      expect(socket.ofType('authenticated')).toEqual([]);
    }
  });

  it('topics are authorized again with the new claims', async () => {
    const hub = jwtHub({
      authorize: (principal, topic) => topic !== 'vip' || principal.claims?.vip === true,
    });
    const socket = await openWs(hub, '?topics=vip', {
      init: { headers: { authorization: `Bearer ${await token({ sub: 'ann', vip: true })}` } },
    });
    socket.send({ type: 'auth', token: await token({ sub: 'ann', vip: false }) });
    await until(() => socket.isClosed, 'the close');
    expect(socket.closed).toEqual({ code: 1008, reason: 'forbidden' });
  });
});
