import { describe, expect, it } from 'vitest';
import { gotIn, openIn, useBrowser } from './support/browser.ts';
import { publishMany } from './support/wait.ts';

const harness = useBrowser();

describe('in Chromium', () => {
  for (const transport of ['ws', 'sse', 'long-poll', 'poll'] as const) {
    it(`receives every event over ${transport}, and publishes`, async () => {
      const page = await harness.tab({
        transports: [transport],
        sharedConnection: false,
        pollIntervalMs: 50,
      });
      await openIn(page);
      expect(await page.evaluate(() => window.client.transport)).toBe(transport);
      const ids = await publishMany(harness.server.hub, 'a', 10);
      ids.push(await page.evaluate(() => window.client.publish('a', { from: 'page' })));
      await page.waitForFunction((n) => window.got.length >= n, ids.length);
      expect(await gotIn(page)).toEqual(ids);
    });
  }

  it('reconnects at once when the browser comes back online, not after the backoff', async () => {
    const { server } = harness;
    const page = await harness.tab({ transports: ['sse'], sharedConnection: false });
    // A backoff that would wait about a minute.
    await page.evaluate(() => {
      window.client.close();
      window.client = window.tidings.createClient({
        url: '/realtime',
        transports: ['sse'],
        sharedConnection: false,
        reconnectDelayMs: 60_000,
        maxReconnectDelayMs: 60_000,
        random: () => 0.99,
      });
      window.client.subscribe('a', (_data, e) => window.got.push(e.id));
    });
    await openIn(page);
    await server.stop();
    await page.waitForFunction(() => window.client.status === 'reconnecting');
    const ids = await publishMany(server.hub, 'a', 3);
    await server.start();
    await harness.context.setOffline(true);
    await harness.context.setOffline(false);
    await openIn(page);
    await page.waitForFunction((n) => window.got.length >= n, ids.length);
    expect(await gotIn(page)).toEqual(ids);
  });
});
