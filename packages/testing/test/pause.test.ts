import { afterEach, describe, expect, it } from 'vitest';
import { get, openRaw, post } from './support/raw-client.ts';
import { closeAll, proxied, track } from './support/setup.ts';
import { openSse, sseIds } from './support/sse.ts';
import { settle, until } from './support/until.ts';

afterEach(closeAll);

describe('pause() and resume()', () => {
  it('hold every byte both ways without closing anything, then release them in order', async () => {
    const { server, proxy } = await proxied();
    const sse = track(await openSse(`${proxy.url}/sse?topics=a`));
    await sse.waitFor(': open');
    const raw = track(await openRaw(proxy.port));

    proxy.pause();
    // The client publishes first; the bytes reach the proxy's socket and stay there.
    const request = post('/realtime/publish', { topic: 'a', data: 'from the client' });
    await new Promise<void>((resolve) => raw.socket.write(request, () => resolve()));
    const ids = [await server.hub.publish('a', 1), await server.hub.publish('a', 2)];
    await until(() => server.hub.stats().delivered >= 2, 'the server to write its events');
    await settle(server.url);
    expect(server.hub.stats().published).toBe(2);
    expect(sseIds(sse.text)).toEqual([]);
    expect(raw.received).toBe('');
    expect(sse.ended).toBeUndefined();
    expect(server.hub.stats().connections.sse).toBe(1);

    proxy.resume();
    const answer = await raw.response();
    expect(answer.status).toBe(202);
    ids.push((JSON.parse(answer.body) as { id: string }).id);
    await until(() => sseIds(sse.text).length === 3, 'all three events');
    expect(sseIds(sse.text)).toEqual(ids);
    expect(proxy.stats().connections).toMatchObject({ opened: 2, active: 2 });
  });

  it('holds a connection opened while paused until resume', async () => {
    const { server, proxy } = await proxied();
    proxy.pause();
    const raw = track(await openRaw(proxy.port));
    raw.send(get('/realtime/poll?topics=a'));
    await settle(server.url);
    expect(raw.received).toBe('');
    expect(proxy.stats().requests.total).toBe(0);
    proxy.heal();
    expect((await raw.response()).status).toBe(200);
  });
});
