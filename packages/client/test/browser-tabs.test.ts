import { describe, expect, it } from 'vitest';
import { gotIn, openIn, useBrowser } from './support/browser.ts';
import { publishMany, waitFor } from './support/wait.ts';

const harness = useBrowser();

describe('in Chromium, tabs of one origin', () => {
  it('three tabs share one connection; all get every event; a follower publishes', async () => {
    const { server, tab } = harness;
    const pages = [await tab({}, ['a'])];
    await openIn(pages[0]!);
    pages.push(await tab({}, ['a', 'b']), await tab({}, ['a', 'c']));
    for (const page of pages) await openIn(page);
    // The leader took on the followers' topics over its one connection.
    await waitFor(() => server.hub.stats().topics === 3, 5000, 'the union of the topics');
    expect(server.hub.stats().connections.total).toBe(1);

    const a = await publishMany(server.hub, 'a', 5);
    const b = await publishMany(server.hub, 'b', 2);
    const c = await publishMany(server.hub, 'c', 2);
    const fromFollower = await pages[1]!.evaluate(() => window.client.publish('a', 'from a follower'));
    const expected = [
      [...a, fromFollower],
      [...a, ...b, fromFollower],
      [...a, ...c, fromFollower],
    ];
    for (const [i, page] of pages.entries()) {
      await page.waitForFunction((n) => window.got.length >= n, expected[i]!.length);
      expect(await gotIn(page)).toEqual(expected[i]);
    }
    expect(server.hub.stats().connections.total).toBe(1);
  });

  it('closing the leader tab hands the connection over with no event lost', async () => {
    const { server, tab } = harness;
    const leader = await tab({}, ['feed']);
    await openIn(leader);
    const followers = [await tab({}, ['feed']), await tab({}, ['feed'])];
    for (const page of followers) await openIn(page);
    expect(server.hub.stats().connections.total).toBe(1);

    const ids = await publishMany(server.hub, 'feed', 5);
    for (const page of followers) await page.waitForFunction(() => window.got.length >= 5);
    // Events keep coming while the leader goes away and another tab takes over.
    const closing = leader.close();
    for (let i = 0; i < 30; i++) {
      ids.push(await server.hub.publish('feed', i));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await closing;
    ids.push(...(await publishMany(server.hub, 'feed', 5)));
    for (const page of followers) await page.waitForFunction((n) => window.got.length >= n, ids.length);
    for (const page of followers) expect(await gotIn(page)).toEqual(ids);
    // A new connection was opened by one of them, and it is the only one.
    for (const page of followers) expect(await page.evaluate(() => window.opened)).toEqual(['ws', 'ws']);
    await waitFor(() => server.hub.stats().connections.total === 1, 5000, 'the new leader alone connected');
  });
});
