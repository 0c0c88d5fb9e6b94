import { afterEach, describe, expect, it } from 'vitest';
import type { ClientOptions, ResetInfo, TransportName } from '../src/index.ts';
import {
  type ClientSetup,
  RUNTIMES,
  type Runtime,
  startClient,
  type TestClient,
} from './support/runtimes.ts';
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

/** A client in `runtime` (its errors arrive as plain data: `isClientError` is `instanceof ClientError` there). */
async function client(runtime: Runtime, options: ClientOptions, setup?: ClientSetup): Promise<TestClient> {
  const c = await startClient(runtime, options, setup);
  open.push(c);
  return c;
}

const settled = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => error,
  );

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(RUNTIMES)('%s: ready()', (runtime) => {
  it('waits for the first open, resolves at once while open, and again after a reconnect', async () => {
    const s = await server();
    const c = await client(runtime, { url: s.url, reconnectDelayMs: 20 });
    let done = false;
    const first = c.ready().then(() => {
      done = true;
    });
    // Commands run in order: once `state` answers, `ready()` was called; then 50 ms pass.
    await c.state();
    await sleep(50);
    expect(done).toBe(false);
    // No topic yet: the client is idle and not connecting.
    expect((await c.state()).status).toBe('idle');
    expect(done).toBe(false);
    await c.subscribe('a');
    await first;
    // The status when ready() resolved (it comes with the answer).
    expect(c.status).toBe('open');
    expect(await settled(c.ready())).toBe('resolved');
    await s.stop();
    await waitFor(() => c.status === 'reconnecting');
    const again = c.ready();
    // Called while the server is down: it can only resolve at the next open.
    expect((await c.state()).status).not.toBe('open');
    await s.start();
    await again;
    expect(c.status).toBe('open');
  });

  it('rejects with the terminal error when the client stops before opening', async () => {
    const s = await server({
      hub: { anonymous: false, jwt: { secret: 'a-test-secret-that-is-at-least-32-bytes-long' } },
    });
    // ready() in the same turn as createClient, as an app would call it.
    const c = await client(
      runtime,
      { url: s.url, token: 'not-a-jwt', topics: ['a'] },
      { readyAtStart: true },
    );
    const error = await settled(c.readyAtStart!);
    expect(error).toMatchObject({ isClientError: true, code: 'unauthorized', status: 401 });
    expect((await c.state()).status).toBe('closed');
  });
});

describe.each(RUNTIMES)('%s: close() is final', (runtime) => {
  it('pending ready() rejects; subscribe throws, publish and ready reject, all with ClientError closed', async () => {
    const s = await server();
    const c = await client(runtime, { url: s.url });
    const pending = c.call({ method: 'ready' });
    expect(await c.call({ method: 'close' })).toEqual({ how: 'returned' });
    const closed = {
      how: 'rejected',
      error: expect.objectContaining({ isClientError: true, code: 'closed' }),
    };
    // Each a promise that rejects, not a throw.
    expect(await pending).toEqual(closed);
    expect(await c.call({ method: 'ready' })).toEqual(closed);
    expect(await c.call({ method: 'publish', topic: 'a', data: 1 })).toEqual(closed);
    // subscribe throws at once.
    await expect(c.subscribe('a')).rejects.toMatchObject({
      outcome: { how: 'threw', error: { isClientError: true, code: 'closed' } },
    });
    expect((await c.state()).status).toBe('closed');
    // Nothing reconnects behind the app's back.
    await sleep(100);
    expect(s.hub.stats().connections.total).toBe(0);
  });
});

describe.each(
  RUNTIMES.flatMap((runtime) =>
    (['ws', 'sse', 'long-poll'] as TransportName[]).map((t) => [runtime, t] as const),
  ),
)('%s %s: onReset per subscription', (runtime, transport) => {
  it('a reset of one topic reaches its subscriptions only; a reset of all reaches every one', async () => {
    const s = await server({ hub: { retentionByTopic: { b: { count: 2 } } } });
    const cursor = await s.hub.publish('x', 'before');
    // While the client was away: `b` loses events (2 kept of 5), `a` keeps its one.
    await s.hub.publish('a', 1);
    for (let i = 0; i < 5; i++) await s.hub.publish('b', i);
    const c = await client(runtime, { url: s.url, transports: [transport], cursor });
    const resets: Record<string, ResetInfo[]> = { a: [], b: [], all: [] };
    const got: string[] = [];
    c.on('reset', ((info: ResetInfo) => resets.all!.push(info)) as never);
    await c.subscribeTogether([
      { topic: 'a', onData: (d) => got.push(`a${d}`), onReset: (info) => resets.a!.push(info) },
      { topic: 'b', onData: (d) => got.push(`b${d}`), onReset: (info) => resets.b!.push(info) },
    ]);
    await waitFor(() => got.length === 3, 5000, 'what is retained');
    expect(got).toEqual(['a1', 'b3', 'b4']);
    expect(resets.a).toEqual([]);
    expect(resets.b).toEqual([{ cursor: expect.any(String), topics: ['b'] }]);
    expect(resets.all).toEqual(resets.b);

    const foreign = await client(runtime, { url: s.url, transports: [transport], cursor: 'zzzzforeign0-3' });
    const each: string[] = [];
    await foreign.subscribeTogether([
      { topic: 'a', onReset: (info) => each.push(`a:${info.topics ?? 'all'}`) },
      { topic: 'b', onReset: (info) => each.push(`b:${info.topics ?? 'all'}`) },
    ]);
    // A cursor of another epoch: a full reset to the start of this one, after which `b` (trimmed in
    // this epoch too) is also reset on its own as its retained events follow.
    await waitFor(() => each.length >= 3, 5000, 'the full reset');
    expect(each.sort()).toEqual(['a:all', 'b:all', 'b:b']);
  });
});
