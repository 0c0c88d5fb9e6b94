import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listen, type Running } from '../src/listen.ts';

let running: Running;
let browser: Browser;

// Chromium's start and the short poll's 2 s interval make this slower than an in-process test.
const SLOW_MS = 20_000;

beforeAll(async () => {
  running = await listen({ secret: 'a-test-secret-of-at-least-32-bytes!!', port: 0, host: '127.0.0.1' });
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

const PANELS = ['short-poll', 'long-poll', 'sse', 'websocket'];

it('shows a note added on the by-hand page arriving in all four panels', { timeout: SLOW_MS }, async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${running.url}/plain.html`);

  // Every panel has made its first request and its connection is live before the note is sent.
  for (const id of PANELS) await page.locator(`#${id}[data-state="open"]`).waitFor({ timeout: 8000 });
  await expect
    .poll(() => running.hub.stats().connections, { timeout: 8000 })
    .toMatchObject({ ws: 1, sse: 1, longPoll: 1 });

  await page.getByLabel('New note').fill('seen by every transport');
  await page.getByRole('button', { name: 'Add note' }).click();

  for (const id of PANELS) {
    const panel = page.locator(`#${id}`);
    await panel.getByText('Note #1: seen by every transport').waitFor({ timeout: 8000 });
    expect(await panel.locator('[data-events]').textContent()).toBe('1');
  }
  expect(await page.getByRole('status').textContent()).toContain('Sent');
  expect(errors).toEqual([]);
  await page.close();
});

it('loads the notes, then subscribes from their cursor: a note added in between reaches every panel', {
  timeout: SLOW_MS,
}, async () => {
  await postNote('before the page');
  const page = await browser.newPage();
  // The note is added after GET /api/notes was answered and before the page sees the answer: the
  // worst moment. It is not in the list, so only the cursor can bring it.
  await page.route('**/api/notes', async (route) => {
    const response = await route.fetch();
    await postNote('while the page loads');
    await route.fulfill({ response });
  });
  await page.goto(`${running.url}/plain.html`);
  await page.locator('#loaded-notes').getByText('before the page').waitFor({ timeout: 8000 });
  expect(await page.locator('#loaded-notes').textContent()).not.toContain('while the page loads');
  for (const id of PANELS) {
    await page.locator(`#${id}`).getByText('while the page loads').waitFor({ timeout: 8000 });
  }
  await page.close();
});

function postNote(text: string): Promise<Response> {
  return fetch(`${running.url}/api/notes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
}
