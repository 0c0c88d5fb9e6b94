import { signJwt } from '@tidings/core';
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
      jwt: { secret, leewayS: 0 },
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
  it('a token that expires mid-stream (401 / 4401 / SSE close) → getToken() → resumes, nothing lost', async () => {
    const s = await jwtServer();
    const transports: TransportName[] = ['ws', 'sse', 'long-poll'];
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
      // WebSocket: close 4401; SSE: a `close` event; long poll: the next request's 401.
      expect(codes.get(t), t).toContain(t === 'long-poll' ? 'unauthorized' : 'token_expired');
      await waitFor(() => got.get(t)!.length >= ids.length, 5000, t);
      expect(got.get(t), t).toEqual(ids);
    }
    for (const c of clients) expect(c.status).toBe('open');
  });

  it('a refused first token (401 before the WebSocket upgrade) → getToken() again → opens on WebSocket', async () => {
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

  it('403 is terminal even with getToken', async () => {
    const s = await jwtServer();
    let calls = 0;
    const c = client({
      url: s.url,
      getToken: () => {
        calls++;
        return tokenFor(60);
      },
    });
    c.subscribe('secret', () => {});
    const { error } = await next(c, 'closed');
    expect(error).toMatchObject({ code: 'forbidden', status: 403 });
    expect(calls).toBe(1);
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
