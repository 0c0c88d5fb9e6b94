import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHub } from '@tidings/core';
import { attachWebSocket, createNodeHandler } from '@tidings/node';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFaultProxy, type FaultProxy } from '../src/index.ts';
import { closeAll, track } from './support/setup.ts';
import { until } from './support/until.ts';

declare global {
  interface Window {
    /** Ids the page's EventSource received, in order. */
    sse: string[];
    /** How many times the EventSource opened. */
    sseOpens: number;
    /** Ids the page's WebSocket received, and how it closed. */
    ws: string[];
    wsClose: number | undefined;
  }
}

// The browser's own EventSource and WebSocket, same origin as the routes (the hub sends no CORS headers).
const PAGE = `<!doctype html><meta charset="utf-8"><title>fault proxy</title><script>
  window.sse = []; window.sseOpens = 0; window.ws = []; window.wsClose = undefined;
  const source = new EventSource('/realtime/sse?topics=a');
  source.onopen = () => window.sseOpens++;
  source.onmessage = (m) => window.sse.push(JSON.parse(m.data).id);
  const socket = new WebSocket('ws://' + location.host + '/realtime/ws?topics=a');
  socket.onmessage = (m) => { const f = JSON.parse(m.data); if (f.type === 'event') window.ws.push(f.id); };
  socket.onclose = (e) => { window.wsClose = e.code; };
</script>`;

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
});
afterAll(() => browser?.close());
afterEach(closeAll);

/** A hub on a bare node:http server that also serves the test page at `/`. */
async function startSite() {
  const hub = createHub({ anonymous: true, sseRetryMs: 100 });
  const handle = createNodeHandler(hub);
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/realtime/')) return void handle(req, res);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
  });
  const ws = attachWebSocket(server, hub);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  track({
    async close() {
      await hub.close();
      ws.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  });
  return { hub, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function openPage(proxy: FaultProxy): Promise<Page> {
  const context = track(await browser.newContext());
  const page = await context.newPage();
  await page.goto(proxy.url);
  return page;
}

describe('Chromium through the fault proxy', () => {
  it('resumes its EventSource after cut() with Last-Event-ID, loses the WebSocket, and sees nothing in a blackhole', async () => {
    const { hub, origin } = await startSite();
    const proxy = track(await createFaultProxy({ target: origin }));
    const page = await openPage(proxy);
    await until(() => hub.stats().connections.total === 2, 'the page to open SSE and a WebSocket');
    const first = await hub.publish('a', 1);
    const ids = [first];
    await page.waitForFunction((id) => window.sse.includes(id) && window.ws.includes(id), first);

    proxy.cut();
    await page.waitForFunction(() => window.wsClose !== undefined);
    expect(await page.evaluate(() => window.wsClose)).toBe(1006);
    // Published while the EventSource is down: the browser reconnects by itself and the hub replays.
    ids.push(await hub.publish('a', 2), await hub.publish('a', 3));
    await page.waitForFunction((n) => window.sse.length === n, ids.length);
    expect(await page.evaluate(() => window.sse)).toEqual(ids);
    expect(await page.evaluate(() => window.sseOpens)).toBeGreaterThanOrEqual(2);

    proxy.blackhole();
    const dropped = proxy.stats().faults.droppedBytes;
    await hub.publish('a', 4);
    await until(() => proxy.stats().faults.droppedBytes > dropped, 'the event to vanish');
    expect(await page.evaluate(() => window.sse)).toEqual(ids);
    expect(hub.stats().connections.sse).toBe(1);
  });

  it('refuses the page its WebSocket and its EventSource when told to', async () => {
    const { hub, origin } = await startSite();
    const proxy = track(await createFaultProxy({ target: origin }));
    proxy.refuseUpgrades(403);
    proxy.status('sse', '403-html');
    const page = await openPage(proxy);
    await page.waitForFunction(() => window.wsClose !== undefined);
    // The browser reports any refused handshake as 1006.
    expect(await page.evaluate(() => window.wsClose)).toBe(1006);
    await until(() => proxy.stats().faults.answered >= 1, 'the SSE request to be answered by the proxy');
    expect(proxy.stats().faults.refusedUpgrades).toBe(1);
    expect(hub.stats().connections.total).toBe(0);
    expect(await page.evaluate(() => window.sseOpens)).toBe(0);
  });
});
