// Recipe (b) of docs/testing.md: the page in a real browser, behind a proxy that buffers responses.
import { createFaultProxy, createTestHub } from '@tidings/testing';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { listen } from '../src/app.ts';
import { SCOREBOARD_HUB_OPTIONS } from '../src/hub-options.ts';
import type { Topics } from '../src/scores.ts';

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
});
afterAll(async () => {
  await browser?.close();
});

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
});

// The client waits openTimeoutMs (4 s by default) for SSE's first bytes before it falls back.
it('shows live scores behind a proxy that buffers responses and refuses WebSockets', {
  timeout: 30_000,
}, async () => {
  const hub = createTestHub<Topics>(SCOREBOARD_HUB_OPTIONS);
  const app = await listen({ hub, port: 0 });
  open.push(app);
  // A corporate proxy: response bodies held like nginx's proxy_buffering, no WebSocket upgrades.
  const proxy = await createFaultProxy({ target: app.url });
  open.push(proxy);
  proxy.buffer();
  proxy.refuseUpgrades(502);

  const page = await browser.newPage();
  open.push(page);
  // The browser reaches everything, page included, through the proxy.
  await page.goto(`${new URL(proxy.url).origin}/`);
  // WebSocket refused, SSE never shows a byte: the client falls back to long polling by itself.
  await page.waitForFunction(() => document.querySelector('#transport')?.textContent === 'long-poll', null, {
    timeout: 15_000,
  });
  await hub.waitForSubscribers('scores', 1);
  await hub.publish('scores', { team: 'Red', points: 1 });
  await hub.publish('scores', { team: 'Blue', points: 1 });
  await page.waitForFunction(() => document.querySelectorAll('#scores li').length === 2, null, {
    timeout: 10_000,
  });
  expect(await page.locator('#scores li').allTextContents()).toEqual(['Red 1', 'Blue 1']);
  expect(await page.locator('#status').textContent()).toBe('live');
  const { faults } = proxy.stats();
  expect(faults.refusedUpgrades).toBeGreaterThanOrEqual(1);
  expect(faults.bufferedBytes).toBeGreaterThan(0);
});
