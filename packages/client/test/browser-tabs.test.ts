import { describe, expect, it } from 'vitest';
import { gotIn, logIn, openIn, useBrowser } from './support/browser.ts';
import { publishMany, waitFor } from './support/wait.ts';

const harness = useBrowser({ hub: { authorize: (_principal, topic) => !topic.startsWith('secret') } });

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
    // A new connection was opened by one of them, and it is the only one; the apps never saw it.
    for (const page of followers) {
      expect(await page.evaluate(() => window.opened)).toEqual(['ws']);
      // They joined an open connection, and no hand-over sent them back through `connecting`.
      expect(await logIn(page, 'connecting')).toEqual([]);
      expect(await logIn(page, 'reconnecting')).toEqual([]);
      expect(await logIn(page, 'reset')).toEqual([]);
      expect(await page.evaluate(() => window.client.status)).toBe('open');
    }
    await waitFor(() => server.hub.stats().connections.total === 1, 5000, 'the new leader alone connected');
  });

  it("each tab's on('event') hears its own topics only", async () => {
    const { server, tab } = harness;
    const topics = ['t1', 't2', 't3', 't4', 't5'];
    const pages = [];
    for (const topic of topics) pages.push(await tab({}, [topic]));
    for (const page of pages) await openIn(page);
    await waitFor(() => server.hub.stats().topics === 5, 5000, 'every tab topic on the one connection');
    const ids: Record<string, string[]> = {};
    for (const topic of topics) ids[topic] = await publishMany(server.hub, topic, 10);
    for (const [i, page] of pages.entries()) {
      await page.waitForFunction(() => window.events.length >= 10);
      // A moment for anything extra to arrive, were it to.
      await page.waitForTimeout(100);
      expect(await page.evaluate(() => window.events.map((e) => e.id))).toEqual(ids[topics[i]!]);
    }
    expect(server.hub.stats().connections.total).toBe(1);
  });

  it("a crashed tab's topics are released as soon as the browser lets go of its lock", async () => {
    const { server, tab } = harness;
    const leader = await tab({}, ['kept']);
    await openIn(leader);
    const doomed = await tab({}, ['doomed']);
    await openIn(doomed);
    await waitFor(() => server.hub.stats().topics === 2, 5000, 'both topics subscribed');
    // Were a pagehide to fire, its `bye` would not get out: only the lock can tell.
    await doomed.evaluate(() =>
      window.addEventListener('pagehide', (event) => event.stopImmediatePropagation(), { capture: true }),
    );
    // The renderer process killed, as a crash would.
    const crashedAt = Date.now();
    await doomed.goto('chrome://kill').catch(() => {});
    await waitFor(() => server.hub.stats().topics === 1, 10_000, 'the crashed tab released');
    const releasedMs = Date.now() - crashedAt;
    console.log(`crashed tab's topics released after ${releasedMs} ms`);
    expect(releasedMs).toBeLessThan(5000);
    const id = await server.hub.publish('kept', 1);
    await leader.waitForFunction((i) => window.got.includes(i), id);
    expect(server.hub.stats().connections.total).toBe(1);
  });

  it('a topic forbidden to one tab is refused in that tab alone; the other tabs see nothing of it', async () => {
    const { server, tab } = harness;
    const calm = await tab({}, ['a']);
    await openIn(calm);
    const opened = (await logIn(calm, 'open')).length;
    const curious = await tab({}, ['a', 'secret.plans']);
    await openIn(curious);
    await curious.waitForFunction(() => window.refused.length === 1);
    expect(await curious.evaluate(() => window.refused)).toEqual(['secret.plans:forbidden']);
    const ids = await publishMany(server.hub, 'a', 3);
    for (const page of [calm, curious]) await page.waitForFunction((n) => window.got.length >= n, 3);
    expect(await gotIn(calm)).toEqual(ids);
    expect(await gotIn(curious)).toEqual(ids);
    expect(await calm.evaluate(() => window.refused)).toEqual([]);
    expect(await logIn(calm, 'error')).toEqual([]);
    expect(await logIn(calm, 'reconnecting')).toEqual([]);
    expect((await logIn(calm, 'open')).length).toBe(opened);
    // A third tab asking for the refused topic learns of it, from the connection that already knows.
    const late = await tab({}, ['secret.plans']);
    await late.waitForFunction(() => window.refused.length === 1);
    expect(await late.evaluate(() => window.refused)).toEqual(['secret.plans:forbidden']);
    expect(server.hub.stats().connections.total).toBe(1);
  });
});
