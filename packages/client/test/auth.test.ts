import { signJwt } from '@tidings/core';
import { createFaultProxy } from '@tidings/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type Client, ClientError, createClient, type TransportName } from '../src/index.ts';
import { startServer, type TestServer } from './support/server.ts';
import { next, publishMany, waitFor } from './support/wait.ts';

const secret = 'a-test-secret-that-is-at-least-32-bytes-long';
const cleanup: { close(): unknown }[] = [];
afterEach(async () => {
  for (const item of cleanup.splice(0).reverse()) await item.close();
});

async function jwtServer(): Promise<TestServer> {
  const s = await startServer({
    hub: {
      anonymous: false,
      jwt: { secret, leewayMs: 0 },
      tickMs: 50,
      authorize: (_principal, topic) => topic !== 'secret',
    },
  });
  cleanup.push(s);
  return s;
}

/** A token for `user` that expires `seconds` from now (JWT `exp` has whole seconds). */
const tokenFor = (seconds: number) =>
  signJwt({ sub: 'user', exp: Math.floor(Date.now() / 1000) + seconds }, secret);

function client(options: Parameters<typeof createClient>[0]): Client {
  const c = createClient({
    sharedConnection: false,
    reconnectDelayMs: 20,
    maxReconnectDelayMs: 100,
    ...options,
  });
  cleanup.push(c);
  return c;
}

describe('auth', () => {
  it('a token that expires mid-stream (401 / SSE close) → getToken() → resumes, nothing lost', async () => {
    const s = await jwtServer();
    const transports: TransportName[] = ['sse', 'long-poll'];
    const calls = new Map<TransportName, number>();
    const got = new Map<TransportName, string[]>();
    const codes = new Map<TransportName, string[]>();
    const clients = transports.map((transport) => {
      calls.set(transport, 0);
      got.set(transport, []);
      codes.set(transport, []);
      const c = client({
        url: s.url,
        transports: [transport],
        getToken: () => {
          calls.set(transport, calls.get(transport)! + 1);
          // Whole seconds: this token lives between 1 and 2 s.
          return tokenFor(2);
        },
      });
      c.subscribe('a', (_d, e) => got.get(transport)!.push(e.id));
      c.on('reconnecting', ({ error }) => codes.get(transport)!.push(error.code));
      return c;
    });
    await Promise.all(clients.map((c) => next(c, 'open')));
    const ids: string[] = [];
    // Publish steadily until every client has had to refresh its token at least once (bounded).
    for (let i = 0; i < 200 && transports.some((t) => calls.get(t)! < 2); i++) {
      ids.push(await s.hub.publish('a', i));
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    ids.push(...(await publishMany(s.hub, 'a', 3)));
    for (const t of transports) {
      expect(calls.get(t), t).toBeGreaterThanOrEqual(2);
      // SSE: a `close` event; long poll: the next request's 401.
      expect(codes.get(t), t).toContain(t === 'long-poll' ? 'unauthorized' : 'token_expired');
      await waitFor(() => got.get(t)!.length >= ids.length, 5000, t);
      expect(got.get(t), t).toEqual(ids);
    }
    for (const c of clients) expect(c.status).toBe('open');
  });

  it('WebSocket: a JWT from getToken is renewed in band at 80 % of its life; the socket stays open past its expiry, nothing lost', async () => {
    const s = await jwtServer();
    const expiries: number[] = [];
    const c = client({
      url: s.url,
      transports: ['ws'],
      getToken: () => {
        // Whole seconds: each token lives between 9 and 10 s, renewed 1.8 s or more before it ends
        // (a generous margin on a busy machine).
        const exp = Math.floor(Date.now() / 1000) + 10;
        expiries.push(exp * 1000);
        return signJwt({ sub: 'user', exp }, secret);
      },
    });
    const got: string[] = [];
    c.subscribe('a', (_d, e) => got.push(e.id));
    const reconnects: string[] = [];
    c.on('reconnecting', ({ error }) => reconnects.push(error.code));
    await next(c, 'open');
    const ids: string[] = [];
    // Publish steadily until well past the first token's expiry (bounded).
    for (let i = 0; i < 800 && (expiries.length < 2 || Date.now() < expiries[0]! + 500); i++) {
      ids.push(await s.hub.publish('a', i));
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(Date.now()).toBeGreaterThanOrEqual(expiries[0]! + 500);
    expect(expiries.length).toBeGreaterThanOrEqual(2);
    await waitFor(() => got.length === ids.length, 5000, 'every event');
    expect(got).toEqual(ids);
    // One socket all along: no reconnect, one upgrade, still open.
    expect(reconnects).toEqual([]);
    expect(s.requests.filter((url) => url.startsWith('/realtime/ws'))).toHaveLength(1);
    expect(s.hub.stats().connections.total).toBe(1);
    expect(c.status).toBe('open');
  });

  it('WebSocket: a renewal that fails is left to the server: close 4401 at expiry, a fresh token, resumed, nothing lost', async () => {
    const s = await jwtServer();
    let calls = 0;
    const c = client({
      url: s.url,
      transports: ['ws'],
      getToken: () => {
        calls++;
        if (calls === 2) throw new Error('token service down');
        return tokenFor(calls === 1 ? 2 : 60);
      },
    });
    const got: string[] = [];
    c.subscribe('a', (_d, e) => got.push(e.id));
    const codes: string[] = [];
    c.on('reconnecting', ({ error }) => codes.push(error.code));
    await next(c, 'open');
    const ids: string[] = [];
    for (let i = 0; i < 200 && calls < 3; i++) {
      ids.push(await s.hub.publish('a', i));
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    ids.push(...(await publishMany(s.hub, 'a', 3)));
    expect(calls).toBe(3);
    expect(codes).toEqual(['token_expired']);
    await waitFor(() => got.length === ids.length, 5000, 'every event');
    expect(got).toEqual(ids);
    expect(c.status).toBe('open');
  });

  it('no token in any URL: headers and the WebSocket first message carry it, on all four transports, fixed or from getToken', async () => {
    const s = await jwtServer();
    // What goes over the wire, as a proxy in between sees it: the server logs each request line it gets.
    const proxy = await createFaultProxy({ target: s.url });
    cleanup.push(proxy);
    const token = await tokenFor(60);
    const transports: TransportName[] = ['ws', 'sse', 'long-poll', 'poll'];
    for (const transport of transports) {
      for (const given of [{ token }, { getToken: () => token }]) {
        const c = client({ url: proxy.url, transports: [transport], pollIntervalMs: 50, ...given });
        const got: string[] = [];
        c.subscribe('a', (_d, e) => got.push(e.id));
        await next(c, 'open');
        const id = await c.publish('a', transport);
        await waitFor(() => got.includes(id), 5000, `${transport}: its own event`);
        c.close();
      }
    }
    const routes = new Set(s.requests.map((url) => /^\/realtime\/([\w-]+)/.exec(url)?.[1]));
    // Every route was used (the WebSocket's publish goes over the socket, the others' over POST).
    for (const route of ['ws', 'sse', 'long-poll', 'poll', 'publish']) expect(routes).toContain(route);
    for (const url of s.requests) {
      expect(url).not.toContain(token);
      expect(url).not.toMatch(/[?&](token|access_token)=/);
    }
  });

  it('a refused first token (4401 after the WebSocket first message) → getToken() again → opens on WebSocket', async () => {
    const s = await jwtServer();
    const tokens = ['not-a-jwt', await tokenFor(60)];
    let calls = 0;
    const c = client({ url: s.url, getToken: () => tokens[calls++]! });
    const got: string[] = [];
    c.subscribe('a', (_d, e) => got.push(e.id));
    expect(await next(c, 'open')).toEqual({ transport: 'ws' });
    expect(calls).toBe(2);
    const ids = await publishMany(s.hub, 'a', 3);
    await waitFor(() => got.length === 3);
    expect(got).toEqual(ids);
  });

  it('401 with no way to refresh is terminal: closed with the error, no retries', async () => {
    const s = await jwtServer();
    const c = client({ url: s.url, token: 'not-a-jwt' });
    const errors: ClientError[] = [];
    c.on('error', (e) => errors.push(e));
    let reconnects = 0;
    c.on('reconnecting', () => reconnects++);
    c.subscribe('a', () => {});
    const { error } = await next(c, 'closed');
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ code: 'unauthorized', status: 401 });
    expect(errors).toEqual([error]);
    expect(reconnects).toBe(0);
    expect(c.status).toBe('closed');
    expect(s.hub.stats().connections.total).toBe(0);
  });

  it('a forbidden topic is refused alone, with no new token asked for; the client stays up for the others', async () => {
    const s = await jwtServer();
    let calls = 0;
    const c = client({
      url: s.url,
      getToken: () => {
        calls++;
        return tokenFor(60);
      },
    });
    const refusals: ClientError[] = [];
    c.subscribe('secret', () => {}, { onError: (e) => refusals.push(e) });
    const error = await next(c, 'error');
    expect(error).toMatchObject({ code: 'forbidden', status: 403, topic: 'secret' });
    expect(refusals).toEqual([error]);
    expect(calls).toBe(1);
    expect(c.status).not.toBe('closed');
    const got: string[] = [];
    c.subscribe('a', (_d, e) => got.push(e.id));
    await next(c, 'open');
    const ids = await publishMany(s.hub, 'a', 2);
    await waitFor(() => got.length === 2);
    expect(got).toEqual(ids);
  });

  it('an HTTP publish answered 401 gets a new token and is sent again', async () => {
    const s = await jwtServer();
    const tokens = ['stale', await tokenFor(60)];
    let calls = 0;
    const c = client({ url: s.url, getToken: () => tokens[calls++]! });
    const id = await c.publish('a', { text: 'hi' });
    expect(calls).toBe(2);
    expect(s.hub.stats().published).toBe(1);
    expect(typeof id).toBe('string');
  });
});
