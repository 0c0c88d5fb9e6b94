import { createRecorder } from '@tidings/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientOptions } from '../src/index.ts';
import { HEARTBEAT_MS, publishSlowly, type Rig, startRig } from './support/rig.ts';
import {
  type ClientSetup,
  type Logged,
  RUNTIMES,
  type Runtime,
  startClient,
  type TestClient,
} from './support/runtimes.ts';
import { publishMany, waitFor } from './support/wait.ts';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function rig(options: Parameters<typeof startRig>[0] = {}): Promise<Rig> {
  const r = await startRig(options);
  open.push(r);
  return r;
}

const LOGGED = ['open', 'fallback', 'reconnecting', 'reset'];

/** A client in `runtime`; `log()` is what it reported of LOGGED, `atMs` on its own clock since it was created. */
async function client(runtime: Runtime, options: ClientOptions, setup: ClientSetup = {}) {
  const c = await startClient(runtime, { topics: ['a'], reconnectDelayMs: 50, ...options }, setup);
  open.push(c);
  const recorder = createRecorder();
  recorder.attach(c as never);
  const log = (): Logged[] => c.log.filter((l) => LOGGED.includes(l.name));
  return { c, recorder, log };
}

/** Resolves once the client is open on `transport` (now or later). */
const openOn = (c: TestClient, transport: string, timeoutMs = 15_000) =>
  waitFor(() => c.status === 'open' && c.transport === transport, timeoutMs, `open on ${transport}`);

describe.each(RUNTIMES)('%s', (runtime) => {
  describe("SSE behind a proxy's own answers (item 3)", () => {
    it('a gateway that answers 504 after 3 s: SSE is left after two, short of a third; events flow on long polling; SSE again once it passes', async () => {
      const r = await rig();
      const lift = r.proxy.status('sse', 504, { delayMs: 3000 });
      const { c, recorder, log } = await client(runtime, {
        url: r.url,
        transports: ['sse', 'long-poll'],
        probeIntervalMs: 1000,
      });
      const fallback = await c.next('fallback', 15_000, 0);
      expect(fallback.arg).toMatchObject({ from: 'sse', to: 'long-poll', reason: 'HTTP 504' });
      // What the client reported up to the fallback (reports arrive in the order it made them).
      const reconnects = c.log.slice(0, c.log.indexOf(fallback)).filter((l) => l.name === 'reconnecting');
      expect(reconnects).toHaveLength(1);
      expect(reconnects[0]!.arg).toMatchObject({ error: { status: 504, code: 'bad_response' } });
      await openOn(c, 'long-poll');
      // Two 3 s answers, one short backoff between them, a margin for a busy machine.
      expect(log().find((l) => l.name === 'open')!.atMs).toBeLessThan(2 * 3000 + 50 + 3000);
      const ids = await publishSlowly(r.server, 'a', 30, 20);
      await recorder.waitFor(30);
      expect(r.proxy.stats().faults.answeredByRoute.sse).toBeGreaterThanOrEqual(2);

      lift();
      // A probe in flight still waits out its 504; the next one (the interval doubled after each failed probe) gets through.
      await openOn(c, 'sse', 20_000);
      ids.push(...(await publishMany(r.server.hub, 'a', 3, 30)));
      await recorder.waitFor(33);
      recorder.assertComplete(ids, { allowResets: false });
    }, 40_000);

    it("a web filter's HTML 403 page: SSE is left at once (the client does not close), then taken again once it passes", async () => {
      const r = await rig();
      const lift = r.proxy.status('sse', '403-html');
      const { c, recorder } = await client(runtime, {
        url: r.url,
        transports: ['sse', 'long-poll'],
        probeIntervalMs: 300,
      });
      expect((await c.next('fallback', 10_000, 0)).arg).toMatchObject({
        from: 'sse',
        to: 'long-poll',
        reason: 'HTTP 403',
      });
      await openOn(c, 'long-poll');
      const ids = await publishMany(r.server.hub, 'a', 5);
      await recorder.waitFor(5);
      lift();
      await openOn(c, 'sse');
      ids.push(...(await publishMany(r.server.hub, 'a', 3, 5)));
      await recorder.waitFor(8);
      recorder.assertComplete(ids, { allowResets: false });
      expect((await c.state()).status).toBe('open');
    });
  });

  describe('buffering and slow links (items 4 and 5)', () => {
    it('a proxy that starts buffering an open SSE stream: heartbeats stop, the stream is dropped, long polling takes over, nothing lost', async () => {
      const r = await rig();
      const { c, recorder, log } = await client(runtime, {
        url: r.url,
        transports: ['sse', 'long-poll'],
        openTimeoutMs: 1000,
        probeIntervalMs: 0,
      });
      await openOn(c, 'sse');
      // Busy at first: 200 events at 200/s pass unbuffered.
      const ids = await publishSlowly(r.server, 'a', 200, 5);
      await recorder.waitFor(200);
      const bufferedAt = Date.now();
      r.proxy.buffer({ bytes: 8192 });
      // Then quiet: 20 events, well under 8 KiB, that a buffering proxy would sit on.
      ids.push(...(await publishSlowly(r.server, 'a', 20, 100)));
      await recorder.waitFor(220, { timeoutMs: 15_000 });
      const tookMs = Date.now() - bufferedAt;
      recorder.assertComplete(ids, { allowResets: false });
      const dead = log().find((l) => l.name === 'reconnecting')!;
      expect(dead.arg).toMatchObject({ error: { code: 'heartbeat_timeout' } });
      expect(await waitFor(() => c.transport === 'long-poll').then(() => c.transport)).toBe('long-poll');
      expect(log().find((l) => l.name === 'fallback')!.arg).toMatchObject({
        reason: expect.stringMatching(/buffering/),
      });
      // Dead after 2 × heartbeat + grace, then one open timeout on the held new stream, then long polling.
      console.log(`buffering: all 20 quiet events after ${tookMs} ms`);
      expect(tookMs).toBeLessThan(2 * HEARTBEAT_MS + HEARTBEAT_MS + 1000 + 2000 + 4000);
    });

    it('a slow link (2.1 s each way) is not taken for buffering: WebSocket and SSE open and stay, events flow', async () => {
      // Realistic heartbeats here: a WebSocket ping's answer takes a 4.2 s round trip.
      const r = await rig({ hub: { heartbeatMs: 5000, sseHeartbeatMs: 5000 } });
      r.proxy.latency(2100);
      const clients = await Promise.all(
        (['ws', 'sse'] as const).map(async (transport) => ({
          transport,
          ...(await client(runtime, {
            url: r.url,
            transports: [transport, 'long-poll'],
            probeIntervalMs: 0,
          })),
        })),
      );
      for (const { c, transport } of clients) await openOn(c, transport, 25_000);
      const ids = await publishMany(r.server.hub, 'a', 3);
      for (const { recorder, log, transport, c } of clients) {
        await recorder.waitFor(3, { timeoutMs: 10_000 });
        recorder.assertComplete(ids, { allowResets: false });
        // Each open took at least one 4.2 s round trip, past the 4 s that used to count as buffering.
        expect(log()[0]!.atMs, transport).toBeGreaterThan(4000);
        expect(
          log().filter((l) => l.name !== 'open'),
          transport,
        ).toEqual([]);
        expect((await c.state()).transport).toBe(transport);
      }
    }, 40_000);
  });

  describe('backoff under a flapping network (item 8)', () => {
    it('cuts every 1.2 s while events flow: every reconnect within reconnectDelayMs, no reset, nothing lost', async () => {
      // Retention of 5 s of events: a client that fell 5 s behind would get a reset.
      const r = await rig({ hub: { retentionCount: 200 } });
      const clients = await Promise.all(
        (['ws', 'sse'] as const).map(async (transport) => ({
          transport,
          // The default backoff (500 ms first ceiling, 20 s cap).
          ...(await client(runtime, { url: r.url, transports: [transport], reconnectDelayMs: undefined })),
        })),
      );
      for (const { c, transport } of clients) await openOn(c, transport);
      const ids: string[] = [];
      const publishing = (async () => {
        for (let i = 0; i < 400; i++) {
          ids.push(await r.server.hub.publish('a', i));
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      })();
      let cuts = 0;
      const cutting = setInterval(() => {
        cuts++;
        r.proxy.cut();
      }, 1200);
      await publishing;
      clearInterval(cutting);
      expect(cuts).toBeGreaterThanOrEqual(6);
      for (const { recorder, log, transport } of clients) {
        await recorder.waitFor(ids.length, { timeoutMs: 10_000 });
        recorder.assertComplete(ids, { allowResets: false });
        const delays = log()
          .filter((l) => l.name === 'reconnecting')
          .map((l) => (l.arg as { delayMs: number }).delayMs);
        expect(delays.length, transport).toBeGreaterThanOrEqual(5);
        for (const delay of delays) expect(delay, transport).toBeLessThan(500);
      }
    }, 40_000);

    it('a dead server is not hammered: the ceiling doubles per failed attempt up to the cap, and starts over once a connection opens', async () => {
      const r = await rig();
      const { c, log } = await client(
        runtime,
        {
          url: r.url,
          transports: ['ws'],
          reconnectDelayMs: 50,
          maxReconnectDelayMs: 400,
          connectTimeoutMs: 2000,
        },
        { random: 0.999 },
      );
      await openOn(c, 'ws');
      await r.server.stop();
      await waitFor(() => log().filter((l) => l.name === 'reconnecting').length >= 6, 10_000, 'six attempts');
      await r.server.start();
      await waitFor(() => log().filter((l) => l.name === 'open').length === 2, 10_000, 'open again');
      const before = log().filter((l) => l.name === 'reconnecting').length;
      r.proxy.cut();
      await waitFor(() => log().filter((l) => l.name === 'reconnecting').length > before, 10_000, 'the cut');
      const delays = log()
        .filter((l) => l.name === 'reconnecting')
        .map((l) => (l.arg as { delayMs: number }).delayMs);
      // The first loss follows an open connection (49); each failed attempt doubles the ceiling to the cap.
      expect(delays.slice(0, 6)).toEqual([49, 99, 199, 399, 399, 399]);
      // After the new connection opened, the first delay starts over.
      const afterOpen = log().findIndex((l, i) => l.name === 'open' && i > 0);
      const firstAfter = log()
        .slice(afterOpen)
        .find((l) => l.name === 'reconnecting')!;
      expect((firstAfter.arg as { delayMs: number }).delayMs).toBe(49);
    }, 30_000);
  });
});
