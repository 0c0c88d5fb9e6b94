import { afterEach, describe, expect, it } from 'vitest';
import { type Client, type ClientEvents, createClient } from '../src/index.ts';
import { startServer, type TestServer } from './support/server.ts';
import { next, publishMany, waitFor } from './support/wait.ts';

const cleanup: { close(): unknown }[] = [];
afterEach(async () => {
  for (const item of cleanup.splice(0).reverse()) await item.close();
});

type Reconnecting = Parameters<ClientEvents['reconnecting']>[0];

function client(options: Parameters<typeof createClient>[0]): Client {
  const c = createClient({
    sharedConnection: false,
    reconnectDelayMs: 20,
    maxReconnectDelayMs: 50,
    ...options,
  });
  cleanup.push(c);
  return c;
}

describe('retry timing', () => {
  it('honours Retry-After on a 503, then connects on the same transport', async () => {
    let refused = 0;
    const s: TestServer = await startServer({
      routes: (app) =>
        app.get('/realtime/sse', (_req, res, nextRoute) => {
          if (refused++ > 0) return nextRoute();
          res
            .status(503)
            .set('retry-after', '1')
            .json({ error: { code: 'unavailable', message: 'draining' } });
        }),
    });
    cleanup.push(s);
    const c = client({ url: s.url, transports: ['sse', 'long-poll'] });
    const reconnecting: Reconnecting[] = [];
    c.on('reconnecting', (info) => reconnecting.push(info));
    const fallbacks: unknown[] = [];
    c.on('fallback', (info) => fallbacks.push(info));
    const got: string[] = [];
    c.subscribe('a', (_d, e) => got.push(e.id));
    expect(await next(c, 'open')).toEqual({ transport: 'sse' });
    expect(reconnecting).toHaveLength(1);
    expect(reconnecting[0]!.error).toMatchObject({ code: 'unavailable', status: 503 });
    // At least the server's second, plus at most one jittered backoff step.
    expect(reconnecting[0]!.delayMs).toBeGreaterThanOrEqual(1000);
    expect(reconnecting[0]!.delayMs).toBeLessThan(1050);
    expect(fallbacks).toEqual([]);
    const ids = await publishMany(s.hub, 'a', 2);
    await waitFor(() => got.length === 2);
    expect(got).toEqual(ids);
  });

  it("waits the SSE close event's retryMs when the server ends the stream", async () => {
    const s = await startServer({ hub: { sseRetryMs: 700 } });
    cleanup.push(s);
    const c = client({ url: s.url, transports: ['sse'] });
    c.subscribe('a', () => {});
    await next(c, 'open');
    const reconnecting = next(c, 'reconnecting');
    // Shutting the hub down ends the stream with `event: close` {code: unavailable, retryMs: 700}.
    void s.hub.close();
    const info = await reconnecting;
    expect(info.error).toMatchObject({ code: 'unavailable' });
    expect(info.delayMs).toBeGreaterThanOrEqual(700);
    expect(info.delayMs).toBeLessThan(750);
  });
});
