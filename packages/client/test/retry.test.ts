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
    const s = await startServer({ hub: { drainSpreadMs: 3000 } });
    cleanup.push(s);
    // The stream as the server sent it, read beside the client.
    let seen = '';
    const c = client({
      url: s.url,
      transports: ['sse'],
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (!String(input).includes('/sse') || !response.body) return response;
        const [mine, theirs] = response.body.tee();
        void (async () => {
          const decoder = new TextDecoder();
          for await (const chunk of theirs as unknown as AsyncIterable<Uint8Array>) {
            seen += decoder.decode(chunk, { stream: true });
          }
        })().catch(() => {});
        return new Response(mine, response);
      },
    });
    c.subscribe('a', () => {});
    await next(c, 'open');
    const reconnecting = next(c, 'reconnecting');
    // Shutting the hub down ends the stream with `event: close` {code: unavailable, retryMs: <its own>}.
    void s.hub.close();
    const info = await reconnecting;
    const retryMs = Number(/"retryMs":(\d+)/.exec(seen)?.[1]);
    expect(info.error).toMatchObject({ code: 'unavailable' });
    expect(info.delayMs).toBeGreaterThanOrEqual(retryMs);
    // Plus at most one jittered backoff step.
    expect(info.delayMs).toBeLessThan(retryMs + 20);
  });

  it("waits the delay of a closing server's WebSocket close message, before the 1001", async () => {
    const s = await startServer({ hub: { drainSpreadMs: 3000 } });
    cleanup.push(s);
    const told: number[] = [];
    class Watching extends WebSocket {
      constructor(url: string | URL) {
        super(url);
        this.addEventListener('message', (e) => {
          const message = JSON.parse(String(e.data));
          if (message.type === 'close') told.push(message.retryMs);
        });
      }
    }
    const c = client({ url: s.url, transports: ['ws'], WebSocket: Watching });
    c.subscribe('a', () => {});
    await next(c, 'open');
    const reconnecting = next(c, 'reconnecting');
    void s.hub.close();
    const info = await reconnecting;
    expect(told).toHaveLength(1);
    expect(info.error).toMatchObject({ code: 'unavailable' });
    expect(info.delayMs).toBeGreaterThanOrEqual(told[0]!);
    expect(info.delayMs).toBeLessThan(told[0]! + 20);
  });

  it("a long poll answered by a closing server polls again after the answer's retryMs", async () => {
    const s = await startServer({ hub: { drainSpreadMs: 1500 } });
    cleanup.push(s);
    const polls: { at: number; retryMs?: number }[] = [];
    const c = client({
      url: s.url,
      transports: ['long-poll'],
      fetch: async (input, init) => {
        const entry: { at: number; retryMs?: number } = { at: performance.now() };
        polls.push(entry);
        const response = await fetch(input, init);
        if (response.ok) entry.retryMs = ((await response.clone().json()) as { retryMs?: number }).retryMs;
        return response;
      },
    });
    c.subscribe('a', () => {});
    await next(c, 'open');
    // The first poll asks for no wait; the second one is held.
    await waitFor(() => s.hub.stats().connections.longPoll === 1);
    const answeredAt = performance.now();
    const reconnecting = next(c, 'reconnecting');
    void s.hub.close();
    await reconnecting;
    const drained = polls.find((p) => p.retryMs !== undefined)!;
    const after = polls.at(-1)!;
    expect(drained).not.toBe(after);
    // Timers never fire early: the next poll left no sooner than the server said.
    expect(after.at - answeredAt).toBeGreaterThanOrEqual(drained.retryMs! - 5);
  });
});
