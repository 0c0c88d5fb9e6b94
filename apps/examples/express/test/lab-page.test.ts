import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';

const EXAMPLE_DIR = fileURLToPath(new URL('..', import.meta.url));
const SCREENSHOT = fileURLToPath(new URL('../test-results/lab.png', import.meta.url));
const PANELS = ['short-poll', 'long-poll', 'sse', 'websocket'];
// Chromium's start, a 1.5 s outage and the client's jittered backoff after it.
const SLOW_MS = 25_000;

let server: ChildProcess | undefined;
let url: string;
let browser: Browser;

/**
 * Starts the entry `pnpm start` runs (`node --conditions=source src/server.ts`) on port 0 and reads
 * its URL from the startup line.
 */
function startServer(): Promise<string> {
  const child = spawn(process.execPath, ['--conditions=source', 'src/server.ts'], {
    cwd: EXAMPLE_DIR,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server = child;
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 10_000);
    const read = (chunk: Buffer) => {
      output += chunk;
      const found = /tidings example: http:\/\/localhost:(\d+)/.exec(output);
      if (!found) return;
      clearTimeout(timer);
      child.stdout?.off('data', read);
      resolve(`http://127.0.0.1:${found[1]}`);
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk;
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${output}`));
    });
  });
}

async function stopServer(): Promise<void> {
  const child = server;
  if (!child || child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

beforeAll(async () => {
  url = await startServer();
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
  await stopServer();
});

const count = async (page: Page, panel: string, field: string): Promise<number> =>
  Number(await page.locator(`#${panel} [data-field="${field}"]`).textContent());

it('shows all four transports receiving, cut, and resuming with no gap and no duplicate', {
  timeout: SLOW_MS,
}, async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(url);

  // Every panel, each on its own transport, receives the server's events.
  for (const id of PANELS) {
    await expect.poll(() => count(page, id, 'events'), { timeout: 8000 }).toBeGreaterThanOrEqual(3);
  }
  const transports = await Promise.all(
    PANELS.map((id) => page.locator(`#${id} [data-field="status"]`).textContent()),
  );
  expect(transports).toEqual(['open · poll', 'open · long-poll', 'open · sse', 'open · ws']);

  // Two-way: a message from each chat client reaches both, one up a WebSocket, one up a POST.
  await page.getByLabel('Ada').fill('hello from the socket');
  await page.getByLabel('Ada').press('Enter');
  await page.getByLabel('Grace').fill('hello from a POST');
  await page.getByLabel('Grace').press('Enter');
  const log = page.getByRole('log', { name: 'Chat messages' });
  for (const [text, via] of [
    ['Ada: hello from the socket', 'sent over the WebSocket'],
    ['Grace: hello from a POST', 'sent over POST /realtime/publish'],
  ]) {
    const item = log.locator('li', { hasText: text });
    await expect.poll(() => item.textContent(), { timeout: 5000 }).toContain('Grace got it over SSE');
    const meta = await item.textContent();
    expect(meta).toContain(via);
    expect(meta).toContain('Ada got it over WebSocket');
  }

  const before = await Promise.all(PANELS.map((id) => count(page, id, 'events')));
  for (const id of PANELS) {
    await page
      .locator(`#${id}`)
      .getByRole('button', { name: /^Cut connection/ })
      .click();
  }

  // Each client notices, reconnects through its own logic, and replays what it missed.
  for (const [i, id] of PANELS.entries()) {
    await expect.poll(() => count(page, id, 'reconnects'), { timeout: 12_000 }).toBeGreaterThanOrEqual(1);
    await expect.poll(() => count(page, id, 'replayed'), { timeout: 5000 }).toBeGreaterThan(0);
    await expect.poll(() => count(page, id, 'events'), { timeout: 5000 }).toBeGreaterThan(before[i]! + 5);
    await expect(page.locator(`#${id}`).getAttribute('data-state')).resolves.toBe('open');
  }
  for (const id of PANELS) {
    expect(await count(page, id, 'gaps'), `${id} gaps`).toBe(0);
    expect(await count(page, id, 'duplicates'), `${id} duplicates`).toBe(0);
  }
  // The outcome is also said politely to screen readers.
  await expect
    .poll(() => page.locator('#announcer[role="status"]').textContent(), { timeout: 3000 })
    .toMatch(/missed events? replayed; gaps 0, duplicates 0/);
  expect(errors).toEqual([]);

  mkdirSync(fileURLToPath(new URL('../test-results', import.meta.url)), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  await page.close();
});
