import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { logIn, openIn, type PageClientOptions, startClient, useBrowser } from './support/browser.ts';
import { checkOrder, readLog, waitFor } from './support/wait.ts';

const harness = useBrowser({ hub: { maxPublishesPerSecond: 1000 } }, { proxy: true });

/**
 * Records, in the tab's sessionStorage (which survives a reload), every publish the page sends over
 * a WebSocket or with POST: its key and data. A leader tab records its followers' publishes too.
 */
async function recordPublishes(): Promise<void> {
  await harness.context.addInitScript(() => {
    const record = (key: string, data: unknown) => {
      const sent = JSON.parse(sessionStorage.getItem('sent') ?? '[]');
      sent.push({ key, data });
      sessionStorage.setItem('sent', JSON.stringify(sent));
    };
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (this: WebSocket, data) {
      const message = typeof data === 'string' ? JSON.parse(data) : undefined;
      if (message?.type === 'publish') record(message.key, message.data);
      return send.call(this, data);
    };
    const fetch = window.fetch;
    window.fetch = (input, init) => {
      const key = new Headers(init?.headers).get('idempotency-key');
      if (key) record(key, JSON.parse(init!.body as string).data);
      return fetch(input, init);
    };
  });
}

const sentIn = (page: Page): Promise<{ key: string; data: unknown }[]> =>
  page.evaluate(() => JSON.parse(sessionStorage.getItem('sent') ?? '[]'));

/** Rows of the persisted outbox (every client of the origin's `/realtime`). */
const rowsIn = (page: Page): Promise<number> =>
  page.evaluate(async () => {
    const names = (await indexedDB.databases())
      .map((d) => d.name!)
      .filter((n) => n.startsWith('tidings-outbox:'));
    let count = 0;
    for (const name of names) {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open(name);
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      count += await new Promise<number>((resolve) => {
        const request = db.transaction('outbox').objectStore('outbox').count();
        request.onsuccess = () => resolve(request.result);
      });
      db.close();
    }
    return count;
  });

/** Publishes `values` on `out` from the tab's client; with `wait`, resolves once all are acknowledged. */
const publishIn = (page: Page, values: unknown[], wait: boolean): Promise<unknown> =>
  page.evaluate(
    ({ values, wait }) => {
      const all = Promise.all(values.map((value) => window.client.publish('out', value)));
      return wait ? all.then(() => undefined) : undefined;
    },
    { values, wait },
  );

/** Every value the tab sent more than once went out with the same key each time. */
function expectKeysKept(sent: { key: string; data: unknown }[]): number {
  const keys = new Map<string, Set<string>>();
  for (const { key, data } of sent) {
    const value = JSON.stringify(data);
    keys.set(value, (keys.get(value) ?? new Set()).add(key));
  }
  for (const [value, set] of keys) expect(set.size, `keys of ${value}`).toBe(1);
  return sent.length - keys.size;
}

const range = (from: number, to: number, tab?: string) =>
  Array.from({ length: to - from }, (_, i) => (tab ? { tab, n: from + i } : from + i));

describe('in Chromium, the outbox', () => {
  it('loads its IndexedDB part only with persist: true', async () => {
    const { server, tab } = harness;
    const chunk = () => server.requests.filter((url) => url.includes('persisted-outbox'));
    const plain = await tab({ sharedConnection: false });
    await openIn(plain);
    await publishIn(plain, [1], true);
    expect(chunk()).toEqual([]);
    const persisted = await tab({ sharedConnection: false, persist: true });
    await openIn(persisted);
    await publishIn(persisted, [2], true);
    expect(chunk()).toHaveLength(1);
  });

  it('persist: 100 publishes, the connection cut and the tab reloaded mid-way: each reaches the server, in order', async () => {
    const { server, proxy, tab } = harness;
    await recordPublishes();
    const { cursor } = await readLog(server.url, 'out');
    const options: PageClientOptions = { sharedConnection: false, persist: true };
    const page = await tab(options);
    await openIn(page);
    await publishIn(page, range(0, 40), true);
    expect(await rowsIn(page)).toBe(0);

    // 30 more while the server cannot answer: the first goes out and is held, the others wait.
    proxy.pause();
    await publishIn(page, range(40, 70), false);
    await waitFor(async () => (await rowsIn(page)) === 30, 5000, 'the 30 stored');
    proxy.cut();
    proxy.resume();
    await page.reload();
    await startClient(page, options);
    await publishIn(page, range(70, 100), true);

    // The reloaded tab sent what was left, then its own.
    const sent = range(0, 100);
    let events: unknown[] = [];
    await waitFor(
      async () => {
        events = (await readLog(server.url, 'out', cursor)).events.map((e) => e.data);
        return new Set(events.map((v) => JSON.stringify(v))).size === 100;
      },
      10_000,
      'all 100 in the log',
    );
    // In order, and exactly once: the publish sent again after the cut kept its key, and the hub's
    // broker drops a repeated key.
    expect(checkOrder(events, [sent])).toBe(0);
    const sentByPage = await sentIn(page);
    // The one on the wire at the cut went out again, with its key.
    expect(sentByPage.filter((s) => s.data === 40).length).toBeGreaterThanOrEqual(2);
    expectKeysKept(sentByPage);
    await waitFor(async () => (await rowsIn(page)) === 0, 5000, 'the outbox emptied');
  });

  it('persist: what closed tabs left counts towards maxOutbox; the excess is refused with outbox_full, not sent, and deleted', async () => {
    const { server, proxy, tab } = harness;
    const { cursor } = await readLog(server.url, 'out');
    const options: PageClientOptions = { sharedConnection: false, persist: true, maxOutbox: 4 };
    const first = await tab(options);
    await openIn(first);
    const second = await tab(options);
    await openIn(second);
    // Nothing reaches the server: each tab fills its own outbox, 4 rows each, the first tab's older.
    proxy.blackhole();
    await publishIn(first, range(0, 4, 'A'), false);
    await waitFor(async () => (await rowsIn(first)) === 4, 5000, 'the first tab’s 4 stored');
    await publishIn(second, range(0, 4, 'B'), false);
    await waitFor(async () => (await rowsIn(first)) === 8, 5000, 'all 8 stored');
    await first.close();
    await second.close();
    proxy.heal();
    proxy.cut();

    // A new tab takes over both: room for 4, the oldest.
    const heir = await tab(options);
    await openIn(heir);
    const states = async () =>
      (await logIn(heir, 'publish')).map(({ arg }) => ({
        data: arg.data,
        state: arg.state,
        code: arg.error?.code,
        name: arg.error?.name,
      }));
    await waitFor(
      async () =>
        (await states()).filter((s) => s.state === 'acknowledged' || s.state === 'refused').length === 8,
      10_000,
      'all 8 taken over answered or refused',
    );
    const refused = (await states()).filter((s) => s.state === 'refused');
    expect(refused).toEqual(
      range(0, 4, 'B').map((data) => ({ data, state: 'refused', code: 'outbox_full', name: 'ClientError' })),
    );
    expect((await states()).filter((s) => s.state === 'acknowledged').map((s) => s.data)).toEqual(
      range(0, 4, 'A'),
    );
    // The server has the 4 it took, in order, and none of the refused; no row is left to send later.
    const events = (await readLog(server.url, 'out', cursor)).events.map((e) => e.data);
    expect(events).toEqual(range(0, 4, 'A'));
    await waitFor(async () => (await rowsIn(heir)) === 0, 5000, 'the outbox emptied');
  });

  it('persist, two tabs sharing one connection: the leader tab reloaded mid-way; each tab’s publishes reach the server, in order', async () => {
    const { server, proxy, tab } = harness;
    await recordPublishes();
    const { cursor } = await readLog(server.url, 'out');
    const options: PageClientOptions = { persist: true };
    const leader = await tab(options);
    await openIn(leader);
    const follower = await tab(options);
    await openIn(follower);
    expect(server.hub.stats().connections.total).toBe(1);
    await Promise.all([
      publishIn(leader, range(0, 40, 'L'), true),
      publishIn(follower, range(0, 40, 'F'), true),
    ]);

    proxy.pause();
    await publishIn(leader, range(40, 70, 'L'), false);
    await publishIn(follower, range(40, 70, 'F'), false);
    await waitFor(async () => (await rowsIn(leader)) === 60, 5000, 'the 60 stored');
    proxy.cut();
    proxy.resume();
    // The follower takes over the connection; the leader's page comes back as a follower.
    await leader.reload();
    await startClient(leader, options);
    await Promise.all([
      publishIn(leader, range(70, 100, 'L'), true),
      publishIn(follower, range(70, 100, 'F'), true),
    ]);

    let events: unknown[] = [];
    await waitFor(
      async () => {
        events = (await readLog(server.url, 'out', cursor)).events.map((e) => e.data);
        return new Set(events.map((v) => JSON.stringify(v))).size === 200;
      },
      10_000,
      'all 200 in the log',
    );
    expect(checkOrder(events, [range(0, 100, 'L'), range(0, 100, 'F')])).toBe(0);
    // One connection again, now the follower's; whoever sent a publish again kept its key.
    await waitFor(() => server.hub.stats().connections.total === 1, 5000, 'one connection');
    expectKeysKept([...(await sentIn(leader)), ...(await sentIn(follower))]);
    await waitFor(async () => (await rowsIn(follower)) === 0, 5000, 'the outbox emptied');
  });
});
