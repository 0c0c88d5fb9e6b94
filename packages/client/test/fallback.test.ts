import { createFaultProxy, type FaultProxy } from '@tidings/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { type Client, type ClientEvents, createClient } from '../src/index.ts';
import { startServer, type TestServer } from './support/server.ts';
import { next, publishMany, waitFor } from './support/wait.ts';

const cleanup: { close(): unknown }[] = [];
afterEach(async () => {
  for (const item of cleanup.splice(0).reverse()) await item.close();
});

async function server(options: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  const s = await startServer(options);
  cleanup.push(s);
  return s;
}

function client(options: Parameters<typeof createClient>[0]): Client {
  const c = createClient({ sharedConnection: false, ...options });
  cleanup.push(c);
  return c;
}

type FallbackInfo = Parameters<ClientEvents['fallback']>[0];

describe('fallback', () => {
  it('WebSocket refused by the server (no upgrade handler) → SSE, and events flow', async () => {
    const s = await server({ ws: false });
    const c = client({ url: s.url });
    const fallbacks: FallbackInfo[] = [];
    c.on('fallback', (info) => fallbacks.push(info));
    const got: string[] = [];
    c.subscribe('a', (_d, e) => got.push(e.id));
    expect(await next(c, 'open')).toEqual({ transport: 'sse' });
    expect(fallbacks).toEqual([
      { from: 'ws', to: 'sse', reason: expect.stringContaining('blocked while HTTP works') },
    ]);
    expect(s.hub.stats().connections).toMatchObject({ ws: 0, sse: 1 });
    const ids = await publishMany(s.hub, 'a', 5);
    await waitFor(() => got.length === 5);
    expect(got).toEqual(ids);
  });

  it('a WebSocket message that is not JSON drops the socket and falls back, without throwing', async () => {
    let garbled = 0;
    const s = await server({
      ws: false,
      attach(http) {
        // Something in between that answers the upgrade but speaks another protocol.
        const wss = new WebSocketServer({ server: http, path: '/realtime/ws' });
        wss.on('connection', (ws) => {
          garbled++;
          ws.send('not json {');
        });
        return wss;
      },
    });
    const c = client({ url: s.url });
    const fallbacks: FallbackInfo[] = [];
    c.on('fallback', (info) => fallbacks.push(info));
    const got: unknown[] = [];
    c.subscribe('a', (data) => got.push(data));
    expect(await next(c, 'open')).toEqual({ transport: 'sse' });
    expect(garbled).toBe(1);
    expect(fallbacks).toEqual([{ from: 'ws', to: 'sse', reason: expect.stringContaining('not JSON') }]);
    await s.hub.publish('a', 'still fine');
    await waitFor(() => got.length === 1);
    expect(got).toEqual(['still fine']);
  });

  describe('SSE behind a proxy that buffers the stream (the fault proxy of @tidings/testing)', () => {
    let proxy: FaultProxy;
    let lift: () => void;

    async function setUp(probeIntervalMs: number) {
      const s = await server();
      proxy = await createFaultProxy({ target: s.url });
      cleanup.push(proxy);
      lift = proxy.buffer({ bytes: Infinity });
      const c = client({
        url: proxy.url,
        transports: ['sse', 'long-poll'],
        openTimeoutMs: 300,
        probeIntervalMs,
      });
      const fallbacks: FallbackInfo[] = [];
      c.on('fallback', (info) => fallbacks.push(info));
      const got: string[] = [];
      c.subscribe('a', (_d, e) => got.push(e.id));
      return { s, c, fallbacks, got };
    }

    it('falls back to long polling, says why, and loses nothing', async () => {
      const { s, c, fallbacks, got } = await setUp(0);
      expect(await next(c, 'open')).toEqual({ transport: 'long-poll' });
      expect(fallbacks).toEqual([
        { from: 'sse', to: 'long-poll', reason: expect.stringMatching(/buffering proxy/) },
      ]);
      const ids = await publishMany(s.hub, 'a', 5);
      await waitFor(() => got.length === 5);
      expect(got).toEqual(ids);
    });

    it('probes back up to SSE once the stream gets through, without a gap or a duplicate', async () => {
      const { s, c, got } = await setUp(200);
      await next(c, 'open');
      expect(c.transport).toBe('long-poll');
      const ids = await publishMany(s.hub, 'a', 3);
      lift();
      const upgraded = next(c, 'open');
      // Events keep coming while the client switches.
      for (let i = 0; i < 20 && c.transport !== 'sse'; i++) {
        ids.push(await s.hub.publish('a', i));
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(await upgraded).toEqual({ transport: 'sse' });
      ids.push(...(await publishMany(s.hub, 'a', 3)));
      await waitFor(() => got.length >= ids.length);
      expect(got).toEqual(ids);
      await waitFor(() => s.hub.stats().connections.total === 1, 5000, 'only the SSE stream left');
      expect(s.hub.stats().connections.sse).toBe(1);
    });
  });

  it('long polling answered 404 → short polling', async () => {
    const s = await server({
      routes: (app) =>
        app.get('/realtime/long-poll', (_req, res) => {
          res.status(404).json({ error: { code: 'not_found', message: 'no such route' } });
        }),
    });
    const c = client({ url: s.url, transports: ['long-poll', 'poll'], pollIntervalMs: 50 });
    const fallbacks: FallbackInfo[] = [];
    c.on('fallback', (info) => fallbacks.push(info));
    const got: string[] = [];
    c.subscribe('a', (_d, e) => got.push(e.id));
    expect(await next(c, 'open')).toEqual({ transport: 'poll' });
    expect(fallbacks).toEqual([{ from: 'long-poll', to: 'poll', reason: expect.stringContaining('404') }]);
    const ids = await publishMany(s.hub, 'a', 3);
    await waitFor(() => got.length === 3);
    expect(got).toEqual(ids);
  });
});
