import { afterEach, describe, expect, it } from 'vitest';
import { get, openRaw } from './support/raw-client.ts';
import { closeAll, proxied, track } from './support/setup.ts';
import { openSse, sseIds } from './support/sse.ts';
import { until } from './support/until.ts';

afterEach(closeAll);

describe('latency()', () => {
  it('delays each direction by at least ms', async () => {
    const { proxy } = await proxied();
    proxy.latency(100);
    const raw = track(await openRaw(proxy.port));
    const started = performance.now();
    raw.send(get('/realtime/poll?topics=a'));
    expect((await raw.response()).status).toBe(200);
    // Up and down: a lower bound, never an upper one.
    expect(performance.now() - started).toBeGreaterThanOrEqual(200);
    expect(proxy.stats().faults.delayedChunks).toBeGreaterThanOrEqual(2);
  });

  it('keeps order while the latency changes, and a FIN never overtakes the bytes before it', async () => {
    const { server, proxy } = await proxied();
    const sse = track(await openSse(`${proxy.url}/sse?topics=a`));
    await sse.waitFor(': open');
    proxy.latency(80);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await server.hub.publish('a', i));
    proxy.latency(5);
    for (let i = 10; i < 20; i++) ids.push(await server.hub.publish('a', i));
    const lift = proxy.latency(40);
    for (let i = 20; i < 25; i++) ids.push(await server.hub.publish('a', i));
    lift();
    for (let i = 25; i < 30; i++) ids.push(await server.hub.publish('a', i));
    await until(() => sseIds(sse.text).length === ids.length, 'every event');
    expect(sseIds(sse.text)).toEqual(ids);

    proxy.latency(50);
    const raw = track(await openRaw(proxy.port));
    raw.send(get('/realtime/poll?topics=a', { Connection: 'close' }));
    const answer = await raw.response();
    expect(JSON.parse(answer.body)).toMatchObject({ events: [] });
    await until(() => raw.ended, 'the FIN');
  });

  it('rejects a negative or infinite delay', async () => {
    const { proxy } = await proxied();
    expect(() => proxy.latency(-1)).toThrow(TypeError);
    expect(() => proxy.latency(Infinity)).toThrow(TypeError);
  });
});
