import { createRecorder } from '@tidings/testing';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { type BrowserHarness, logIn, openIn, type PageClientOptions, useBrowser } from './support/browser.ts';
import { FAST_HUB, HEARTBEAT_MS, pauseOf } from './support/rig.ts';
import { publishMany } from './support/wait.ts';

// Bounds the client promises (docs/client.md), with a margin for a busy machine.
const MARGIN_MS = 2500;
const STREAM_BOUND_MS = 2 * HEARTBEAT_MS + Math.min(HEARTBEAT_MS, 2000) + MARGIN_MS;
const FAST: PageClientOptions = {
  sharedConnection: false,
  connectTimeoutMs: 1000,
  openTimeoutMs: 1000,
  longPollTimeoutMs: 1000,
  reconnectDelayMs: 50,
  maxReconnectDelayMs: 300,
};

/** Checks what a tab delivered with the recorder of @tidings/testing. */
async function assertDelivered(page: Page, ids: string[]): Promise<void> {
  await page.waitForFunction((n) => window.events.length >= n, ids.length, { timeout: 15_000 });
  const recorder = createRecorder();
  for (const envelope of await page.evaluate(() => window.events)) recorder.event(envelope);
  for (const reset of await logIn(page, 'reset')) recorder.reset(reset.arg);
  recorder.assertComplete(ids, { allowResets: false });
}

const onTransport = (page: Page, transport: string, timeout = 20_000) =>
  page.waitForFunction((t) => window.client.status === 'open' && window.client.transport === t, transport, {
    timeout,
  });

describe('in Chromium, through the fault proxy', () => {
  const harness: BrowserHarness = useBrowser(
    { hub: { ...FAST_HUB, authorize: (_p, topic) => !topic.startsWith('secret') } },
    { proxy: true },
  );

  for (const fault of ['blackhole', 'pause'] as const) {
    it(`${fault === 'blackhole' ? 'a black-holed network' : 'a frozen server'}: WebSocket, SSE and long poll notice within their bounds, reconnect, resume; nothing lost`, async () => {
      const { server, proxy } = harness;
      const transports = ['ws', 'sse', 'long-poll'] as const;
      const pages: Page[] = [];
      for (const transport of transports) pages.push(await harness.tab({ ...FAST, transports: [transport] }));
      for (const page of pages) await openIn(page);
      const ids = await publishMany(server.hub, 'a', 3);
      for (const page of pages) await page.waitForFunction(() => window.events.length >= 3);

      const faultAt = Date.now();
      const lift = fault === 'blackhole' ? proxy.blackhole() : pauseOf(proxy);
      ids.push(...(await publishMany(server.hub, 'a', 3, 3)));
      for (const page of pages) {
        await page.waitForFunction(
          (at) => window.log.some((l) => l.name === 'reconnecting' && l.at >= at),
          faultAt,
          {
            timeout: 15_000,
          },
        );
      }
      lift();
      for (const [i, page] of pages.entries()) {
        const transport = transports[i]!;
        const lost = (await logIn(page, 'reconnecting')).find((l) => l.at >= faultAt)!;
        const detectedMs = lost.at - faultAt;
        console.log(`chromium ${fault} ${transport}: dead after ${detectedMs} ms`);
        if (transport === 'long-poll') {
          expect(lost.arg.error.code).toBe('network');
          expect(detectedMs).toBeLessThanOrEqual(1000 + 1000 + MARGIN_MS);
        } else {
          expect(lost.arg.error.code, transport).toBe('heartbeat_timeout');
          expect(detectedMs, transport).toBeLessThanOrEqual(STREAM_BOUND_MS);
        }
        await page.waitForFunction((at) => window.log.some((l) => l.name === 'open' && l.at > at), lost.at, {
          timeout: 15_000,
        });
      }
      ids.push(...(await publishMany(server.hub, 'a', 3, 6)));
      for (const [i, page] of pages.entries()) {
        await assertDelivered(page, ids);
        expect(await page.evaluate(() => window.client.transport)).toBe(transports[i]);
      }
    });
  }

  it('one forbidden topic is refused alone, named with its code; the page keeps its other topics', async () => {
    const page = await harness.tab({ ...FAST, transports: ['sse', 'long-poll'] }, ['a', 'secret.x', 'b']);
    await openIn(page);
    await page.waitForFunction(() => window.refused.length === 1);
    expect(await page.evaluate(() => window.refused)).toEqual(['secret.x:forbidden']);
    expect((await logIn(page, 'error')).map((l) => l.arg)).toEqual([
      expect.objectContaining({ code: 'forbidden', status: 403, topic: 'secret.x' }),
    ]);
    const ids = [await harness.server.hub.publish('a', 1), await harness.server.hub.publish('b', 2)];
    await assertDelivered(page, ids);
    expect(await page.evaluate(() => window.client.status)).toBe('open');
  });

  it("a gateway's 504 pages (1 s each) and a web filter's HTML 403: SSE is left for long polling, and taken again once it passes", async () => {
    const { server, proxy } = harness;
    for (const kind of [504, '403-html'] as const) {
      const lift = proxy.status('sse', kind, { delayMs: kind === 504 ? 1000 : 0 });
      // A connect timeout longer than the gateway's wait: the 504 itself is what the client must act on.
      const page = await harness.tab({
        ...FAST,
        connectTimeoutMs: 5000,
        transports: ['sse', 'long-poll'],
        probeIntervalMs: 500,
      });
      await onTransport(page, 'long-poll');
      const [fallback] = await logIn(page, 'fallback');
      expect(fallback!.arg).toMatchObject({
        from: 'sse',
        to: 'long-poll',
        reason: `HTTP ${kind === 504 ? 504 : 403}`,
      });
      const ids = await publishMany(server.hub, 'a', 10);
      await page.waitForFunction(() => window.events.length >= 10);
      lift();
      await onTransport(page, 'sse');
      ids.push(...(await publishMany(server.hub, 'a', 3, 10)));
      await assertDelivered(page, ids);
      await page.close();
    }
  });

  it('a proxy that starts buffering an open SSE stream: dropped once the heartbeats stop, long polling takes over, nothing lost', async () => {
    const { server, proxy } = harness;
    const page = await harness.tab({ ...FAST, transports: ['sse', 'long-poll'], probeIntervalMs: 0 });
    await onTransport(page, 'sse');
    const ids = await publishMany(server.hub, 'a', 100);
    await page.waitForFunction(() => window.events.length >= 100);
    const lift = proxy.buffer({ bytes: 8192 });
    const bufferedAt = Date.now();
    for (let i = 0; i < 20; i++) {
      ids.push(await server.hub.publish('a', { quiet: i }));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await assertDelivered(page, ids);
    console.log(`chromium buffering: all quiet events after ${Date.now() - bufferedAt} ms`);
    expect((await logIn(page, 'reconnecting'))[0]!.arg.error.code).toBe('heartbeat_timeout');
    expect((await logIn(page, 'fallback'))[0]!.arg.reason).toMatch(/buffering/);
    expect(await page.evaluate(() => window.client.transport)).toBe('long-poll');
    lift();
  });

  it('a flapping network (cut every 1.2 s): every reconnect within reconnectDelayMs, no reset, nothing lost', async () => {
    const { server, proxy } = harness;
    const pages = [
      await harness.tab({ sharedConnection: false, transports: ['ws'] }),
      await harness.tab({ sharedConnection: false, transports: ['sse'] }),
    ];
    for (const page of pages) await openIn(page);
    const ids: string[] = [];
    const cutting = setInterval(() => proxy.cut(), 1200);
    for (let i = 0; i < 200; i++) {
      ids.push(await server.hub.publish('a', i));
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    clearInterval(cutting);
    for (const page of pages) {
      await assertDelivered(page, ids);
      const delays = (await logIn(page, 'reconnecting')).map((l) => l.arg.delayMs as number);
      expect(delays.length).toBeGreaterThanOrEqual(3);
      for (const delay of delays) expect(delay).toBeLessThan(500);
    }
  });

  it('ready() resolves at the first open; close() is final', async () => {
    const page = await harness.tab({ sharedConnection: false });
    await page.evaluate(() => window.client.ready());
    expect(await page.evaluate(() => window.client.status)).toBe('open');
    const after = await page.evaluate(async () => {
      window.client.close();
      const codes: string[] = [];
      await window.client.ready().catch((e) => codes.push(e.code));
      await window.client.publish('a', 1).catch((e) => codes.push(e.code));
      try {
        window.client.subscribe('a', () => {});
      } catch (e) {
        codes.push((e as { code: string }).code);
      }
      return codes;
    });
    expect(after).toEqual(['closed', 'closed', 'closed']);
  });
});

describe('in Chromium, on a slow link (2.1 s each way)', () => {
  const harness = useBrowser({ hub: { heartbeatMs: 5000, sseHeartbeatMs: 5000 } }, { proxy: true });

  it('WebSocket and SSE are not taken for buffered: they open, stay, and deliver', async () => {
    const { server, proxy } = harness;
    // The page itself loads before the link slows down.
    const pages = [
      await harness.tab({ sharedConnection: false, transports: ['ws', 'long-poll'], probeIntervalMs: 0 }, []),
      await harness.tab(
        { sharedConnection: false, transports: ['sse', 'long-poll'], probeIntervalMs: 0 },
        [],
      ),
    ];
    proxy.latency(2100);
    const started = Date.now();
    for (const page of pages) await page.evaluate(() => window.client.subscribe('a', () => {}));
    await onTransport(pages[0]!, 'ws', 25_000);
    await onTransport(pages[1]!, 'sse', 25_000);
    // At least one 4.2 s round trip each: past the 4 s that used to count as a buffering proxy.
    expect(Date.now() - started).toBeGreaterThan(4000);
    const ids = await publishMany(server.hub, 'a', 3);
    for (const page of pages) {
      await assertDelivered(page, ids);
      expect(await logIn(page, 'fallback')).toEqual([]);
      expect(await logIn(page, 'reconnecting')).toEqual([]);
    }
  }, 40_000);
});
