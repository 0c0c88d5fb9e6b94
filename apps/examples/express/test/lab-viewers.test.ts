import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listen, type Running } from '../src/listen.ts';

// Chromium's start and two lab pages (each with its four panels and two chat clients).
const SLOW_MS = 30_000;
const GRACE_MS = 300;
let running: Running;
let browser: Browser;

beforeAll(async () => {
  running = await listen({
    secret: 'a-test-secret-of-at-least-32-bytes!!',
    port: 0,
    host: '127.0.0.1',
    presenceGraceMs: GRACE_MS,
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, SLOW_MS);

afterAll(async () => {
  await browser?.close();
  await running?.close();
});

/** The viewers a lab page lists, in order. */
async function viewersOn(page: Page): Promise<string[]> {
  return page.locator('#viewers li').allTextContents();
}

/** A browser profile of its own (its own localStorage: another viewer) with the lab open. */
async function openLab(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${running.url}/`);
  return { context, page };
}

it('lists who is watching the lab, live, as viewers come and go', { timeout: SLOW_MS }, async () => {
  const first = await openLab();
  await expect
    .poll(() => viewersOn(first.page), { timeout: 10_000 })
    .toEqual([expect.stringMatching(/\(you\)$/)]);
  const me = (await viewersOn(first.page))[0]!.replace(' (you)', '');

  const second = await openLab();
  await expect.poll(async () => (await viewersOn(second.page)).length, { timeout: 10_000 }).toBe(2);
  await expect.poll(async () => (await viewersOn(first.page)).length, { timeout: 10_000 }).toBe(2);
  expect(await viewersOn(second.page)).toContain(me);
  expect(await first.page.locator('#viewer-count').textContent()).toBe('2 viewers');
  expect((await running.hub.presence('lab.viewers')).users).toHaveLength(2);

  await second.context.close();
  await expect.poll(() => viewersOn(first.page), { timeout: 10_000 }).toEqual([`${me} (you)`]);
  expect(await first.page.locator('#viewer-count').textContent()).toBe('1 viewer');
  await first.context.close();
});
