import { afterEach, describe, expect, it } from 'vitest';
import {
  ClientError,
  type ClientOptions,
  createClient,
  type ResetInfo,
  type TransportName,
} from '../src/index.ts';
import { startServer, type TestServer } from './support/server.ts';
import { waitFor } from './support/wait.ts';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function server(options: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  const s = await startServer(options);
  open.push(s);
  return s;
}

function client(options: ClientOptions) {
  const c = createClient({ sharedConnection: false, ...options });
  open.push(c);
  return c;
}

const settled = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => error,
  );

describe('ready()', () => {
  it('waits for the first open, resolves at once while open, and again after a reconnect', async () => {
    const s = await server();
    const c = client({ url: s.url, reconnectDelayMs: 20 });
    let done = false;
    const first = c.ready().then(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    // No topic yet: the client is idle and not connecting.
    expect(done).toBe(false);
    expect(c.status).toBe('idle');
    c.subscribe('a', () => {});
    await first;
    expect(c.status).toBe('open');
    expect(await settled(c.ready())).toBe('resolved');
    await s.stop();
    await waitFor(() => c.status === 'reconnecting');
    const again = c.ready();
    await s.start();
    await again;
    expect(c.status).toBe('open');
  });

  it('rejects with the terminal error when the client stops before opening', async () => {
    const s = await server({
      hub: { anonymous: false, jwt: { secret: 'a-test-secret-that-is-at-least-32-bytes-long' } },
    });
    const c = client({ url: s.url, token: 'not-a-jwt', topics: ['a'] });
    const error = await settled(c.ready());
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ code: 'unauthorized', status: 401 });
    expect(c.status).toBe('closed');
  });
});

describe('close() is final', () => {
  it('pending ready() rejects; subscribe throws, publish and ready reject, all with ClientError closed', async () => {
    const s = await server();
    const c = client({ url: s.url });
    const pending = c.ready();
    c.close();
    for (const error of [
      await settled(pending),
      await settled(c.ready()),
      await settled(c.publish('a', 1)),
    ]) {
      expect(error).toBeInstanceOf(ClientError);
      expect(error).toMatchObject({ code: 'closed' });
    }
    expect(() => c.subscribe('a', () => {})).toThrow(expect.objectContaining({ code: 'closed' }));
    expect(c.status).toBe('closed');
    // Nothing reconnects behind the app's back.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(s.hub.stats().connections.total).toBe(0);
  });
});

describe.each(['ws', 'sse', 'long-poll'] as TransportName[])('%s: onReset per subscription', (transport) => {
  it('a reset of one topic reaches its subscriptions only; a reset of all reaches every one', async () => {
    const s = await server({ hub: { retentionByTopic: { b: { count: 2 } } } });
    const cursor = await s.hub.publish('x', 'before');
    // While the client was away: `b` loses events (2 kept of 5), `a` keeps its one.
    await s.hub.publish('a', 1);
    for (let i = 0; i < 5; i++) await s.hub.publish('b', i);
    const c = client({ url: s.url, transports: [transport], cursor });
    const resets: Record<string, ResetInfo[]> = { a: [], b: [], all: [] };
    const got: string[] = [];
    c.subscribe('a', (d) => got.push(`a${d}`), { onReset: (info) => resets.a!.push(info) });
    c.subscribe('b', (d) => got.push(`b${d}`), { onReset: (info) => resets.b!.push(info) });
    c.on('reset', (info) => resets.all!.push(info));
    await waitFor(() => got.length === 3, 5000, 'what is retained');
    expect(got).toEqual(['a1', 'b3', 'b4']);
    expect(resets.a).toEqual([]);
    expect(resets.b).toEqual([{ cursor: expect.any(String), topics: ['b'] }]);
    expect(resets.all).toEqual(resets.b);

    const foreign = client({ url: s.url, transports: [transport], cursor: 'zzzzforeign0-3' });
    const each: string[] = [];
    foreign.subscribe('a', () => {}, { onReset: (info) => each.push(`a:${info.topics ?? 'all'}`) });
    foreign.subscribe('b', () => {}, { onReset: (info) => each.push(`b:${info.topics ?? 'all'}`) });
    // A cursor of another epoch: a full reset to the start of this one, after which `b` (trimmed in
    // this epoch too) is also reset on its own as its retained events follow.
    await waitFor(() => each.length >= 3, 5000, 'the full reset');
    expect(each.sort()).toEqual(['a:all', 'b:all', 'b:b']);
  });
});
